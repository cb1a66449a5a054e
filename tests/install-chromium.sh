#!/usr/bin/env bash
# Installs Debian's chromium when it is missing, for the browser tests of tests/SynergAI.Silo.Tests (headless:
# --dump-dom and --screenshot). Used by tests/run.sh.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
echo "$(basename "$0"): installing chromium (Debian package chromium) for the browser tests" >&2
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
