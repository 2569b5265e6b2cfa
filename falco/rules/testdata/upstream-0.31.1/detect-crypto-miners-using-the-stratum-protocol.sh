#!/bin/sh
# A process starts with a stratum pool URL (echo stands in for the miner).
# expect: Detect crypto miners using the Stratum protocol
set -eu
/bin/echo -o stratum+tcp://pool.invalid:3333 >/dev/null
