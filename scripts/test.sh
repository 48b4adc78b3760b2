#!/usr/bin/env bash
# The whole test suite: install, build, run every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
npx vitest run "$@"
