#!/bin/sh
# The environment of the scenario's shell is read through /proc.
# expect: Read of another process environment
set -eu
cat "/proc/$$/environ" >/dev/null
