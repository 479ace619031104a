#!/usr/bin/env bash
# Start a Chroma server for [vectorstore] provider = "chroma_server": the `chroma run` that the
# chromadb package installs, offline, with telemetry off. It runs in the foreground; Ctrl-C stops.
#
#   scripts/chroma-server.sh [DIR] [PORT]     DIR: where the server keeps its data
#                                             (default ./chroma-server), PORT: default 8000
#
# It listens on 127.0.0.1 only. On a machine of its own, listen on the network with
# CHROMA_HOST=0.0.0.0 (or that machine's private address); `chroma run` checks no token, so keep
# it on a private network or behind a proxy that checks one (README: "A Chroma server").
set -euo pipefail
dir="${1:-chroma-server}"
port="${2:-8000}"
host="${CHROMA_HOST:-127.0.0.1}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
chroma="${CHROMA:-}"
if [ -z "$chroma" ]; then
  if [ -x "$repo/.venv/bin/chroma" ]; then
    chroma="$repo/.venv/bin/chroma"
  else
    chroma="$(command -v chroma || true)"
  fi
fi
if [ -z "$chroma" ]; then
  echo "chroma-server.sh: no \`chroma\` command; install Podium first (scripts/install.sh)" >&2
  exit 1
fi
export ANONYMIZED_TELEMETRY=False
mkdir -p "$dir"
echo "Chroma server on http://$host:$port, data in $dir (Ctrl-C stops it)" >&2
exec "$chroma" run --path "$dir" --host "$host" --port "$port"
