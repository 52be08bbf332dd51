#!/usr/bin/env bash
# Installs what the console and its tests need on a Debian machine, idempotently: the Debian
# packages in scripts/debian-packages.txt that are missing, then the npm packages (npm ci)
# when node_modules is missing or older than package-lock.json. Used by .ci/run and by the
# README's two commands (npm start, npm test), so a fresh clone needs no other step.
#   scripts/setup.sh          Debian packages + npm packages
#   scripts/setup.sh --npm    npm packages only (the start command: it needs no browser)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--npm" ]; then
  missing=()
  lean=()
  while read -r pkg flag; do
    [ -z "$pkg" ] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
    if [ "${flag:-}" = "--no-install-recommends" ]; then lean+=("$pkg"); else missing+=("$pkg"); fi
  done < <(sed -e 's/#.*//' scripts/debian-packages.txt)
  if [ "${#missing[@]}" -gt 0 ] || [ "${#lean[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]} ${lean[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    if [ "${#missing[@]}" -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ "${#lean[@]}" -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
    fi
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci; better-sqlite3 builds from source, about a minute)"
  # The Electron binary is a download from outside the npm registry: skip it (see README).
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
