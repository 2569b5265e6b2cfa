#!/bin/sh
# /etc/ld.so.preload is opened for appending without writing anything. When
# it does not exist this creates it empty (an empty file preloads nothing)
# and removes it again.
# expect: Dynamic linker preload modified
set -eu
f=/etc/ld.so.preload
if [ -e "$f" ]; then
	: >>"$f"
else
	trap 'rm -f "$f"' EXIT
	: >>"$f"
fi
