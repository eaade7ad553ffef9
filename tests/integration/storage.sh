#!/bin/sh
# storage.sh — storage faults on real file systems: a receiver whose disk
# fills up, then turns read-only, and a sender whose disk is full. Each
# gives a clear error, no receipt is issued for anything not written,
# nothing is corrupted, and delivery resumes once there is room again.
# The small disks are tmpfs mounts in a private mount namespace, so the
# test needs root (CI runs as root); elsewhere it is skipped (exit 77).
if [ -z "${PARLEY_IN_NS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		echo "storage.sh: needs root and unshare -m for tmpfs mounts: skipped"
		exit 77
	fi
	PARLEY_IN_NS=1 exec unshare -m sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing"; exit 1; }

mkdir "$T/small" "$T/tiny"
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null
	umount "$T/small" "$T/tiny" 2>/dev/null; cleanup' EXIT INT TERM
mount -t tmpfs -o size=6m tmpfs "$T/small" || { echo "mount failed"; exit 1; }
base=$((24000 + ($$ * 7) % 30000))
"$PARLEY" init --name a.example --dir "$T/a" --listen "127.0.0.1:$base" >/dev/null
"$PARLEY" init --name b.example --dir "$T/small/b" --listen "127.0.0.1:$((base + 1))" >/dev/null
"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/a")" --dir "$T/small/b" >/dev/null
"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/small/b")" --dir "$T/a" >/dev/null
A="--dir $T/a"
B="--dir $T/small/b"
AB="parley/a.example/b.example"
"$PARLEY" serve $A 2>>"$T/a.log" &
pids="$pids $!"
"$PARLEY" serve $B 2>>"$T/b.log" &
bpid=$!
pids="$pids $bpid"
sleep 0.3

peer_b() { "$PARLEY" peer list $A --json | grep -o '"name":"b.example"[^}]*'; }
num() { grep -o "\"$1\":[0-9]*" | cut -d: -f2; }
mirror() { # mirror [?immutable=1]: the size of b's copy of a's log
	sqlite3 "file:$T/small/b/parley.db${1:-}" "SELECT coalesce(max(size), 0) FROM log WHERE origin = '$AB'" 2>/dev/null || echo 0
}
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	limit=$(($1 * 10))
	shift
	t=0
	while ! "$@" && [ $t -lt "$limit" ]; do sleep 0.1; t=$((t + 1)); done
	"$@"
}
error_says() { peer_b | grep -q "$1"; }
drained() { [ "$(peer_b | num backlog)" = 0 ]; }
big() { # big N TAG: N bodies of about 40 kB, each distinct
	awk -v n="$1" -v tag="$2" 'BEGIN { s = "xxxxxxxxxx"; while (length(s) < 40000) s = s s;
		for (i = 0; i < n; i++) printf "{\"subject\":\"%s %d\",\"text\":\"%s\"}\n", tag, i, s }'
}
no_receipt_beyond_mirror() {
	r=$(peer_b | num receipted)
	m=$(mirror)
	[ "${r:-0}" -le "${m:-0}" ] && ok "$1: a holds receipts for $r entries, b holds $m" \
		|| bad "$1: a holds receipts for $r entries but b holds only $m"
}

# 1. The receiver's disk fills up.
big 300 full | "$PARLEY" send b.example --lines $A >/dev/null
wait_for 30 error_says "storage is full" && ok "a's delivery reports b's full storage" \
	|| bad "a's delivery reports b's full storage" "$(peer_b)"
no_receipt_beyond_mirror "disk full"
kill -0 $bpid && ok "b keeps serving with a full disk" || bad "b keeps serving with a full disk"
grep -q "code=storage_full error=\".*the disk or the database is full" "$T/b.log" \
	&& ok "b's log names the fault" || bad "b's log names the fault" "$(tail -3 "$T/b.log")"
grep -q "small/b" "$T/a.log" "$T/a/parley.db" 2>/dev/null \
	&& bad "b's file paths stay out of what a is told" || ok "b's file paths stay out of what a is told"
expect "b's store verifies on a full disk" 0 "verify: ok" "$PARLEY" verify $B
mount -o remount,size=64m "$T/small"
wait_for 90 drained && ok "once there is room, everything is delivered" \
	|| bad "once there is room, everything is delivered" "$(peer_b)"
[ "$(mirror)" = 300 ] && ok "b holds all 300 entries" || bad "b holds all 300 entries" "$(mirror)"

# 2. The receiver's store is read-only (a file system remounted read-only
# under a running server is refused by the kernel, so b restarts on it).
kill $bpid
wait $bpid 2>/dev/null
mount -o remount,ro "$T/small" || bad "remount read-only"
big 5 ro | "$PARLEY" send b.example --lines $A >/dev/null
expect "serve on a read-only store says so" 1 "read-only" "$PARLEY" serve $B
expect "a CLI write on a read-only store says so" 1 "read-only" "$PARLEY" send a.example --text hello $B
expect "reading a read-only store works" 0 "verify: ok" "$PARLEY" verify $B
[ "$(mirror '?immutable=1')" = 300 ] && [ "$(peer_b | num receipted)" = 300 ] \
	&& ok "nothing was added or receipted on the read-only store" \
	|| bad "nothing was added or receipted on the read-only store" "$(mirror '?immutable=1') $(peer_b)"
mount -o remount,rw "$T/small"
"$PARLEY" serve $B 2>>"$T/b.log" &
bpid=$!
pids="$pids $bpid"
wait_for 90 drained && ok "read-write again, the rest is delivered" || bad "read-write again, the rest is delivered" "$(peer_b)"
kill $bpid
wait $bpid 2>/dev/null
expect "b verifies after it all" 0 "verify: ok" "$PARLEY" verify $B
[ "$(mirror)" = 305 ] && ok "b holds all 305 entries" || bad "b holds all 305 entries" "$(mirror)"

# 3. The sender's own disk is full: the append fails whole.
mount -t tmpfs -o size=2m tmpfs "$T/tiny"
"$PARLEY" init --name c.example --dir "$T/tiny/c" >/dev/null
"$PARLEY" peer add "$("$PARLEY" identity --dir "$T/a")" --dir "$T/tiny/c" >/dev/null
before=$(sqlite3 "$T/tiny/c/parley.db" "SELECT count(*) FROM entry")
out=$(big 100 tiny | "$PARLEY" send a.example --lines --dir "$T/tiny/c" 2>&1)
rc=$?
[ $rc -ne 0 ] && printf '%s' "$out" | grep -q "the disk or the database is full; nothing was written" \
	&& ok "a send on a full disk fails with a clear error" || bad "a send on a full disk fails with a clear error" "$out"
after=$(sqlite3 "$T/tiny/c/parley.db" "SELECT count(*) FROM entry")
size=$(sqlite3 "$T/tiny/c/parley.db" "SELECT coalesce(max(size), 0) FROM log")
[ "$after" = "$size" ] && ok "whole batches only: $after entries, log size $size" \
	|| bad "whole batches only" "entries $after, size $size (before $before)"
expect "the sender's store verifies" 0 "verify: ok" "$PARLEY" verify --dir "$T/tiny/c"
finish
