#!/usr/bin/env bash
# The README's test command: installs what the tests need on first use, then runs them all.
# Extra arguments select test files by path prefix (e.g. scripts/test.sh src/pcap).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/setup.sh"
cd "$here"
npx tsc -p tsconfig.json --noEmit
npx biome check .
exec node scripts/run-tests.mjs "$@"
