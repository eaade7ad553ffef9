#!/bin/sh
# bench/rt5.sh — parley case creation (POST /api/v1/cases on a real node
# whose peer is up, so every case also goes out over mutual TLS) against
# Request Tracker 5 ticket creation (POST /REST/2.0/ticket, Debian's
# request-tracker5 with its own standalone server, rt-server/Starlet, and
# an SQLite database), same machine, same run, same concurrency, same load
# generator (bench_http load: C threads, one keep-alive connection each).
#   sh bench/rt5.sh [N] [CONCURRENCIES]        default 200 "1 8"
# N tickets per concurrency; RT with a token (Authorization: token,
# bcrypt-checked on every request) gets N/4 (at least 10); parley gets 4 N
# cases (PARLEY_N to change it): N = 400 lasts under a second for parley,
# so a single WAL checkpoint (one every ~1000 pages written) decided the
# row; rates are per second, and a run of several seconds counts the
# checkpoints in proportion, as RT's runs of a minute count its stalls. Installs
# request-tracker5, rt5-db-sqlite and rt5-standalone with apt-get when
# missing (as root or through sudo): the test suite does not need them, so
# scripts/deps.sh does not list them. What it installed it removes at the
# end (their dependencies stay), unless RT5_KEEP=1: request-tracker5's
# systemd unit names services that are not installed, which systemd-analyze
# reports when it verifies any unit. Everything else lives in a temporary
# directory, removed at the end: RT's database, site config, Mason cache.
set -eu
cd "$(dirname "$0")/.."
n=${1:-200}
concs=${2:-1 8}
ntok=$((n / 4 < 10 ? 10 : n / 4))
npar=${PARLEY_N:-$((n * 4))}

missing=""
for p in request-tracker5 rt5-db-sqlite rt5-standalone; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ -n "$missing" ]; then
	echo "rt5.sh: installing$missing"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

dir=$(mktemp -d /tmp/parley-rt5.XXXXXX)
pids=""
if [ "${RT5_KEEP:-0}" = 1 ]; then missing=""; fi
# shellcheck disable=SC2086
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"
	[ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq $missing >/dev/null; true' EXIT INT TERM
. bench/nodes.sh
H=./build-release/bench/bench_http

# Request Tracker: site config in $dir/rt, nothing from /etc/request-tracker5
# (RT_SITE_CONFIG_DIR points at an empty directory).
rtport=$((30000 + ($$ + 7919) % 20000))
mkdir -p "$dir/rt/etc.d" "$dir/rt/mason" "$dir/rt/sessions"
cat >"$dir/rt/RT_SiteConfig.pm" <<EOF
Set(\$rtname, 'rt.bench');
Set(\$Organization, 'bench');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $rtport);
Set(\$WebPath, '');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$dir/rt/rtdb');
Set(\$MasonDataDir, '$dir/rt/mason');
Set(\$MasonSessionDir, '$dir/rt/sessions');
Set(\$LogToSTDERR, 'error');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
1;
EOF
RT_SITE_CONFIG=$dir/rt/RT_SiteConfig.pm
RT_SITE_CONFIG_DIR=$dir/rt/etc.d
export RT_SITE_CONFIG RT_SITE_CONFIG_DIR
/usr/sbin/rt-setup-database-5 --action init --skip-create >"$dir/rt/setup.log" 2>&1 ||
	{ echo "rt-setup-database failed:" >&2; cat "$dir/rt/setup.log" >&2; exit 1; }
/usr/share/request-tracker5/libexec/rt-server --port "$rtport" >"$dir/rt/server.log" 2>&1 &
pids="$pids $!"
rt=http://127.0.0.1:$rtport
t=0
until curl -sf -o /dev/null -u root:password "$rt/REST/2.0/queues/all"; do
	[ $t -lt 600 ] || { echo "rt-server did not answer in 60 s:" >&2; cat "$dir/rt/server.log" >&2; exit 1; }
	sleep 0.1
	t=$((t + 1))
done
# A session cookie (the web UI's login: no password check per request) and
# an auth token (RT::Authen::Token, core in RT 5) for root. With the
# cookie, RT's cross-site request forgery check wants the Referer a
# browser on RT's own pages sends (Debian's 5.0.3+dfsg-3~deb12u7 refuses
# the request without it: HTTP 403).
curl -sf -o /dev/null -c "$dir/rt/cookies" -d 'user=root&pass=password' "$rt/NoAuth/Login.html"
cookie="Cookie: $(awk '/RT_SID/ { print $6 "=" $7 }' "$dir/rt/cookies")"
referer="Referer: $rt/"
rttoken=$(perl -I/usr/share/request-tracker5/lib -e '
use RT; RT::LoadConfig(); RT::Init();
my $u = RT::CurrentUser->new(RT->SystemUser); $u->Load("root");
my ($id, $msg, $s) = RT::AuthToken->new($u)->Create(Owner => $u->id, Description => "bench");
print $s or die "token: $msg\n";' 2>>"$dir/rt/setup.log")
ticket='{"Queue":"General","Subject":"Scanning from AS64500","Content":"ssh brute force from 192.0.2.0/24, first seen 2026-11-20"}'
# Every Starlet worker compiles RT's templates on its first request: warm
# them all up, untimed.
$H load "$rt/REST/2.0/ticket" "$ticket" 30 10 "$cookie" "$referer" >/dev/null

two_nodes
api=https://127.0.0.1:$((base + 1))/api/v1/cases

rate() { sed -n 's/.* rate \([0-9.]*\) .*/\1/p'; }
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average $(loadavg) at the start"
echo "RT: $(dpkg-query -W -f='${Version}' request-tracker5), rt-server (Starlet), SQLite; parley: $(git describe --always --dirty), release build, SQLite"
printf '%5s %11s %16s %14s %14s %12s %12s\n' C "N RT/parley" "RT session t/s" "RT token t/s" "parley c/s" "ratio/sess" "ratio/token"
for c in $concs; do
	rs=$($H load "$rt/REST/2.0/ticket" "$ticket" "$n" "$c" "$cookie" "$referer")
	rtk=$($H load "$rt/REST/2.0/ticket" "$ticket" "$ntok" "$c" "Authorization: token $rttoken")
	pc=$($H load "$api" "$CASE_JSON" "$npar" "$c" "Authorization: Bearer $TOKEN")
	for line in "$rs" "$rtk" "$pc"; do
		case $line in *first\ failure*) echo "failures: $line" >&2 ;; esac
	done
	r1=$(echo "$rs" | rate) r2=$(echo "$rtk" | rate) r3=$(echo "$pc" | rate)
	printf '%5s %11s %16s %14s %14s %12.1f %12.1f\n' "$c" "$n/$npar" "$r1" "$r2" "$r3" \
		"$(echo "$r3 / $r1" | bc -l)" "$(echo "$r3 / $r2" | bc -l)"
	echo "      RT session: $rs" | sed -n 1p
	echo "      RT token:   $rtk" | sed -n 1p
	echo "      parley:     $pc" | sed -n 1p
done
settle
echo "all $(($(echo "$concs" | wc -w) * npar)) cases receipted by b.example; load average $(loadavg) at the end"
echo "target (DESIGN.md): parley >= 100 x RT"
