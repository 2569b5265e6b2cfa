#!/bin/sh
# Runs nginx (master and one worker, as root like the Debian image's
# default) on 127.0.0.1 and loads it with wrk for two seconds, then stops it
# with `nginx -s quit`.
# requires: nginx wrk curl
# timeout: 60
set -eu
cd "$FT_SCENARIO_WORK"
mkdir -p html logs tmp
echo '<h1>hello</h1>' >html/index.html
cat >nginx.conf <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $FT_SCENARIO_WORK/nginx.pid;
error_log $FT_SCENARIO_WORK/logs/error.log;
events { worker_connections 256; }
http {
	access_log $FT_SCENARIO_WORK/logs/access.log;
	client_body_temp_path $FT_SCENARIO_WORK/tmp/body;
	proxy_temp_path $FT_SCENARIO_WORK/tmp/proxy;
	fastcgi_temp_path $FT_SCENARIO_WORK/tmp/fastcgi;
	uwsgi_temp_path $FT_SCENARIO_WORK/tmp/uwsgi;
	scgi_temp_path $FT_SCENARIO_WORK/tmp/scgi;
	server {
		listen 127.0.0.1:$FT_SCENARIO_PORT;
		root $FT_SCENARIO_WORK/html;
	}
}
CONF
nginx -e "$FT_SCENARIO_WORK/logs/error.log" -p "$FT_SCENARIO_WORK" -c "$FT_SCENARIO_WORK/nginx.conf" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$FT_SCENARIO_PORT/"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "nginx did not start" >&2; cat logs/error.log >&2; exit 1; }
	sleep 0.1
done
wrk -t 1 -c 4 -d 2s "http://127.0.0.1:$FT_SCENARIO_PORT/" >wrk.out
grep -q 'Requests/sec' wrk.out
nginx -e "$FT_SCENARIO_WORK/logs/error.log" -p "$FT_SCENARIO_WORK" -c "$FT_SCENARIO_WORK/nginx.conf" -s quit
wait "$server"
trap - EXIT
