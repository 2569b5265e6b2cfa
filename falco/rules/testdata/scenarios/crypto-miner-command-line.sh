#!/bin/sh
# A process starts with a mining pool URL on its command line (echo stands in
# for the miner; the pool name does not resolve).
# expect: Crypto miner command line
set -eu
/bin/echo -o stratum+tcp://pool.invalid:3333 -u wallet >/dev/null
