# Sourced by shell drivers (the interop tests' PostgreSQL variants, and
# tools/run --replicas): a throwaway PostgreSQL 15 cluster on loopback,
# driven by initdb and pg_ctl as tests/testing/postgres_server.h does.
#
#   pg_start                 # initdb + start; sets pg_port
#   pg_new_database          # CREATE DATABASE; sets pg_url (postgresql://...)
#   pg_stop                  # stop (immediate) and remove the cluster
pg_bin=/usr/lib/postgresql/15/bin
pg_dir=
pg_port=
pg_url=
pg_databases=0

# initdb and postgres refuse root: run them as the postgres user then (the
# cluster lives under /tmp, which that user can reach).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd "$pg_dir" && /usr/sbin/runuser -u postgres -- "$@"); else "$@"; fi
}

pg_start() {
  [ -x "$pg_bin/initdb" ] || { echo "PostgreSQL 15 missing: run tools/setup" >&2; return 1; }
  pg_dir=$(mktemp -d /tmp/tokend-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chmod 755 "$pg_dir"; chown postgres "$pg_dir"; fi
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U tokend -A trust -E UTF8 --no-sync >/dev/null ||
    return 1
  # The first free port from 55432: a taken one makes the server exit at
  # once, and the next is tried. The socket stays in the data directory.
  local candidate
  for candidate in $(seq 55432 55531); do
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
        -o "-k $pg_dir/data -c listen_addresses=127.0.0.1 -p $candidate -c fsync=off" \
        start >/dev/null 2>&1; then
      pg_port=$candidate
      return 0
    fi
  done
  { echo "cannot start PostgreSQL:"; tail -5 "$pg_dir/log"; } >&2
  return 1
}

pg_new_database() {
  pg_databases=$((pg_databases + 1))
  /usr/bin/psql -qAt -h 127.0.0.1 -p "$pg_port" -U tokend -d postgres \
    -c "CREATE DATABASE db$pg_databases" >/dev/null || return 1
  pg_url="postgresql://tokend@127.0.0.1:$pg_port/db$pg_databases"
}

pg_stop() {
  [ -n "$pg_dir" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
  pg_dir=
}
