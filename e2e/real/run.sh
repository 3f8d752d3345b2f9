#!/usr/bin/env bash
# make e2e-real: prepare (cached builds) → start the real control plane → scenarios → stop.
# Exits non-zero when any step fails. Extra arguments go to jest (e.g. -t 'helm').
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${REAL_CACHE:-$ROOT/.cache/real}
export REAL_RUN=${REAL_RUN:-$CACHE/run}
cd "$ROOT"
t0=$SECONDS
bash "$HERE/prepare.sh"
t_prepare=$((SECONDS - t0))
trap 'bash "$HERE/stop.sh"' EXIT
bash "$HERE/start.sh"
t_start=$((SECONDS - t0 - t_prepare))
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --roots '<rootDir>/e2e' --testMatch '**/*.real-test.ts' \
  --runInBand "$@" || status=$?
echo "[e2e-real] prepare ${t_prepare}s, start ${t_start}s, scenarios $((SECONDS - t0 - t_prepare - t_start))s"
echo "[e2e-real] builds:" && sed 's/^/  /' "$CACHE/build-times.txt"
if [[ $status != 0 ]]; then
  echo "[e2e-real] FAILED; control-plane logs in $CACHE/run/logs" >&2
fi
exit $status
