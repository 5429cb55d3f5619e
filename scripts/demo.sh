#!/usr/bin/env bash
# The README's main command: installs what nettrace needs on first use (Debian packages as root,
# npm dependencies), then runs the demo: the lab up, the seed's four scenarios traced and checked,
# a report per scenario under ./nettrace-demo, and the lab down again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "the demo builds a lab of network namespaces and needs root: sudo $0" >&2
  exit 1
fi
bash "$here/scripts/setup.sh"
exec "$here/bin/nettrace" lab scenario all --up --down --out "${NETTRACE_DEMO_OUT:-$PWD/nettrace-demo}"
