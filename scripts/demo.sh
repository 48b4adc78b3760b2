#!/usr/bin/env bash
# The README's main command: install what is needed, start a local registry, make the busybox
# base image (there is no Docker Hub here) and push it where `FROM busybox` finds it (a mirror of
# docker.io), then build examples/hello, push it, and show what the registry holds and what the
# image prints when run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
tsbuild() { packages/cli/bin/tsbuild.js "$@"; }

registry=$(./scripts/local-registry.sh)
export TSBUILD_REGISTRY_MIRRORS="http://$registry"

echo "== base image: busybox from Debian's busybox-static -> $registry/library/busybox"
./scripts/make-busybox-rootfs.sh
tsbuild build --progress plain --source-date-epoch 0 -t "$registry/library/busybox:latest" --push examples/busybox

echo "== build and push examples/hello"
tsbuild build --pull -t "$registry/hello:latest" --push examples/hello

echo "== what the registry holds"
skopeo inspect --tls-verify=false "docker://$registry/hello:latest" | node -e '
  const i = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(`${i.Name}@${i.Digest}\n  layers: ${i.Layers.length}  created: ${i.Created}\n  cmd/env from the config:`);'
skopeo inspect --tls-verify=false --config "docker://$registry/hello:latest" | node -e '
  const c = JSON.parse(require("fs").readFileSync(0, "utf8")).config;
  console.log(`  Cmd=${JSON.stringify(c.Cmd)} WorkingDir=${c.WorkingDir} Env=${JSON.stringify(c.Env)}`);'

echo "== running it"
tsbuild run --rm "$registry/hello:latest"
