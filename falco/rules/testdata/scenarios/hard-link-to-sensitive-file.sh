#!/bin/sh
# A hard link to /etc/shadow is attempted in the scratch directory. When the
# directory is on the same file system the link is created and removed at
# once; otherwise it fails with EXDEV, which is still the attempt.
# expect: Hard link to sensitive file
set -eu
l="$FT_SCENARIO_WORK/shadow-hardlink"
trap 'rm -f "$l"' EXIT
ln /etc/shadow "$l" 2>/dev/null || true
