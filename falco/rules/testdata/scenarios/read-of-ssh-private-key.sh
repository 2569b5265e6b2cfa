#!/bin/sh
# A (fake) SSH private key is read by cat.
# expect: Read of SSH private key
set -eu
mkdir -p "$FT_SCENARIO_WORK/.ssh"
echo 'not a real key' >"$FT_SCENARIO_WORK/.ssh/id_rsa"
cat "$FT_SCENARIO_WORK/.ssh/id_rsa" >/dev/null
