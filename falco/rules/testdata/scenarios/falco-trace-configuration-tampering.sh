#!/bin/sh
# A rules file that falco-trace loaded (FT_SCENARIO_RULES_FILE, given to
# falco-trace with -r by the runner) is opened for appending without writing.
# expect: falco-trace configuration tampering
set -eu
: >>"$FT_SCENARIO_RULES_FILE"
