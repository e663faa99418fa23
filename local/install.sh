#!/usr/bin/env bash
# Installs what the local stack needs, pinned by the project's own files:
# cognito-local and its packages from local/package-lock.json (npm ci), and
# Node.js itself from Debian when npm is missing. With --browser, also what
# only the tests need (make test): Debian's chromium, which the dashboard
# page's test drives, and promtool, which checks the committed rules.
# Idempotent: does nothing when everything is in place. Every system package
# is announced before it is installed.
set -euo pipefail
cd "$(dirname "$0")"
browser=false
for arg in "$@"; do
  case "$arg" in
    --browser) browser=true ;;
    *) echo "usage: $0 [--browser]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
if [ -f package-lock.json ] && ! command -v npm >/dev/null 2>&1; then
  echo ">> installing Debian's nodejs and npm (apt-get${SUDO:+ with sudo}): cognito-local runs on Node.js"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo ">> npm ci (local/package-lock.json: cognito-local, pinned)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
if $browser && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    # The dashboards' page test drives Debian's chromium headless (version pinned by the distribution).
    echo ">> installing Debian's chromium (apt-get, about 350 MB): the dashboard page's test drives it headless"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "local/install.sh: chromium is missing and this is not root: install Debian's chromium, or the dashboard page's browser tests fail" >&2
  fi
fi
# The tests check the committed Prometheus rules with promtool. Debian's prometheus package ships
# it beside a Prometheus server that it would enable where systemd runs: take promtool alone.
if $browser && ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo ">> promtool from Debian's prometheus package"
  tmp=$(mktemp -d) && chown _apt "$tmp" # apt-get download writes as _apt
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq prometheus && dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool)
  install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
  rm -rf "$tmp"
fi
