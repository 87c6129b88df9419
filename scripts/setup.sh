#!/usr/bin/env bash
# Installs everything tsdaos needs on a Debian 12 machine, then builds it. Idempotent and quick when
# nothing is missing, so `npm start` and `npm test` both call it first. System packages come from apt
# (libfuse3 headers for dfuse's FUSE addon, FUSE 2 library for the benchmark's fuse-native passthrough,
# fuse3 for fusermount, fio for benchmarks and smoke tests, git for the dfuse application tests, a
# toolchain for native addons); Node packages from npm (see below).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  log "Node.js 20 or newer is required (found $(node --version))"; exit 1
fi

packages=(libfuse3-dev libfuse2 fuse3 fio git build-essential python3 pkg-config)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages when node_modules is absent or older than the lock file. `npm install` rather than
# `npm ci`: npm 11.19 writes only this platform's optional binaries (rollup, esbuild, msgpackr-extract)
# into the lock and then `npm ci` rejects its own lock as out of sync. `npm install` follows the lock's
# pinned versions and leaves it unchanged. Install scripts allowed: package.json "allowScripts".
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node packages (npm install, pinned by package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi

# fuse-native 2.2.6 carries a reviewed patch (patches/, applied by patch-package at npm install): caller
# uid/gid/pid/umask for every request, 64-bit st_ino, utimens with the right mtime and UTIME_NOW/OMIT.
# Rebuild the addon from the patched source once per patch version; a reinstall of fuse-native wipes its
# build directory and with it the stamp, so it is rebuilt then too.
fuse_patch=patches/fuse-native+2.2.6.patch
fuse_stamp="node_modules/fuse-native/build/tsdaos-patch-$(sha256sum "$fuse_patch" | cut -c1-16)"
if [ ! -f "$fuse_stamp" ]; then
  log "applying $fuse_patch and building fuse-native from source"
  npx --no-install patch-package --error-on-fail >/dev/null
  npm_config_build_from_source=true npm rebuild fuse-native --loglevel=error >/dev/null
  touch "$fuse_stamp"
fi

# dfuse's FUSE addon (dfuse/native: the libfuse3 low-level API on Node's event loop), rebuilt whenever
# its sources change.
native_stamp="dfuse/native/build/tsdaos-$(cat dfuse/native/binding.gyp dfuse/native/fuse-lowlevel.c | sha256sum | cut -c1-16)"
if [ ! -f "$native_stamp" ]; then
  log "building dfuse's FUSE addon (node-gyp, libfuse3)"
  (cd dfuse/native && npx --no-install node-gyp rebuild --loglevel=error >/dev/null)
  touch "$native_stamp"
fi

log "building (tsc)"
npx --no-install tsc -p tsconfig.json
