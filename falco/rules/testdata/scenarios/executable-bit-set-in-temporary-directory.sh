#!/bin/sh
# A file dropped in /tmp is made executable (and removed, never run).
# expect: Executable bit set in temporary directory
set -eu
f=$(mktemp /tmp/ft-scenario.XXXXXX)
trap 'rm -f "$f"' EXIT
chmod 755 "$f"
