#!/usr/bin/env bash
# Set everything up and show Podium working: install, ingest the default corpus, then answer a
# question (default), or open the chat page with --ui. It installs what running Podium needs
# and nothing else: no test tools, no torch (scripts/test.sh adds those). Run again, it installs
# nothing and the ingest skips the unchanged transcripts.
#   bash scripts/setup.sh ["question"]     bash scripts/setup.sh --ui
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/podium ingest data/transcripts
if [ "${1:-}" = "--ui" ]; then
  exec .venv/bin/podium ui
fi
.venv/bin/podium ask "${1:-What did Stoltenberg say the Ukrainians are running out of?}"
