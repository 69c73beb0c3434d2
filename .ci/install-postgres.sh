#!/usr/bin/env bash
# Installs what the integration tests, the demo and the benchmark need: PostgreSQL 15 server binaries
# (the tests start throwaway clusters from them) and libfaketime (clock-skew tests). Safe to re-run:
# it installs only what is missing, and does nothing at all on a machine that already has both.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
export DEBIAN_FRONTEND=noninteractive

packages=()
[ -x "$PG_BIN/initdb" ] || packages+=(postgresql-15)
dpkg -s libfaketime >/dev/null 2>&1 || packages+=(libfaketime)

if [ ${#packages[@]} -eq 0 ]; then
  echo "install-postgres: postgresql-15 and libfaketime already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-postgres: need root to install ${packages[*]} (try: sudo bash $0)" >&2
  exit 1
fi

# postgresql-common creates and starts a default cluster 15/main on port 5432 when the package is first
# installed. Remember whether one was already there, so we only remove the one this run created.
had_main=0
[ -d /etc/postgresql/15/main ] && had_main=1

echo "install-postgres: installing ${packages[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}"

if [ "$had_main" -eq 0 ] && [ -d /etc/postgresql/15/main ] && command -v pg_dropcluster >/dev/null; then
  # The tests never use it, and on 5432 it could answer a test that meant to reach a cluster it started.
  echo "install-postgres: removing the default cluster 15/main created by the install"
  pg_dropcluster --stop 15 main || echo "install-postgres: could not drop 15/main (continuing)" >&2
fi

[ -x "$PG_BIN/initdb" ] || { echo "install-postgres: $PG_BIN/initdb still missing" >&2; exit 1; }
echo "install-postgres: done"
