#!/bin/sh
# pg.sh — a throwaway PostgreSQL cluster for the test suite.
#   pg.sh start DIR   creates a cluster in the empty directory DIR, starts it
#                     listening only on a Unix socket in DIR, and prints its
#                     connection URL (for PARLEY_TEST_PG);
#   pg.sh stop DIR    stops it and removes DIR.
# PostgreSQL refuses to run as root: as root the cluster runs as the
# unprivileged user postgres (Debian's package creates it), else as the
# caller. Authentication is "trust", safe only because the socket
# directory is private (mode 0700). fsync is off: the cluster is thrown away
# after the run, and durability is not what the tests measure; benchmarks
# set PARLEY_PG_FSYNC=on.
set -eu

usage() {
	echo "usage: pg.sh start|stop DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/pg_ctl" ] || {
	echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql (scripts/deps.sh installs them)" >&2
	exit 1
}

# as CMD...: runs CMD as the cluster's owner.
if [ "$(id -u)" -eq 0 ]; then
	id postgres >/dev/null 2>&1 || {
		echo "pg.sh: running as root needs the user postgres to own the cluster" >&2
		exit 1
	}
	owner=postgres
	as() { runuser -u postgres -- "$@"; }
else
	owner=$(id -un)
	as() { "$@"; }
fi

case $cmd in
start)
	[ -d "$dir" ] || mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ -z "$(ls -A "$dir")" ] || { echo "pg.sh: $dir is not empty" >&2; exit 1; }
	chmod 0700 "$dir"
	[ "$owner" = "$(id -un)" ] || chown "$owner" "$dir"
	as "$bin/initdb" -D "$dir/data" -U parley --auth=trust -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=${PARLEY_PG_FSYNC:-off} -c max_connections=200" \
		start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "postgresql://parley@/postgres?host=$dir"
	;;
stop)
	[ -d "$dir/data" ] || { echo "pg.sh: no cluster in $dir" >&2; exit 1; }
	as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
