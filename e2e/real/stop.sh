#!/usr/bin/env bash
# Stops what start.sh started: only the PIDs it recorded in $RUN/pids, newest first.
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=${REAL_RUN:-${REAL_CACHE:-$(cd "$HERE/../.." && pwd)/.cache/real}/run}
[[ -f $RUN/pids ]] || exit 0
tac "$RUN/pids" | while read -r name pid; do
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null && echo "[stop] $name needed SIGKILL" >&2
done
rm -f "$RUN/pids"
