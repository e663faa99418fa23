#!/usr/bin/env bash
# Installs what the tests and the local stack need, pinned by the project's own
# files. Idempotent: does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ] && ! command -v npm >/dev/null 2>&1; then
  # cognito-local runs on Node.js: Debian's nodejs and npm packages provide it.
  echo ">> apt-get install nodejs npm"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo ">> npm ci (local/package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
# The dashboards' page test drives Debian's chromium headless (version pinned by the distribution).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo ">> apt-get install chromium"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# The committed Prometheus rules are checked with promtool. Debian's prometheus package ships it
# beside a Prometheus server that it would enable where systemd runs: take promtool alone.
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo ">> promtool from Debian's prometheus package"
  tmp=$(mktemp -d) && chown _apt "$tmp" # apt-get download writes as _apt
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq prometheus && dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool)
  install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
fi
