#!/usr/bin/env bash
# Make sure a Debian package's program is installed, through apt only. Idempotent and quiet when
# every given path is already there.
#   bash scripts/apt-ensure.sh "PACKAGE [PACKAGE…]" PATH [PATH…]
# e.g. bash scripts/apt-ensure.sh "chromium chromium-driver" /usr/bin/chromium /usr/bin/chromedriver
set -euo pipefail

read -r -a PACKAGES <<<"$1"
shift
PATHS=("$@")

present() { for p in "${PATHS[@]}"; do [ -x "$p" ] || return 1; done; }

fail() {
  echo "scripts/apt-ensure.sh: $*" >&2
  echo "  install them yourself: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
  exit 1
}

present && exit 0

command -v apt-get >/dev/null 2>&1 \
  || fail "${PATHS[*]} missing and apt-get is not available (not Debian/Ubuntu?)"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  fail "${PATHS[*]} missing; installing needs root and sudo is not available"
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

present || fail "apt-get finished but ${PATHS[*]} still missing"
