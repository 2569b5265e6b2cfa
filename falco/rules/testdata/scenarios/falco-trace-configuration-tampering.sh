#!/bin/sh
# The configuration file falco-trace was started with (FT_SCENARIO_CONFIG,
# given with -c by the runner) is opened for appending without writing.
# expect: falco-trace configuration tampering
set -eu
: >>"$FT_SCENARIO_CONFIG"
