#!/bin/sh
# Serves a directory with Python's http.server on 127.0.0.1 and fetches a
# few pages from it with curl.
# requires: curl python3
set -eu
cd "$FT_SCENARIO_WORK"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
mkdir site
echo '<h1>hello</h1>' >site/index.html
"$py" -m http.server --bind 127.0.0.1 --directory site "$FT_SCENARIO_PORT" >server.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$FT_SCENARIO_PORT/"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "http.server did not start" >&2; cat server.log >&2; exit 1; }
	sleep 0.1
done
for page in / /index.html /missing; do
	curl -s -o /dev/null "http://127.0.0.1:$FT_SCENARIO_PORT$page"
done
