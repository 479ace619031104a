#!/usr/bin/env bash
# Set everything up and show Podium working: install, ingest the default corpus, answer a question.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/podium ingest data/transcripts
.venv/bin/podium ask "${1:-What did Stoltenberg say the Ukrainians are running out of?}"
