#!/bin/sh
# A process connects to port 3333, a mining pool port, on 127.0.0.2 (a
# loopback address: the connection stays on the machine).
# expect: Connection to crypto mining pool port
set -eu
"$FT_SCENARIO_BIN/tcp_pair" 127.0.0.2 3333
