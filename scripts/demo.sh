#!/usr/bin/env bash
# The main job in one command: launch a small workload under falco-trace with
# the project's default rules and show the alerts it raises on stdout.
set -euo pipefail
bin=${1:-bin/falco-trace}
echo "### falco-trace launch -- sh -c '...'   (a workload that reads /etc/shadow and runs a network tool)" >&2
"$bin" launch -- sh -c 'cat /etc/shadow > /dev/null; echo "workload: done"; exit 3' || rc=$?
echo "### workload exit code passed through: ${rc:-0}" >&2
