#!/usr/bin/env bash
# Make sure the browser for the UI tests is installed: Debian's chromium and chromium-driver
# (/usr/bin/chromium, /usr/bin/chromedriver). Idempotent and quiet when they are already there.
# Installs only through apt; never downloads a browser any other way.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
PACKAGES=(chromium chromium-driver)

present() { [ -x "$CHROMIUM" ] && [ -x "$DRIVER" ]; }

fail() {
  echo "scripts/browser.sh: $*" >&2
  echo "  install them yourself: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
  exit 1
}

present && exit 0

command -v apt-get >/dev/null 2>&1 \
  || fail "$CHROMIUM or $DRIVER is missing and apt-get is not available (not Debian/Ubuntu?)"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  fail "$CHROMIUM or $DRIVER is missing; installing needs root and sudo is not available"
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

present || fail "apt-get finished but $CHROMIUM or $DRIVER is still missing"
