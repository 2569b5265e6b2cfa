#!/bin/sh
# /etc/sudoers is read by cat.
# requires: sudo
# expect: Read of sudoers configuration
set -eu
cat /etc/sudoers >/dev/null
