#!/bin/sh
# A program is copied to /tmp and started from there.
# expect: Executable run from temporary directory
set -eu
dir=$(mktemp -d /tmp/ft-scenario.XXXXXX)
trap 'rm -f "$dir/payload"; rmdir "$dir"' EXIT
cp /bin/true "$dir/payload"
"$dir/payload"
