#!/bin/sh
# docs.sh — the documentation and the packaging against the real binary:
# parley(1) has a section for every command `parley help` lists (and no
# other), and each section names every long option the command's --help
# prints (and none it does not); parley.conf(5) documents exactly the keys
# the parser knows, and its example passes the parser; both pages lint
# clean; docs/openapi.json lints; the bash completion completes commands,
# subcommands and every command's options; `meson install --destdir` of
# the build under test installs the binary, the pages, the completion and a
# systemd unit that `systemd-analyze verify` accepts.
. "$(dirname "$0")/lib.sh"
: "${OPENAPI_CHECK:?}" "${OPENAPI:?}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$PARLEY")" && pwd)
MAN1=$SRC/man/parley.1
MAN5=$SRC/man/parley.conf.5
COMP=$SRC/completion/parley.bash

# words FILE: the file's words, one a line, sorted and unique.
words() { tr -s ' \t' '\n\n' < "$1" | sed '/^$/d' | sort -u; }
# has_opt OPT FILE: FILE names the long option OPT as a whole word.
has_opt() { grep -qE -- "(^|[^a-z-])$1([^a-z-]|\$)" "$2"; }
# section CMD: the text of CMD's .SS section of parley.1, roff dashes plain.
section() {
	awk -v c="$1" '/^\.S[SH] /{ s = ($1 == ".SS" && ($2 == c || $2 == "\"" c "\"")) ; next } s' \
		"$MAN1" | sed 's/\\-/-/g'
}

# --- parley(1): commands ---------------------------------------------------
"$PARLEY" help > "$T/help.txt"
sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help.txt" | sort > "$T/cmds"
sed -n 's/^\.SS "\{0,1\}\([a-z-]*\)"\{0,1\} *$/\1/p' "$MAN1" | sort > "$T/mancmds"
if [ "$(wc -l < "$T/cmds")" -lt 10 ]; then
	bad "parley help lists the commands" "$(cat "$T/help.txt")"
elif diff "$T/cmds" "$T/mancmds" > "$T/d" 2>&1; then
	ok "parley.1 has a section for each of the $(wc -l < "$T/cmds") commands of parley help, and no other"
else
	bad "parley.1 sections = parley help's commands (< help only, > man only)" "$(grep '^[<>]' "$T/d")"
fi

# --- parley(1): each command's options -------------------------------------
# The usage lines are what --help (of the command and of each of its
# subcommands) prints before its first empty line. help and version print
# no usage for --help (reported); their sections are checked only if they
# ever do.
missing="" stale="" nousage=""
for c in $(cat "$T/cmds"); do
	"$PARLEY" "$c" --help > "$T/h.$c" 2>&1
	st=$?
	section "$c" > "$T/s.$c"
	if [ "$st" -ne 0 ] || ! grep -q '^usage: parley' "$T/h.$c"; then
		case $c in
		help | version) continue ;;
		esac
		nousage="$nousage $c"
		continue
	fi
	sed '/^$/q' "$T/h.$c" > "$T/usage.$c"
	# A subcommand's --help may say more (parley outbox export --help):
	# the subcommands are the completion's, run in $T to touch nothing.
	for s in $(bash -c '. "$1"; _parley_subs "$2"' sh "$COMP" "$c" 2> /dev/null); do
		[ "$c" = help ] && break
		(cd "$T" && "$PARLEY" "$c" "$s" --help) > "$T/hs" 2>&1 &&
			grep -q '^usage: parley' "$T/hs" || continue
		sed '/^$/q' "$T/hs" >> "$T/usage.$c"
		cat "$T/hs" >> "$T/h.$c"
	done
	grep -oE -- '--[a-z][a-z-]*' "$T/usage.$c" | sort -u > "$T/u.$c"
	for o in $(cat "$T/u.$c"); do
		[ "$o" = --help ] && continue
		has_opt "$o" "$T/s.$c" || missing="$missing $c:$o"
	done
	for o in $(grep -oE -- '--[a-z][a-z-]*' "$T/s.$c" | sort -u); do
		[ "$o" = --help ] || [ "$o" = --version ] && continue
		has_opt "$o" "$T/h.$c" || stale="$stale $c:$o"
	done
