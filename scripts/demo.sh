#!/usr/bin/env bash
# The README's main command: installs what nettrace needs on first use, then runs the demo.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$here/scripts/setup.sh"
cd "$here"
exec npm run --silent demo
