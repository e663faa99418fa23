#!/usr/bin/env bash
# Installs what make bench's alternatives need: Debian's python3-boto3 (as
# root, when missing) and bench/node's pinned packages (npm ci, under
# bench/node/node_modules, which git ignores). Idempotent. Every install is
# announced before it starts; BENCH_NO_INSTALL=1 installs nothing (the
# alternatives that lack their packages are then skipped).
set -euo pipefail
cd "$(dirname "$0")"
if [ "${BENCH_NO_INSTALL:-}" = 1 ]; then
  echo ">> bench/setup.sh: BENCH_NO_INSTALL=1: installing nothing"
  exit 0
fi
if ! /usr/bin/python3 -c 'import boto3' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo ">> installing Debian's python3-boto3 (apt-get, as root) for the Python cold starts; BENCH_NO_INSTALL=1 skips this"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3 >/dev/null
  else
    echo "bench/setup.sh: /usr/bin/python3 has no boto3; install Debian's python3-boto3 (the Python cold starts are skipped)" >&2
  fi
fi
if command -v npm >/dev/null; then
  if [ ! -d node/node_modules ] || [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
    echo ">> npm ci in bench/node (its package-lock.json: the AWS SDK for JavaScript, for the Node.js cold starts)"
    (cd node && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "bench/setup.sh: npm not found (the Node.js cold starts are skipped)" >&2
fi
