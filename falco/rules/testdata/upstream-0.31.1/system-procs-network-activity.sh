#!/bin/sh
# bash connects with /dev/tcp to a listener on the machine's own
# non-loopback address.
# requires: bash hostname
# expect: System procs network activity
set -eu
cd "$FT_SCENARIO_WORK"
ip=
for a in $(hostname -I); do
	case $a in
	*.*.*.*) ip=$a; break ;;
	esac
done
[ -n "$ip" ] || { echo "no non-loopback IPv4 address" >&2; exit 1; }
"$FT_SCENARIO_BIN/tcp_listen" port "$ip" &
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bash -c "exec 3<>/dev/tcp/$ip/\$(cat port)"
wait
