#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries are installed: the shared-deployment test
# (tests/ops/test_postgres_deployment.py) starts a throwaway server with them (initdb,
# pg_ctl, as the `postgres` user the package creates). The package's own cluster (port
# 5432) is not used by the tests.
set -euo pipefail
"$(dirname "$0")/ensure-debian-package.sh" postgresql '/usr/lib/postgresql/*/bin/initdb'
id postgres >/dev/null
