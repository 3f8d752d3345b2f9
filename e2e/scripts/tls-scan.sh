#!/usr/bin/env bash
# testssl scan of the aggregator's mTLS endpoint, EC and RSA serving certificates from the addon PKI.
# The scan, its flags and the findings accepted as not applicable (with the reasons) are in
# hub-manager/src/aggregator/tls-scan.slow.test.ts, which `make e2e` also runs.
# Reports: out/tls-scan/testssl-{ec,rsa}.{json,txt}. Exits non-zero on any MEDIUM, HIGH or
# CRITICAL finding not listed there, or on a protocol or cipher outside TLS 1.2/1.3 ECDHE+AEAD.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v testssl >/dev/null || {
  echo "testssl not found: run e2e/scripts/system-deps.sh (Debian package testssl.sh)" >&2
  exit 1
}
NODE_OPTIONS=--experimental-vm-modules exec npx jest -c jest.e2e.config.js \
  hub-manager/src/aggregator/tls-scan.slow.test.ts "$@"
