#!/bin/sh
# dpkg is run (a query only) in the container.
# container: true
# requires: dpkg
# expect: Launch Package Management Process in Container
set -eu
dpkg --version >/dev/null
