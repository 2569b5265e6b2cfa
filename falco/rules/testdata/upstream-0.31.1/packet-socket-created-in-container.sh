#!/bin/sh
# An AF_PACKET raw socket is opened and closed in the container.
# container: true
# expect: Packet socket created in container
set -eu
"$FT_SCENARIO_BIN/packet_socket"
