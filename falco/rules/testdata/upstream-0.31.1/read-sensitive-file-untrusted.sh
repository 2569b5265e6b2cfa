#!/bin/sh
# cat reads /etc/shadow.
# expect: Read sensitive file untrusted
set -eu
cat /etc/shadow >/dev/null
