#!/usr/bin/env bash
# Installs what tsbuild needs on a Debian machine, idempotently, then builds it.
# Debian packages: the OCI runtime, the registry, and the independent checkers used by tests.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(runc crun skopeo umoci docker-registry busybox-static shellcheck buildah openssl curl bzip2 xz-utils zstd tmux time)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.tsbuild-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npm run build --silent -- --output-logs=errors-only
