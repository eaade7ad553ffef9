#!/bin/sh
# demo.sh — set up a fresh Debian 12 machine and run parley's main job, the
# local multi-party demo on the embedded SQLite store.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build parley >/dev/null
exec ./build/parley demo "$@"
