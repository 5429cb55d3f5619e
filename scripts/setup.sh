#!/usr/bin/env bash
# Installs what nettrace needs on a fresh Debian machine, once: Debian packages (as root) and the
# npm dependencies. Safe to run again: it only installs what is missing. Sourced or run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# command -> Debian package that provides it
declare -A NEED=(
  [tshark]=tshark [tcpdump]=tcpdump [ovs-vswitchd]=openvswitch-switch [ovn-northd]=ovn-central
  [ovn-controller]=ovn-host [conntrack]=conntrack [nft]=nftables [ethtool]=ethtool [ip]=iproute2
  [ping]=iputils-ping [curl]=curl [python3]=python3 [nsenter]=util-linux [pgrep]=procps [chromium]=chromium
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 \
    || missing+=("${NEED[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nettrace setup: missing Debian packages: ${missing[*]}" >&2
    echo "  run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "nettrace setup: installing ${missing[*]} (apt-get)" >&2
  # Never let package scripts start daemons (Open vSwitch, OVN) in the root namespace: the lab
  # starts its own, inside its own namespaces.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
fi

cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "nettrace setup: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
