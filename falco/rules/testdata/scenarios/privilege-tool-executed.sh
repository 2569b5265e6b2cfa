#!/bin/sh
# setpriv (a user and capability switching tool) is executed; it only prints
# the current privileges.
# requires: setpriv
# expect: Privilege tool executed
set -eu
setpriv --dump >/dev/null
