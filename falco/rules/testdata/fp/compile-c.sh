#!/bin/sh
# Compiles and runs a small C program with gcc (cc1, as, collect2 and ld
# write their temporary files below /tmp).
# requires: gcc
set -eu
cd "$FT_SCENARIO_WORK"
cat >hello.c <<'SRC'
#include <stdio.h>
int main(void) { puts("hello from C"); return 0; }
SRC
gcc -O2 -Wall -o hello hello.c
./hello >/dev/null
