#!/bin/sh
# scp is executed (without arguments it prints its usage and exits).
# requires: scp
# expect: Remote file copy tool executed
set -eu
scp >/dev/null 2>&1 || true
