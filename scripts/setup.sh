#!/usr/bin/env bash
# Install everything zhuanbao needs on a fresh Debian machine: fonts and PDF tools, then the package.
set -euo pipefail
cd "$(dirname "$0")/.."
# postgresql: the registry's tests start a throwaway server (initdb + pg_ctl) to test against
APT_PACKAGES="fonts-noto-cjk fonts-arphic-ukai poppler-utils libharfbuzz-subset0 postgresql chromium chromium-driver libreoffice-writer-nogui"
missing=""
for pkg in $APT_PACKAGES; do dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
# constraints.txt: versions known to work together (refresh: bash scripts/lock.sh); dev brings the opt-in extras
# the tests run (scale, s3, sql)
python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev,postgres,docs]"
