#!/usr/bin/env bash
# make e2e-real: prepare (cached builds) → start the real control plane → scenarios → stop.
# Exits non-zero when any step fails. Extra arguments go to jest (e.g. -t 'helm').
# Stage 1: real API server, helm, clusteradm. Stage 2 (REAL_STAGE2=0 skips it): the real OCM
# hub controllers and two klusterlets, on fresh control planes: the hub ($REAL_RUN) and a
# second managed cluster ($REAL_RUN_C2).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${REAL_CACHE:-$ROOT/.cache/real}
export REAL_RUN=${REAL_RUN:-$CACHE/run}
export REAL_RUN_C2=${REAL_RUN_C2:-$CACHE/run-c2}
cd "$ROOT"
t0=$SECONDS
bash "$HERE/prepare.sh"
t_prepare=$((SECONDS - t0))
trap 'bash "$HERE/stop.sh"; REAL_RUN=$REAL_RUN_C2 bash "$HERE/stop.sh"' EXIT
bash "$HERE/start.sh"
t_start=$((SECONDS - t0 - t_prepare))
status=0
scenarios() { # test file pattern, extra jest args
  local pattern=$1
  shift
  local report=()
  [[ -n ${JEST_REPORT_DIR:-} ]] && report=(--json --outputFile="$JEST_REPORT_DIR/real-$(basename "$pattern" .real-test.ts).json")
  NODE_OPTIONS=--experimental-vm-modules npx jest --roots '<rootDir>/e2e' --testMatch "$pattern" --runInBand "${report[@]}" "$@"
}
scenarios '**/stage1.real-test.ts' "$@" || status=$?
# Stage 2: real OCM hub controllers and klusterlets, on fresh control planes (hub + c2).
t_stage2=$SECONDS
if [[ ${REAL_STAGE2:-1} != 0 ]]; then
  bash "$HERE/start.sh"
  REAL_RUN=$REAL_RUN_C2 bash "$HERE/start.sh"
  scenarios '**/stage2.real-test.ts' "$@" || status=$?
else
  echo "[e2e-real] stage 2 skipped (REAL_STAGE2=0)"
fi
t_stage2=$((SECONDS - t_stage2))
echo "[e2e-real] prepare ${t_prepare}s, start ${t_start}s, stage 1 $((SECONDS - t0 - t_prepare - t_start - t_stage2))s, stage 2 (with its start) ${t_stage2}s"
echo "[e2e-real] builds:" && sed 's/^/  /' "$CACHE/build-times.txt"
if [[ $status != 0 ]]; then
  echo "[e2e-real] FAILED; control-plane and OCM logs in $REAL_RUN/logs and $REAL_RUN_C2/logs" >&2
fi
exit $status
