#!/usr/bin/env bash
# Make sure the browser for the UI tests is installed: Debian's chromium and chromium-driver
# (/usr/bin/chromium, /usr/bin/chromedriver). Never downloads a browser any other way.
exec bash "$(dirname "$0")/apt-ensure.sh" "chromium chromium-driver" \
  /usr/bin/chromium /usr/bin/chromedriver
