#!/bin/sh
# PostgreSQL from Debian: initdb a new cluster in the scratch directory,
# start the server (Unix socket only), create a table, insert and query
# rows, and stop it. Runs as the postgres user from the start, like a
# container whose USER is postgres.
# requires: psql
# run-as: postgres
# timeout: 180
set -eu
cd "$FT_SCENARIO_WORK"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PGHOST="$FT_SCENARIO_WORK" PGPORT="$FT_SCENARIO_PORT" PGUSER=postgres
"$bin/initdb" -D data -A trust -U postgres --no-sync >initdb.log
"$bin/pg_ctl" -D data -l server.log -w -t 60 \
	-o "-c listen_addresses='' -k $FT_SCENARIO_WORK -p $FT_SCENARIO_PORT -c fsync=off" start >/dev/null
trap '"$bin/pg_ctl" -D data -m immediate stop >/dev/null 2>&1 || true' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d postgres <<'SQL' >/dev/null
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 1000) AS g;
CREATE INDEX items_name ON items (name);
SELECT count(*), max(id) FROM items WHERE name LIKE 'item 1%';
VACUUM ANALYZE items;
SQL
"$bin/pg_ctl" -D data -m fast -w stop >/dev/null
trap - EXIT
