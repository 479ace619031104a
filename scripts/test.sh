#!/usr/bin/env bash
# Run every check: lint, types, unit and integration tests (real packaged models), the chat page
# in headless Chromium, and the regression gate: the seed eval set with the default local model
# against eval/baseline.json.
set -euo pipefail
cd "$(dirname "$0")/.."
# --slow: also the long variants (10 kills over White House briefings, and other tests marked slow)
if [ "${1:-}" = "--slow" ]; then export PODIUM_SLOW=1; fi
# the providers' tests need their extras (llamacpp is left out: it compiles for 10 minutes), the
# reranker's training tests the train extra; every extra that pulls torch pins the CPU build
bash scripts/install.sh dev,openai,openai-compatible,ollama,huggingface,train
bash scripts/browser.sh
bash scripts/strace.sh  # the offline trace test (tests/integration/test_offline_trace.py)
export REQUIRE_BROWSER=1
.venv/bin/ruff check podium tests bench
.venv/bin/mypy
.venv/bin/pytest
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
# the gate: no case that passed in the baseline may fail, and accuracy stays at its level (0.75)
PODIUM_EVAL__MIN_ACCURACY=0.73 \
PODIUM_MODELS_DIR="$PWD/.podium/models" .venv/bin/podium eval eval/seed.jsonl --no-progress \
  --data-dir "$run" --ingest data/transcripts --baseline eval/baseline.json \
  --out "$run/results.json" --report "$run/report.html"
