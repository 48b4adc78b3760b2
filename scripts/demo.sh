#!/usr/bin/env bash
# The README's main command: install what is needed, then plan examples/hello.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
tsbuild() { node packages/cli/bin/tsbuild.js "$@"; }
tsbuild plan examples/hello