done
if [ -n "$nousage" ]; then
	bad "--help of every command exits 0 with a usage line" "$nousage"
else
	ok "--help of every command (but help, version) exits 0 with a usage line"
fi
if [ -z "$missing" ]; then
	ok "parley.1 names every long option of every command's usage in its section"
else
	bad "parley.1 names every long option of every command's usage (CMD:OPTION missing)" "$missing"
fi
if [ -z "$stale" ]; then
	ok "parley.1 names no option a command's --help does not know"
else
	bad "parley.1 names only options --help knows (CMD:OPTION not in --help)" "$stale"
fi
missing=""
for v in PARLEY_DIR PARLEY_PASSPHRASE_FILE PARLEY_PASSPHRASE; do
	grep -q "^\.B $v\$" "$MAN1" || missing="$missing $v"
done
for s in 'ENVIRONMENT' 'FILES' 'EXIT STATUS' 'EXAMPLES'; do
	grep -q "^\.SH \"\{0,1\}$s\"\{0,1\}\$" "$MAN1" || missing="$missing section:$s"
done
# cli.h: enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 }
codes=$(sed -n 's/.*CLI_OK = \([0-9]\), CLI_FAIL = \([0-9]\), CLI_USAGE = \([0-9]\).*/\1 \2 \3/p' \
	"$SRC/src/cli/cli.h")
