#!/bin/sh
# A (fake) AWS credentials file is read by cat.
# expect: Read of cloud credentials file
set -eu
mkdir -p "$FT_SCENARIO_WORK/.aws"
printf '[default]\naws_access_key_id = AKIAEXAMPLE\n' >"$FT_SCENARIO_WORK/.aws/credentials"
cat "$FT_SCENARIO_WORK/.aws/credentials" >/dev/null
