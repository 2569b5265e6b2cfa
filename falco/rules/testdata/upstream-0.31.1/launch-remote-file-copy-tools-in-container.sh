#!/bin/sh
# scp in the container (without arguments it prints its usage).
# container: true
# requires: scp
# expect: Launch Remote File Copy Tools in Container
set -eu
scp >/dev/null 2>&1 || true
