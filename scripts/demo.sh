#!/usr/bin/env bash
# The main job in one command: launch a small workload under falco-trace with
# the project's built-in rules and show the alerts it raises on stdout.
set -euo pipefail
bin=${1:-bin/falco-trace}
payload=/tmp/falco-trace-demo-payload.$$
workload="cat /etc/shadow > /dev/null; cp /bin/true $payload && $payload; rm -f $payload; echo 'workload: done'; exit 3"
echo "### $bin launch -- sh -c \"$workload\"" >&2
echo "### (the workload reads /etc/shadow and runs a program it dropped in /tmp)" >&2
rc=0
"$bin" launch -- sh -c "$workload" || rc=$?
echo "### workload exit code passed through: $rc" >&2
