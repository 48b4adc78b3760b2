#!/usr/bin/env bash
# Starts Debian's docker-registry (CNCF distribution) on 127.0.0.1:${REGISTRY_PORT:-5000} with
# its own config and storage under ${REGISTRY_DIR:-/var/lib/tsbuild-registry}, unless one
# already answers there. Idempotent; prints the registry's address.
set -euo pipefail
port=${REGISTRY_PORT:-5000}
dir=${REGISTRY_DIR:-/var/lib/tsbuild-registry}
url="http://127.0.0.1:$port/v2/"
if curl -fsS -o /dev/null "$url" 2>/dev/null; then echo "127.0.0.1:$port"; exit 0; fi
mkdir -p "$dir/storage"
cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
nohup /usr/bin/docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
for _ in $(seq 1 50); do
  if curl -fsS -o /dev/null "$url" 2>/dev/null; then echo "127.0.0.1:$port"; exit 0; fi
  sleep 0.1
done
echo "local-registry: docker-registry did not start on 127.0.0.1:$port; see $dir/registry.log" >&2
exit 1
