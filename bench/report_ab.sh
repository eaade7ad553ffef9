#!/bin/sh
# bench/report_ab.sh — `parley report --json --by month` as a whole
# process, several binaries alternated round by round over the same
# node, so that the machine's drift (on a shared VM, the same binary
# runs 20 % slower some minutes than others) falls on all of them alike.
#   sh bench/report_ab.sh NODE_DIR ROUNDS BINARY...
# Prints per binary the mean and least wall time, the mean CPU time, and
# each binary's mean against the first's. The JSON of every binary must
# be the same bytes (else it says so and exits 1).
set -eu
[ $# -ge 3 ] || { echo "usage: sh bench/report_ab.sh NODE_DIR ROUNDS BINARY..."; exit 2; }
dir=$1 rounds=$2
shift 2
out=$(mktemp -d "${TMPDIR:-/tmp}/parley-ab.XXXXXX")
trap 'rm -rf "$out"' EXIT
i=0
for b in "$@"; do
	i=$((i + 1))
	"$b" report --json --by month --dir "$dir" > "$out/json.$i"
	cmp -s "$out/json.1" "$out/json.$i" || { echo "$b: its report differs from $1's"; exit 1; }
done
for r in $(seq 1 "$rounds"); do
	i=0
	for b in "$@"; do
		i=$((i + 1))
		/usr/bin/time -f "$i %e %U %S" "$b" report --json --by month --dir "$dir" \
			2>>"$out/times" >/dev/null
	done
done
i=0
for b in "$@"; do
	i=$((i + 1))
	echo "$i $b"
done > "$out/names"
awk 'NR == FNR { name[$1] = $2; next }
	{ w[$1] += $2; c[$1] += $3 + $4; k[$1]++; if (!($1 in mn) || $2 < mn[$1]) mn[$1] = $2 }
	END {
		for (i = 1; i in w; i++)
			printf "%-40s mean %.3f s  least %.3f s  cpu %.3f s  mean/first %.2f\n",
				name[i], w[i] / k[i], mn[i], c[i] / k[i], (w[i] / k[i]) / (w[1] / k[1])
	}' "$out/names" "$out/times"
