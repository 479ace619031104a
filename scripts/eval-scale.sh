#!/usr/bin/env bash
# Both eval sets (eval/seed.jsonl, eval/wide.jsonl) over the 1,755-document index of docs/scale.md,
# the corpus users really have: the first 642 records of the White House corpus (press
# briefings, as .podium/full held them), the 1,148 documents of the original wide index (the
# look-alikes of w01-w50, as scripts/eval-wide.sh chose them), and the five seed transcripts;
# plus every source of eval/wide.jsonl that is not among them (31 for w01-w158: 1,786 in all).
#
# Builds or resumes the index: the input list is rebuilt on every run (deterministic, ~30 s, so
# new wide sources join it), and `podium ingest` skips complete documents and redoes pending ones,
# so a run killed half way continues when started again. The ingest takes hours on 2 cores
# (about 100,000 chunks); each eval run about an hour.
# Writes eval/full/seed.json, eval/full/wide.json and their reports (.html + .md).
#
#   bash scripts/eval-scale.sh                 # index, ingest, both sets
#   bash scripts/eval-scale.sh --index-only    # only write the index input list
#   PODIUM_SCALE_DATA_DIR=/tmp/fullx bash scripts/eval-scale.sh   # another data dir
# Other arguments go to both `podium eval` runs (e.g. --limit 5). A data dir that already holds
# other documents keeps them (no --prune): start from an empty one for the figures of the README.
set -euo pipefail
cd "$(dirname "$0")/.."
index_only=false
if [ "${1:-}" = "--index-only" ]; then index_only=true; shift; fi
$index_only || bash scripts/install.sh
python=.venv/bin/python
[ -x "$python" ] || python=python3
data=${PODIUM_SCALE_DATA_DIR:-.podium/scale}
corpus=../shared/corpus
wh="$corpus/wh_briefing_room_2021_2025.jsonl.gz"
un="$corpus/un_general_debate_2014_2024.jsonl.gz"
index="$data/scale_index.jsonl.gz"
mkdir -p "$data"

# 1. The index input list. The terms are those of scripts/eval-wide.sh (keep them the same).
nice "$python" - "$data" "$index" "$wh" "$un" <<'PY'
import gzip, json, sys
from itertools import islice
from pathlib import Path
from podium.eval.dataset import load_dataset
from podium.eval.lookalikes import build

data, index, wh, un = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
FIRST_WH = 642   # how many White House records .podium/full held when eval/full/ was first run
ORIGINAL = {f"w{n:02d}" for n in range(1, 51)}   # the wide set the 1,148-document index was built for
TERMS = ["Brent Spence", "Grand Canyon", "Colonial Pipeline", "Gun Violence Prevention",
         "misinformation", "Olympic", "earthquake", "mental health", "sea level", "Christchurch",
         "Donbas", "Typhoon"]

wide = Path("eval/wide.jsonl")
lines = [line for line in wide.read_text(encoding="utf-8").splitlines() if line.strip()]
original = data / "wide_w01-w50.jsonl"
original.write_text("".join(line + "\n" for line in lines if json.loads(line)["id"] in ORIGINAL),
                    encoding="utf-8")
lookalikes = data / "wide_w01-w50_index.jsonl.gz"
build([wh, un], [original], lookalikes, terms=TERMS)
with gzip.open(lookalikes, "rt", encoding="utf-8") as fh:
    keep = {json.loads(line)["id"] for line in fh if line.strip()}
base = len(keep)

def records(path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line, json.loads(line)["id"]

keep.update(doc_id for _, doc_id in islice(records(wh), FIRST_WH))
before = len(keep)
keep.update(s for case in load_dataset([wide]) for s in case.sources)
partial, written = index.with_name(index.name + ".part"), set()
with gzip.open(partial, "wt", encoding="utf-8") as dst:
    for corpus in (wh, un):
        for line, doc_id in records(corpus):
            if doc_id in keep and doc_id not in written:
                dst.write(line if line.endswith("\n") else line + "\n")
                written.add(doc_id)
partial.replace(index)
missing = keep - written
if missing:
    sys.exit(f"eval-scale: {len(missing)} source(s) in neither corpus: {sorted(missing)[:5]}")
print(f"{index}: {len(written)} documents: the first {FIRST_WH} White House records and the "
      f"{base} of the w01-w50 wide index ({before} together), {len(written) - before} more "
      f"wide sources; the 5 seed transcripts are ingested from data/transcripts")
PY
$index_only && exit 0

# 2. Ingest (resumable; exit 3 means some inputs were skipped and listed, the rest ingested).
export PODIUM_MODELS_DIR=${PODIUM_MODELS_DIR:-.podium/models}
code=0
.venv/bin/podium ingest --data-dir "$data" "$index" data/transcripts || code=$?
[ "$code" -eq 0 ] || [ "$code" -eq 3 ] || exit "$code"

# 3. Both sets, each against its small-index run; a failed gate in one still runs the other.
status=0
.venv/bin/podium eval eval/seed.jsonl --data-dir "$data" --baseline eval/baseline.json \
  --out eval/full/seed.json --report eval/full/seed.html "$@" || status=$?
.venv/bin/podium eval eval/wide.jsonl --data-dir "$data" --baseline eval/wide/results.json \
  --out eval/full/wide.json --report eval/full/wide.html "$@" \
  || { code=$?; if [ "$code" -gt "$status" ]; then status=$code; fi; }
exit "$status"
