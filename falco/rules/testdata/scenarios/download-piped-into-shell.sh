#!/bin/sh
# A shell runs "curl ... | sh". curl reads a local empty file, so nothing is
# downloaded and the piped shell runs nothing.
# requires: curl
# expect: Download piped into shell
set -eu
sh -c 'curl -s file:///dev/null | sh'
