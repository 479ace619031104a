"""Replay the answer checks on recorded replies: what would today's sentence checks make of
the writer's replies that an eval run recorded?

Every check after the writer (podium.qa.support, the composer, the fallback quote, the
abstention rules of podium.qa.engine) is a function of the question, the passages shown and
the model's raw reply, all of which `podium eval --out` records. Replaying them needs only the
embedding model, so a change to a check can be measured on every eval set in a minute, alone,
without regenerating a single answer. Cases that abstained before the writer ran are kept as
recorded. The first line compares the replay with the recorded outcome, so run it on unchanged
code first: every case must read "same".

    .venv/bin/python bench/replay_checks.py eval/baseline.json eval/seed.jsonl \\
        eval/wide/results.json eval/wide.jsonl [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from podium.config import load_settings
from podium.eval.dataset import Case, load_dataset
from podium.eval.metrics import key_fact_reasons
from podium.models import build_embedder
from podium.qa.compose import Composer
from podium.qa.engine import settle
from podium.qa.evidence import Embed, Passage, normalised
from podium.qa.support import SentenceChecker


def replay(ask: dict[str, Any], embed: Embed, settings: Any) -> tuple[str, bool]:
    """(answer text, abstained) that the checks give for the recorded reply."""
    reply = ask.get("reply") or ""
    if ask["abstained"] and not reply:
        return ask["answer"], True  # abstained before the writer: no check involved
    passages = [Passage(s["doc_id"], s["title"], s["date"], s["speaker"], s["start"], s["end"],
                        s["quote"], s["similarity"], 0.0) for s in ask["sources"]]
    vectors = normalised(embed([p.text for p in passages]))
    question = ask["standalone_question"]

    def fresh() -> Composer:
        return Composer(SentenceChecker(question, passages, embed, vectors, settings), passages)

    written = fresh()
    written.feed(reply)
    written.close()
    composer, outcome = settle(written, fresh)
    return (composer.text, False) if outcome == "answer" else ("", True)


def main() -> int:
    """Print each case whose outcome changes, and the accuracy per set, recorded and replayed."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="+", type=Path,
                        help="RESULTS.json DATASET.jsonl, one pair per eval set")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give results and dataset in pairs")
    settings = load_settings().settings
    model, _ = build_embedder(settings)

    def embed(texts: list[str]) -> Any:
        return model.get_text_embedding_batch(texts)

    report: dict[str, Any] = {"command": "python " + " ".join(sys.argv), "sets": {}}
    for results, dataset in zip(args.pairs[::2], args.pairs[1::2], strict=True):
        cases: dict[str, Case] = {c.id: c for c in load_dataset([dataset])}
        recorded = json.loads(results.read_text())["cases"]
        rows, passed = [], {"recorded": 0, "replayed": 0}
        for row in recorded:
            case, ask = cases[row["id"]], row["ask"]
            if ask is None:
                continue
            before = not key_fact_reasons(case, ask["answer"], ask["abstained"])
            answer, abstained = replay(ask, embed, settings.citations)
            after = not key_fact_reasons(case, answer, abstained)
            passed["recorded"] += before
            passed["replayed"] += after
            same = abstained if ask["abstained"] else answer == ask["answer"]
            change = ("same" if same else "won" if after > before else "lost" if before > after
                      else "changed")
            rows.append({"id": case.id, "type": case.type, "change": change,
                         "abstained": abstained, "answer": answer})
            if change != "same":
                print(f"{results}: {case.id} ({case.type}) {change}: "
                      f"{'abstains' if abstained else answer[:160]}")
        total = len(rows)
        print(f"{results}: {passed['recorded']}/{total} recorded, "
              f"{passed['replayed']}/{total} replayed")
        report["sets"][str(results)] = {"passed": passed, "cases": total, "rows": rows}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
