#!/usr/bin/env bash
# make bench: builds the shared reference tools and falco-trace, installs the
# benchmark's own tools if missing (strace, nginx, wrk: Debian packages), then
# runs scripts/bench/bench.go. Arguments are passed to bench.go, e.g.
#   scripts/bench/bench.sh -rounds 2 -scale 0.2 -workloads openclose,getpid -alert-n 0
# Env: FALCO_TRACE_SHARED (default ../shared from the repo root) holds bench/;
# FALCO_TRACE_BENCH_NO_BUILD=1 skips `make build`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${FALCO_TRACE_SHARED:-$repo/../shared}
bench_src=$shared/bench
for f in osb.c mintrace.c pingpong.c; do
	if [ ! -f "$bench_src/$f" ]; then
		echo "bench: $bench_src/$f not found: set FALCO_TRACE_SHARED to the directory holding bench/{osb,mintrace,pingpong}.c" >&2
		exit 1
	fi
done

missing=""
command -v strace >/dev/null || missing="$missing strace"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v gcc >/dev/null || missing="$missing gcc"
if [ -n "$missing" ]; then
	echo "bench: installing$missing" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The Debian package may start its default site; the benchmark runs its own nginx.
	if [ -f /run/nginx.pid ]; then $sudo /usr/sbin/nginx -s quit 2>/dev/null || true; fi
fi
export PATH=$PATH:/usr/sbin

tools=$(mktemp -d /tmp/falco-trace-bench.XXXXXX)
trap 'rm -rf "$tools"' EXIT
gcc -O2 -Wall -pthread -o "$tools/osb" "$bench_src/osb.c"
gcc -O2 -Wall -o "$tools/mintrace" "$bench_src/mintrace.c"
gcc -O2 -Wall -o "$tools/pingpong" "$bench_src/pingpong.c"
gcc -O2 -Wall -pthread -o "$tools/ftbench" "$repo/scripts/bench/ftbench.c"
# Uncompressed, so tar -xf is dominated by file creation, as in the pdig figure.
tar -cf "$tools/include.tar" -C /usr include 2>/dev/null

cd "$repo"
if [ -z "${FALCO_TRACE_BENCH_NO_BUILD:-}" ]; then
	make --no-print-directory build >&2
fi
go run ./scripts/bench/bench.go -tools "$tools" -bin "$repo/bin/falco-trace" "$@"
