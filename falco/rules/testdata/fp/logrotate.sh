#!/bin/sh
# logrotate rotates two logs kept below /var/log (in FT_SCENARIO_LOGDIR, a
# directory the runner creates there and removes afterwards), with a private
# configuration and state file, three times: one log is renamed, recreated
# and compressed (old rotations deleted), the other copied and truncated.
# requires: logrotate gzip
set -eu
dir=$FT_SCENARIO_LOGDIR
cat >"$FT_SCENARIO_WORK/logrotate.conf" <<CONF
$dir/app.log {
	rotate 1
	compress
	missingok
	create 0640 root root
}
$dir/copy.log {
	rotate 1
	copytruncate
	missingok
}
CONF
for round in 1 2 3; do
	echo "line $round" >>"$dir/app.log"
	echo "line $round" >>"$dir/copy.log"
	logrotate -f -s "$FT_SCENARIO_WORK/logrotate.state" "$FT_SCENARIO_WORK/logrotate.conf"
done
