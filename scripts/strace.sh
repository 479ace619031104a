#!/usr/bin/env bash
# Make sure strace is installed (/usr/bin/strace), for tests/integration/test_offline_trace.py,
# which traces ingest, ask, eval and the page for network attempts. Idempotent and quiet when it
# is already there. Installs only through apt.
set -euo pipefail

STRACE=/usr/bin/strace
PACKAGES=(strace)

present() { [ -x "$STRACE" ]; }

fail() {
  echo "scripts/strace.sh: $*" >&2
  echo "  install it yourself: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
  exit 1
}

present && exit 0

command -v apt-get >/dev/null 2>&1 \
  || fail "$STRACE is missing and apt-get is not available (not Debian/Ubuntu?)"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  fail "$STRACE is missing; installing needs root and sudo is not available"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_install() {
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends \
    "${PACKAGES[@]}" >>"$log" 2>&1
}

echo "installing ${PACKAGES[*]} with apt-get…" >&2
if ! apt_install; then
  # The package lists may be missing or stale: refresh them once and retry.
  if ! DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get update >>"$log" 2>&1 \
      || ! apt_install; then
    tail -30 "$log" >&2
    fail "apt-get could not install ${PACKAGES[*]} (output above)"
  fi
fi

present || fail "apt-get finished but $STRACE is still missing"
