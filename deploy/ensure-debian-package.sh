#!/usr/bin/env bash
# Make sure a Debian package the tests use is installed: ensure-debian-package.sh PACKAGE GLOB
# does nothing when a file matches GLOB, else installs PACKAGE with apt-get and checks
# again. Idempotent and quiet. As root (CI, the dev container) apt-get runs directly;
# otherwise through sudo.
set -euo pipefail
package=$1
installed=$2

if compgen -G "$installed" >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "$package" >/dev/null
compgen -G "$installed" >/dev/null
