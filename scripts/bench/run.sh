#!/usr/bin/env bash
# Tracer overhead benchmark (issue 3): falco-trace vs the trivial two-stop tracer
# (mintrace -m trace2, the floor) on the same workloads, in paired rounds with
# alternating order; prints the median of the per-round ratios.
#   per trapped syscall: osb openclose (open+close, both trapped)   target <= 1.3x the floor
#   per new process:     osb procs (fork+_exit+wait), osb launch    target <= 2x the floor
# Usage: scripts/bench/run.sh [ROUNDS]   (env: BENCH_SRC = dir with osb.c and mintrace.c,
#        FALCO_TRACE = binary, PIN=1 adds --pin-cpu / -c 0,0)
# The host is shared: run it on a quiet machine and quote medians only.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
src=${BENCH_SRC:-/work/shared/bench}
ft=${FALCO_TRACE:-bin/falco-trace}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in osb.c mintrace.c; do
  [ -f "$src/$f" ] || { echo "missing $src/$f (set BENCH_SRC)" >&2; exit 1; }
done
gcc -O2 -Wall -pthread -o "$work/osb" "$src/osb.c"
gcc -O2 -Wall -o "$work/mintrace" "$src/mintrace.c"
[ -x "$ft" ] || go build -o "$ft" ./cmd/falco-trace

ftflags=(); mtflags=()
if [ "${PIN:-0}" = 1 ]; then ftflags=(--pin-cpu); mtflags=(-c 0,0); fi
# syscalls mintrace traps: the ones these workloads make that the default policy traps too
# (open close openat clone fork vfork execve clone3 exit_group is not trapped by either)
nrs=2,3,257,56,57,58,59,435

ops() { sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p'; }
floor() { "$work/mintrace" -m trace2 -s "$nrs" "${mtflags[@]}" "$work/osb" "$@" 2>/dev/null | ops; }
ours() { "$ft" launch "${ftflags[@]}" --print-events 'proc.name=falco-trace-bench-nomatch' -- "$work/osb" "$@" | ops; }
plain() { "$work/osb" "$@" | ops; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for bench in "openclose 20000" "procs 500" "launch 300"; do
  ratios=(); rel=()
  for ((r = 0; r < rounds; r++)); do
    if ((r % 2)); then f=$(floor $bench); o=$(ours $bench); else o=$(ours $bench); f=$(floor $bench); fi
    p=$(plain $bench)
    ratios+=("$(awk -v f="$f" -v o="$o" 'BEGIN {printf "%.3f", f / o}')")
    rel+=("$(awk -v p="$p" -v o="$o" 'BEGIN {printf "%.3f", o / p}')")
  done
  printf '%-16s falco-trace time / floor time: median %s  (rounds: %s); traced/untraced throughput: median %s\n' \
    "$bench" "$(printf '%s\n' "${ratios[@]}" | median)" "${ratios[*]}" "$(printf '%s\n' "${rel[@]}" | median)"
done
