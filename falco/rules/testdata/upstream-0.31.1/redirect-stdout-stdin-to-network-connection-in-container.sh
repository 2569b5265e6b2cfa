#!/bin/sh
# bash in the container makes a TCP connection its stdin, then copies stdin
# onto stdout (dup2 of a socket onto fd 1), as a reverse shell does. The
# listener is local.
# container: true
# requires: bash
# expect: Redirect STDOUT/STDIN to Network Connection in Container
set -eu
cd "$FT_SCENARIO_WORK"
"$FT_SCENARIO_BIN/tcp_listen" port &
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bash -c 'exec 0<>/dev/tcp/127.0.0.1/$(cat port); exec 1>&0'
wait
