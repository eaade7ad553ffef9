#!/bin/sh
# valgrind.sh — parley demo under valgrind (memcheck), its three servers
# included: no memory errors and no leaks (definitely or indirectly lost)
# in any of the four processes.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "valgrind missing"; exit 1; }

valgrind --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=9 --trace-children=yes \
	--log-file="$T/vg.%p.log" "$PARLEY" demo --dir "$T/demo" --messages 10 > "$T/demo.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "^demo: ok" "$T/demo.out" && ok "the demo runs under valgrind" \
	|| bad "the demo runs under valgrind (exit $rc)" "$(tail -5 "$T/demo.out")"
n=0
for f in "$T"/vg.*.log; do
	cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$f" | cut -c1-60)
	[ -n "$cmd" ] || continue
	n=$((n + 1))
	if grep -q "ERROR SUMMARY: 0 errors" "$f" && ! grep -Eq "(definitely|indirectly) lost: [1-9]" "$f"; then
		ok "no memory errors, no leaks: $cmd"
	else
		bad "no memory errors, no leaks: $cmd" "$(grep -E 'ERROR SUMMARY|lost:' "$f")"
	fi
done
[ $n -eq 4 ] && ok "four processes checked (demo and three servers)" || bad "four processes checked" "$n"
finish
