#!/bin/sh
# modprobe is executed (it only prints its version).
# requires: modprobe
# expect: Kernel module tool executed
set -eu
modprobe --version >/dev/null