exits=$(sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH/s/^\.B \([0-9]\)$/\1/p' "$MAN1" | tr '\n' ' ')
if [ -z "$missing" ] && [ -n "$codes" ] && [ "$exits" = "$codes " ]; then
	ok "parley.1 has ENVIRONMENT (PARLEY_DIR, PARLEY_PASSPHRASE[_FILE]), FILES, EXIT STATUS $codes, EXAMPLES"
else
	bad "parley.1 environment, sections and exit statuses (cli.h: '$codes', man: '$exits')" "$missing"
fi
expect "a usage error exits 2 as parley.1 says" 2 "usage:" "$PARLEY" init --bogus

# --- parley.conf(5) --------------------------------------------------------
# The keys the parser knows: each "memcmp(k, "KEY"" of config.c, and every
# key a fresh `parley init` writes.
mkdir -p "$T/n"
"$PARLEY" init --name cert.example.org --dir "$T/n/a" > /dev/null 2>&1 || bad "parley init"
{
	grep -oE 'memcmp\(k, "[a-z_]+"' "$SRC/src/node/config.c" | sed 's/.*"\(.*\)"/\1/'
	sed -n 's/^\([a-z_]*\) = .*/\1/p' "$T/n/a/parley.conf"
} | sort -u > "$T/keys"
sed -n '/^\.SH KEYS/,/^\.SH/{/^\.TP/{n;s/^\.B \([a-z_]*\)$/\1/p;};}' "$MAN5" | sort -u > "$T/mankeys"
if [ "$(wc -l < "$T/keys")" -lt 5 ]; then
	bad "the configuration keys are found in config.c and parley.conf" "$(cat "$T/keys")"
elif diff "$T/keys" "$T/mankeys" > "$T/d" 2>&1; then
	ok "parley.conf.5 documents exactly the $(wc -l < "$T/keys") keys the parser knows ($(tr '\n' ' ' < "$T/keys"))"
else
	bad "parley.conf.5 keys = config.c's (< parser only, > man only)" "$(grep '^[<>]' "$T/d")"
fi
# The page's example, with every documented key, as the node's parley.conf.
sed -n '/begin parley.conf example/,/end parley.conf example/p' "$MAN5" |
	grep -v '^\.' | sed 's/\\-/-/g' > "$T/example.conf"
nokey=""
for k in $(cat "$T/mankeys"); do
	grep -q "^$k = " "$T/example.conf" || nokey="$nokey $k"
done
cp "$T/example.conf" "$T/n/a/parley.conf"
out=$("$PARLEY" verify --dir "$T/n/a" 2>&1)
if [ $? -eq 0 ] && [ -z "$nokey" ]; then
	ok "parley.conf.5's example sets every key and the parser accepts it (parley verify)"
else
	bad "parley.conf.5's example sets every key (missing:$nokey) and parses" "$out"
fi
echo "colour = blue" >> "$T/n/a/parley.conf"
expect "an undocumented key is refused, naming its line" 1 "parley.conf:10: unknown key 'colour'" \
	"$PARLEY" verify --dir "$T/n/a"

# --- lint ------------------------------------------------------------------
linted=""
if command -v mandoc > /dev/null 2>&1; then
	out=$(mandoc -T lint "$MAN1" "$MAN5" 2>&1)
	if [ $? -eq 0 ] && [ -z "$out" ]; then ok "mandoc -T lint: both pages clean"; else bad "mandoc -T lint" "$out"; fi
	linted=1
fi
if command -v groff > /dev/null 2>&1; then
	out=$(for f in "$MAN1" "$MAN5"; do groff -man -ww -z "$f" 2>&1; done)
	if [ -z "$out" ]; then ok "groff -man -ww: both pages clean"; else bad "groff -man -ww" "$out"; fi
	linted=1
fi
[ -n "$linted" ] || bad "no man page linter (mandoc or groff): run scripts/deps.sh"
# api.sh lints it too, before matching recorded exchanges; this is the
# lint alone, so a spec fault shows here even when the servers are down.
out=$("$OPENAPI_CHECK" "$OPENAPI" 2>&1)
if [ $? -eq 0 ]; then
	ok "docs/openapi.json lints ($(printf '%s\n' "$out" | tail -n 1))"
else
	bad "docs/openapi.json lints" "$(printf '%s\n' "$out" | grep FAIL)"
fi

# --- bash completion -------------------------------------------------------
cat > "$T/comp.sh" <<EOF
. "$COMP"
complete -p parley | grep -q -- '-F _parley' || { echo "not registered"; exit 1; }
COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}
_parley
printf '%s\n' "\${COMPREPLY[@]}" | sort
EOF
# comp WANT WORD...: completing the last WORD offers every word of WANT.
comp() {
	want=$1
	shift
	got=$(bash "$T/comp.sh" "$@" 2>&1)
	miss=""
	for w in $want; do
		printf '%s\n' "$got" | grep -qxF -- "$w" || miss="$miss $w"
	done
	if [ -z "$miss" ]; then ok "completion of '$*' offers $want"; else bad "completion of '$*' lacks$miss" "$got"; fi
}
if ! command -v bash > /dev/null 2>&1; then
	bad "bash is needed to test the completion"
else
	got=$(bash "$T/comp.sh" parley "" | grep -v '^-' | sort)
	if [ "$got" = "$(cat "$T/cmds")" ]; then
		ok "completion offers exactly parley help's commands"
	else
		bad "completion offers exactly parley help's commands" "$(printf '%s\n' "$got" | diff "$T/cmds" - | grep '^[<>]')"
	fi
	comp "peer" parley pe
	comp "add list" parley peer ""
	comp "propose accept show templates" parley channel --dir x ""
	comp "new list show attachment ack answer decline withdraw remind close" parley case ""
	comp "add list revoke" parley operator ""
	comp "protect unprotect" parley key ""
	comp "copy" parley store ""
	comp "table json csv markdown" parley report --format ""
	comp "officer supervisor auditor" parley operator add olga --role ""
	comp "--state" parley case list --dir x --st
	comp "$T/n" parley init --dir "$T/"
	comp "$T/example.conf" parley channel propose p --charter "$T/ex"
	# Every long option each command's usage names.
	missing=""
	for c in $(cat "$T/cmds"); do
		[ -f "$T/u.$c" ] || continue
		got=$(bash "$T/comp.sh" parley "$c" --)
		for o in $(cat "$T/u.$c"); do
			printf '%s\n' "$got" | grep -qxF -- "$o" || missing="$missing $c:$o"
		done
	done
	if [ -z "$missing" ]; then
		ok "completion of 'parley CMD --' offers every long option of CMD's usage"
	else
		bad "completion of 'parley CMD --' offers every option of the usage (CMD:OPTION missing)" "$missing"
	fi
