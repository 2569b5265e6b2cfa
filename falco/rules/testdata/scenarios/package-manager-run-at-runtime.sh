#!/bin/sh
# dpkg is run (a query only) inside the workload.
# requires: dpkg
# expect: Package manager run at runtime
set -eu
dpkg --version >/dev/null
