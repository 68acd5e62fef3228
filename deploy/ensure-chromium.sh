#!/usr/bin/env bash
# Make sure Debian's headless Chromium is installed: the report test (tests/lib/publication/test_report.py)
# opens rapport.html in it. Idempotent and quiet: does nothing when /usr/bin/chromium exists.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
# As root (CI, the dev container) apt-get runs directly; otherwise through sudo.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
