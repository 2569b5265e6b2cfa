#!/bin/sh
# A Python one-liner connects to a local listener and duplicates the socket
# onto its stdout, the hand-over step of a reverse shell.
# requires: python3
# expect: Standard stream redirected to network socket
set -eu
cd "$FT_SCENARIO_WORK"
"$FT_SCENARIO_BIN/tcp_listen" port &
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c '
import os, socket
s = socket.create_connection(("127.0.0.1", int(open("port").read())))
os.dup2(s.fileno(), 1)
print("hello")
'
wait
