#!/bin/sh
# An (empty) APT source list is created, then removed.
# requires: apt-get
# expect: Update Package Repository
set -eu
f=/etc/apt/sources.list.d/ft-scenario.$$.list
trap 'rm -f "$f"' EXIT
touch "$f"
