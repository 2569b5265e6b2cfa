#!/bin/sh
# /proc/sys/kernel/core_pattern is opened for writing and closed without
# writing: the setting does not change.
# expect: Container escape file write
set -eu
exec 3>>/proc/sys/kernel/core_pattern
exec 3>&-
