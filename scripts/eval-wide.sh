#!/usr/bin/env bash
# The held-out-style eval: eval/wide.jsonl (White House briefings and UN General Debate speeches)
# with its 23 source documents and about 1,100 look-alike distractors in the index.
# Writes eval/wide/results.json and report.html (+ .md). Ingest takes a while (2.2 M words).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
data=${PODIUM_WIDE_DATA_DIR:-.podium/wide}
corpus=../shared/corpus
index="$data/wide_index.jsonl.gz"
[ -f "$index" ] || .venv/bin/python -m podium.eval.lookalikes "$index" --eval eval/wide.jsonl \
  --corpus "$corpus/wh_briefing_room_2021_2025.jsonl.gz" \
  --corpus "$corpus/un_general_debate_2014_2024.jsonl.gz" \
  --term "Brent Spence" --term "Grand Canyon" --term "Colonial Pipeline" \
  --term "Gun Violence Prevention" --term "misinformation" --term "Olympic" --term "earthquake" \
  --term "mental health" --term "sea level" --term "Christchurch" --term "Donbas" --term "Typhoon"
PODIUM_MODELS_DIR=${PODIUM_MODELS_DIR:-.podium/models} .venv/bin/podium eval eval/wide.jsonl \
  --data-dir "$data" --ingest "$index" \
  --out eval/wide/results.json --report eval/wide/report.html "$@"
