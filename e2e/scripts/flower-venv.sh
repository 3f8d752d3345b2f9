#!/usr/bin/env bash
# The real Flower for tier 1 (flwr 1.42.0 + numpy, pinned), in a virtualenv under the ignored
# .cache/ folder. Runs once (a stamp records the pinned set); nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.cache/flower-venv
PINS="flwr==1.42.0 numpy==2.4.6"
if [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$PINS" ]; then exit 0; fi
python=/usr/bin/python3
command -v "$python" >/dev/null || python=python3
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
echo "$PINS" > "$VENV/.stamp"
