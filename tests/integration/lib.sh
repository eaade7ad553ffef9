# lib.sh — helpers for the CLI integration tests (POSIX sh). Each test
# counts its checks and ends with the line "N passed, M failed".
set -u
: "${PARLEY:?PARLEY must name the parley binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/parley-it.XXXXXX")
# Servers started with serve_bg are stopped, and $T removed, on exit.
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
# PARLEY_ON_PG=1 (the *-pg variants of some tests): every node a test makes
# with `parley init` keeps its store in a fresh PostgreSQL database on the
# cluster of $PARLEY_TEST_PG (scripts/pg.sh), dropped at the end.
if [ -n "${PARLEY_ON_PG:-}" ]; then
	[ -n "${PARLEY_TEST_PG:-}" ] || { echo "PARLEY_TEST_PG is not set: skipped"; exit 77; }
	command -v psql >/dev/null || { echo "psql missing"; exit 1; }
	# pg-new-db: creates an empty database and prints its URL.
	cat > "$T/pg-new-db" <<EOF
#!/bin/sh
db="parley_t_\$\$_\$(date +%s%N)"
PGOPTIONS="-c client_min_messages=warning" psql -qX "$PARLEY_TEST_PG" -c "CREATE DATABASE \$db" >/dev/null || exit 1
echo "\$db" >> "$T/pg-dbs"
printf '%s\n' "$PARLEY_TEST_PG" | sed "s|^\\([a-z]*://[^/?]*\\)/[^?]*|\\1/\$db|"
EOF
	cat > "$T/parley-on-pg" <<EOF
#!/bin/sh
if [ "\$1" = init ]; then
	case " \$* " in
	*" --store "*) ;;
	*)	url=\$(sh "$T/pg-new-db") || exit 1
		set -- "\$@" --store "\$url" ;;
	esac
fi
exec "$PARLEY" "\$@"
EOF
	chmod +x "$T/parley-on-pg"
	PARLEY="$T/parley-on-pg"
	pg_cleanup() {
		for p in $pids; do kill "$p" 2>/dev/null; done
		wait 2>/dev/null
		[ -f "$T/pg-dbs" ] && while read -r d; do
			psql -qX "$PARLEY_TEST_PG" -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
		done < "$T/pg-dbs"
		cleanup
	}
	trap pg_cleanup EXIT INT TERM
fi
# serve_bg NODE: parley serve for $T/NODE in the background, log in $T/NODE.log
serve_bg() {
	"$PARLEY" serve --dir "$T/$1" 2>>"$T/$1.log" &
	eval "pid_$1=$!"
	pids="$pids $!"
}
# two_nodes BASE: nodes a.example and b.example in $T/a and $T/b, each a
# peer of the other; a's peer API on port BASE and operator API on BASE+1,
# b's on BASE+2 and BASE+3 (loopback).
two_nodes() {
	"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$1" \
		--operator-listen "127.0.0.1:$(($1 + 1))" >/dev/null
	"$PARLEY" init --name b.example --dir "$T/b" --listen "127.0.0.1:$(($1 + 2))" \
		--operator-listen "127.0.0.1:$(($1 + 3))" >/dev/null
	peer_all a b
}
# peer_all NODE...: each of the nodes (in $T) imports every other's identity.
peer_all() {
	for x in "$@"; do
		for y in "$@"; do
			[ "$x" = "$y" ] || "$PARLEY" peer add "$("$PARLEY" identity --dir "$T/$x")" \
				--dir "$T/$y" >/dev/null
		done
	done
}
# tok NAME ROLE NODE: adds an operator to $T/NODE, prints its token.
tok() { "$PARLEY" operator add "$1" --role "$2" --dir "$T/$3" --json | sed 's/.*"token":"\([^"]*\)".*/\1/'; }
# stop_bg NODE: SIGTERM to the last serve_bg of NODE, and wait for its exit
stop_bg() {
	eval "kill -TERM \$pid_$1 && wait \$pid_$1"
}
pass=0
fail=0

# store_holds NODE TEXT: true if NODE's store holds TEXT in the clear
# anywhere (the SQLite file and its WAL, or every body and attachment of
# the PostgreSQL database parley.conf names).
store_holds() {
	url=$(sed -n 's/^store = //p' "$T/$1/parley.conf")
	case $url in
	postgres*) [ "$(psql -qXAt "$url" -c "SELECT (SELECT count(*) FROM body WHERE position(convert_to('$2', 'UTF8') in data) > 0)
		+ (SELECT count(*) FROM entry WHERE position(convert_to('$2', 'UTF8') in body) > 0)")" != 0 ] ;;
	*) cat "$T/$1/parley.db" "$T/$1/parley.db-wal" 2>/dev/null | grep -aqF "$2" ;;
	esac
}

# node_copy NODE COPY: an offline copy of $T/NODE as $T/COPY, its store
# included: the same keys and history, diverging from here. (A copy of the
# directory alone would, on PostgreSQL, be a second frontend of NODE on
# NODE's database.) NODE must not be running.
node_copy() {
	cp -r "$T/$1" "$T/$2"
	url=$(sed -n 's/^store = //p' "$T/$2/parley.conf")
	case $url in
	postgres*)
		to=$(sh "$T/pg-new-db") &&
		"$PARLEY" store copy --quiet --from "$url" --to "$to" >/dev/null &&
		sed -i "s|^store = .*|store = $to|" "$T/$2/parley.conf" ;;
	esac
}

# log_size NODE ORIGIN: the entries of log ORIGIN that NODE holds (empty
# if it holds none), as `parley log` reports them.
log_size() {
	"$PARLEY" log --json --dir "$T/$1" | grep -o "\"origin\":\"$2\"[^}]*\"size\":[0-9]*" | sed 's/.*://'
}

# settle [NODE...]: waits (at most 10 s) until none of the nodes (default:
# a and b, in $T) has entries a peer has not receipted; 1 if they do not.
settle() {
	[ $# -gt 0 ] || set -- a b
	t=0
	while [ $t -lt 100 ]; do
		left=""
		for n in "$@"; do left="$left$("$PARLEY" peer list --dir "$T/$n" --json)"; done
		printf '%s' "$left" | grep -q '"backlog":[1-9]' || return 0
		sleep 0.1
		t=$((t + 1))
	done
	echo "$* did not settle in 10 s"
	return 1
}

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$1"; }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     /'; }

# expect NAME STATUS PATTERN CMD...: runs CMD, checks its exit status and
# that stdout+stderr contain PATTERN (a fixed string; empty: no check).
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name (exit $got, want $want)" "$out"
	elif [ -n "$pat" ] && ! printf '%s' "$out" | grep -qF -- "$pat"; then
		bad "$name (output lacks \"$pat\")" "$out"
	else
		ok "$name"
	fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
