#!/bin/sh
# curl -o downloads (a local empty file) in the container.
# container: true
# requires: curl
# expect: Launch Ingress Remote File Copy Tools in Container
set -eu
curl -s -o "$FT_SCENARIO_WORK/download" file:///dev/null
