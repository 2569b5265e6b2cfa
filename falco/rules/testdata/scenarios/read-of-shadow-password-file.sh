#!/bin/sh
# /etc/shadow is read by cat (needs root, like the attack).
# expect: Read of shadow password file
set -eu
cat /etc/shadow >/dev/null
