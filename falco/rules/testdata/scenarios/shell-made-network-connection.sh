#!/bin/sh
# bash opens a TCP connection with /dev/tcp to a local listener, the way a
# reverse shell connects out.
# requires: bash
# expect: Shell made network connection
set -eu
cd "$FT_SCENARIO_WORK"
"$FT_SCENARIO_BIN/tcp_listen" port &
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bash -c 'exec 3<>/dev/tcp/127.0.0.1/$(cat port)'
wait
