#!/bin/sh
# curl asks the instance metadata service for its index. The connection
# attempt is the event: where there is no metadata service the connect
# times out after a second.
# requires: curl
# expect: Cloud metadata or credentials endpoint contacted by tool
set -eu
curl -s --connect-timeout 1 --max-time 2 -o /dev/null http://169.254.169.254/ || true
