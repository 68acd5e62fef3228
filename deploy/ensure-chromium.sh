#!/usr/bin/env bash
# Make sure Debian's headless Chromium is installed: the report test
# (tests/lib/publication/test_report.py) and the UI test open pages in it.
set -euo pipefail
exec "$(dirname "$0")/ensure-debian-package.sh" chromium /usr/bin/chromium
