#!/bin/sh
# find looks for SSH private keys.
# expect: Search Private Keys or Passwords
set -eu
find "$FT_SCENARIO_WORK" -name id_rsa >/dev/null
