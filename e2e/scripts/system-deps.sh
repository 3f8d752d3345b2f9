#!/usr/bin/env bash
# Debian packages the tests and the demo use. Installs only what is missing.
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
# The Prometheus project's exposition-format parser, for the /metrics scrape tests.
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
command -v testssl >/dev/null || need+=(testssl.sh)
# Containers on the embedded tier (make images, runc pods): buildah builds offline from base
# images made from this host (busybox-static, python3-pip go into them), docker-registry serves
# them, skopeo + umoci pull and unpack, runc runs (crun fails on cgroup v1 hybrid hosts).
for tool in runc buildah skopeo umoci docker-registry; do command -v $tool >/dev/null || need+=($tool); done
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v ip >/dev/null || need+=(iproute2)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The real Flower (framework: flower) in a virtualenv under .cache/, pinned, from PyPI.
bash "$(dirname "$0")/flower-venv.sh"
