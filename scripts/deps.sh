#!/usr/bin/env bash
# deps.sh - installs what sismo needs on Debian (12 "bookworm" or newer), skipping what is
# already there, so that `make run` and `make test` work on a fresh machine.
#
# usage: scripts/deps.sh [--test]
#   (none)  build and run: compiler, librdkafka, libcurl, jansson, libevent; npm web assets
#   --test  also the test peers: kcat, python3-confluent-kafka, python3-kafka, chromium,
#           clang (libFuzzer for tests/integ/0009-fuzz.sh),
#           valgrind, and the npm test tools (kafkajs, playwright-core)
# Uses sudo when not run as root. Network: Debian's archive and the npm registry only.
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(build-essential pkg-config librdkafka-dev libcurl4-openssl-dev libjansson-dev
            libevent-dev nodejs npm ca-certificates)
test_pkgs=(kcat python3 python3-confluent-kafka python3-kafka python3-yaml chromium clang
           valgrind curl procps iproute2)

want=("${build_pkgs[@]}")
[ "${1:-}" = --test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
    # nodejs/npm may come from elsewhere (nvm, NodeSource): accept any working node + npm.
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages (web assets built into the binary, test tools), pinned by package-lock.json.
if [ -f package-lock.json ]; then
    stamp=node_modules/.sismo-lock
    if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
        echo "deps: npm ci"
        npm ci --no-audit --no-fund --loglevel=error
        cp package-lock.json "$stamp"
    fi
fi
