#!/usr/bin/env bash
# The harder eval: the seed questions with 186 look-alike White House briefings in the index.
# Writes eval/distractors/results.json and report.html (+ .md). Ingest takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
data=${PODIUM_DISTRACTOR_DATA_DIR:-.podium/distractors}
wh=../shared/corpus/wh_briefing_room_2021_2025.jsonl.gz
[ -f "$data/wh_distractors.jsonl.gz" ] || .venv/bin/python -m podium.eval.distractors "$wh" "$data/wh_distractors.jsonl.gz"
PODIUM_MODELS_DIR=${PODIUM_MODELS_DIR:-.podium/models} .venv/bin/podium eval eval/seed.jsonl \
  --data-dir "$data" --out eval/distractors/results.json --report eval/distractors/report.html \
  --ingest data/transcripts "$data/wh_distractors.jsonl.gz" "$@"
