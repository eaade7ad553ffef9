#!/bin/sh
# deps.sh — installs the Debian 12 packages parley needs to build, test and
# run, when they are missing: apt-get as root, through sudo otherwise.
# postgresql is the server the suite runs the store tests against
# (scripts/pg.sh starts a throwaway cluster; the package's own cluster is
# not used). mandoc lints the man pages and systemd's systemd-analyze
# verifies the unit (tests/integration/docs.sh). The console needs Node.js
# and npm (Debian's, unless a node is already installed) to fetch its
# charting library (web/) and playwright-core (tests/console/) with
# `npm ci` from their lock files, and Debian's chromium for its browser
# tests: playwright never downloads a browser.
set -eu

PKGS="gcc pkg-config meson ninja-build libsodium-dev nettle-dev libsqlite3-dev
libjansson-dev libcmocka-dev sqlite3 libgnutls28-dev libmicrohttpd-dev
libcurl4-gnutls-dev curl libcsv-dev valgrind libpq-dev postgresql mandoc systemd python3-jsonschema
chromium faketime"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
[ "${PARLEY_FUZZ:-0}" = 1 ] && PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
		|| missing="$missing $p"
done

# npm ci DIR: the exact packages of DIR's lock file, when node_modules is
# older than the lock (or missing). No install scripts run.
npm_ci() {
	if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules" ]; then
		echo "deps.sh: npm ci in $1"
		(cd "$1" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund) || return 1
		touch "$1/node_modules"
	fi
}

if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps.sh: need root or sudo to install:$missing" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
root=$(cd "$(dirname "$0")/.." && pwd)
npm_ci "$root/web"
npm_ci "$root/tests/console"
