#!/bin/sh
# nmap in the container (a symlink named nmap to /bin/true stands in).
# container: true
# expect: Launch Suspicious Network Tool in Container
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true nmap
./nmap -sS 192.0.2.0/24
