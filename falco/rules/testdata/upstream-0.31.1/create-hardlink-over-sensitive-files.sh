#!/bin/sh
# A hard link to /etc/shadow is attempted (created and removed, or refused
# with EXDEV across file systems).
# expect: Create Hardlink Over Sensitive Files
set -eu
l="$FT_SCENARIO_WORK/shadow-hardlink"
trap 'rm -f "$l"' EXIT
ln /etc/shadow "$l" 2>/dev/null || true
