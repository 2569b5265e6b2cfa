#!/bin/sh
# useradd is run on the host (it only prints its usage).
# requires: useradd
# expect: User mgmt binaries
set -eu
useradd --help >/dev/null
