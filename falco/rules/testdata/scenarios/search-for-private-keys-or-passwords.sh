#!/bin/sh
# find searches a directory for SSH private keys.
# expect: Search for private keys or passwords
set -eu
find "$FT_SCENARIO_WORK" -name id_rsa >/dev/null
