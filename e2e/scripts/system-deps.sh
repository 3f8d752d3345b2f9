#!/usr/bin/env bash
# Debian packages the tests and the demo use. Installs only what is missing.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
# The Prometheus project's exposition-format parser, for the /metrics scrape tests.
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
command -v testssl >/dev/null || need+=(testssl.sh)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
