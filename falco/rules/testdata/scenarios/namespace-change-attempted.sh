#!/bin/sh
# A short-lived process moves itself into a new UTS namespace.
# expect: Namespace change attempted
set -eu
"$FT_SCENARIO_BIN/ns_unshare"
