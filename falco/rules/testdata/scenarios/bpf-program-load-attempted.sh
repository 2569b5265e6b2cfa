#!/bin/sh
# bpf(BPF_PROG_LOAD) is called without a program (refused).
# expect: BPF program load attempted
set -eu
"$FT_SCENARIO_BIN/bpf_load"
