#!/usr/bin/env bash
# bench/static/run.sh [SIZE] [wrk harness options...] -- static files:
# apps/static against nginx (bench/static/nginx-static) serving the same
# SIZE-byte file (default 4096), through bench/wrk/run.sh: interleaved
# rounds, medians, CPU-µs per request relative to nginx.
#
#   bench/static/run.sh 4096 --duration 10 --rounds 3
#   bench/static/run.sh 262144 --connections 64
#
# The file is random bytes under build/static-bench/; build apps/static
# first (meson/ninja, build/release).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
size=4096
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
  size=$1
  shift
fi
root=$repo/build/static-bench
mkdir -p "$root"
file=$size.bin
[[ -f $root/$file && $(stat -c %s "$root/$file") -eq $size ]] || head -c "$size" /dev/urandom >"$root/$file"
static=$repo/build/release/apps/static/static
[[ -x $static ]] || { echo "error: $static not built (ninja -C build/release)" >&2; exit 1; }
exec "$repo/bench/wrk/run.sh" --path "/$file" --ref nginx-static "$@" \
  "nginx-static=$repo/bench/static/nginx-static {PORT} $root" \
  "static=$static --root $root --host 127.0.0.1 --port {PORT} --workers 1 --log off"
