#!/usr/bin/env bash
# bench/wrk/run.sh — the ringlane wrk harness (main entry).
#
#   bench/wrk/run.sh [--duration S] [--connections N] [--rounds R]
#                    [--pipeline 16|0] [--server-cpu C] [--wrk-cpu C]
#                    [--out DIR] [--ref NAME] [--nginx] [--install]
#                    NAME=COMMAND ...
#
# Each NAME=COMMAND is a server to measure: COMMAND runs it in the foreground
# and contains {PORT}, which is replaced by a free port for every start.
# --nginx adds the built-in nginx-light peer (peers/nginx.conf.in).
# --install lets this script apt-get install what is missing (wrk,
# nginx-light when --nginx is given); without it nothing is installed.
#
# This script checks the tools, then hands over to lib/measure.py, which does
# the measuring; `bench/wrk/run.sh --help` lists every option, README.md
# explains how to read the results.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

want_nginx=0
want_install=0
want_help=0
for arg in "$@"; do
    case "$arg" in
        --nginx) want_nginx=1 ;;
        --install) want_install=1 ;;
        -h | --help) want_help=1 ;;
    esac
done

# Debian's python3 first: the harness needs only the standard library.
py=""
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1; then
        py="$(command -v "$cand")"
        break
    fi
done
if [[ -z "$py" ]]; then
    echo "error: python3 not found (apt-get install python3)" >&2
    exit 2
fi
if ((want_help)); then
    exec "$py" "$here/lib/measure.py" --help
fi

apt_install() {
    echo "installing: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if ((${#missing[@]})); then
    if ((want_install)); then
        apt_install "${missing[@]}"
    else
        echo "error: missing ${missing[*]} (apt-get install ${missing[*]}, or rerun with --install)" >&2
        exit 2
    fi
fi

if ((want_nginx)) && [[ ! -x "${NGINX_BIN:-/usr/sbin/nginx}" ]]; then
    if ((want_install)); then
        apt_install nginx-light
    fi
    # If it is still missing, measure.py prints
    # "skipped nginx: not installed (apt-get install nginx-light)" and goes on.
fi

if ! command -v perf >/dev/null 2>&1; then
    echo "note: perf not found, syscalls/request will not be counted (apt-get install linux-perf)"
fi

exec "$py" "$here/lib/measure.py" "$@"
