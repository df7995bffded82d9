#!/usr/bin/env bash
# Debian packages the test suite starts on 127.0.0.1 (DESIGN.md 4):
#   victoria-metrics  InfluxDB v2 write protocol (influxdb-client writes)
#   influxdb          InfluxDB 1.6.7: InfluxQL /query and v1 writes
#   chromium          renders the snapshot HTML report headless
# The Kafka broker (tansu) and the Bolt server (FalkorDB) come from PyPI wheels
# in the test extras. Installs only what is missing; needs root or sudo.
set -euo pipefail
missing=()
command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "installing test servers: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# The packages' own services are not wanted: tests start the binaries themselves.
$SUDO env RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