fi

# --- meson install and the systemd unit ------------------------------------
D=$T/dest
if ! command -v meson > /dev/null 2>&1; then
	bad "meson is needed for meson install"
elif ! out=$(meson install -C "$BUILD" --no-rebuild --destdir "$D" 2>&1); then
	bad "meson install --destdir" "$out"
else
	bin=$(find "$D" -path '*/bin/parley' -type f | head -n 1)
	prefix=${bin%/bin/parley}
	unit=$(find "$D" -path '*/systemd/system/parley.service' -type f | head -n 1)
	miss=""
	for f in "$bin" "$prefix/share/man/man1/parley.1" "$prefix/share/man/man5/parley.conf.5" \
		"$prefix/share/bash-completion/completions/parley" "$unit"; do
		[ -n "$f" ] && [ -f "$f" ] || miss="$miss ${f:-parley.service}"
	done
	if [ -n "$bin" ] && [ -z "$miss" ] && [ -x "$bin" ] && "$bin" version > /dev/null; then
		ok "meson install: bin/parley, man1/parley.1, man5/parley.conf.5, completions/parley, parley.service (prefix ${prefix#"$D"})"
	else
		bad "meson install --destdir installs everything (missing:$miss)" "$(cd "$D" && find . -type f)"
	fi
fi
if [ -n "${unit:-}" ] && [ -f "$unit" ]; then
	want="ExecStart=${prefix#"$D"}/bin/parley serve --dir /var/lib/parley"
	miss=""
	grep -qxF "$want" "$unit" || miss="$miss [$want]"
	for d in DynamicUser=yes StateDirectory=parley NoNewPrivileges=yes ProtectSystem=strict \
		ProtectHome=yes PrivateTmp=yes PrivateDevices=yes ProtectKernelTunables=yes \
		ProtectKernelModules=yes ProtectControlGroups=yes \
		'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' RestrictNamespaces=yes \
		LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
		CapabilityBoundingSet= Restart=on-failure; do
		grep -qxF -- "$d" "$unit" || miss="$miss [$d]"
	done
	if [ -z "$miss" ]; then
		ok "parley.service runs $want, sandboxed"
	else
		bad "parley.service lacks" "$miss"
	fi
	# The unit's ExecStart names the installed path, which exists only
	# under the destdir: verify a copy that points at the destdir binary.
	if ! command -v systemd-analyze > /dev/null 2>&1; then
		bad "systemd-analyze is needed (Debian package systemd: scripts/deps.sh)"
	else
		mkdir -p "$T/unit"
		sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$unit" > "$T/unit/parley.service"
		out=$(systemd-analyze verify --man=no "$T/unit/parley.service" 2>&1)
		st=$?
		# verify loads the machine's installed units too: what it says of
		# another package's unit (request-tracker5's names services that are
		# not installed) is not a complaint about ours.
		ours=$(printf '%s\n' "$out" | grep -F parley.service || true)
		if [ $st -eq 0 ] && [ -z "$ours" ]; then
			ok "systemd-analyze verify parley.service: no complaint"
		else
			bad "systemd-analyze verify parley.service" "$out"
		fi
	fi
fi
finish
