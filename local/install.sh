#!/usr/bin/env bash
# Installs what the tests and the local stack need, pinned by the project's own
# files. Idempotent: does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo ">> npm ci (local/package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
