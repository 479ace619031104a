"""The reranker's answer probability on dev sets, without the language model: how well it
separates answerable from unanswerable questions, and the threshold that separates them best.

    .venv/bin/python bench/abstention_calibration.py --set eval/seed.jsonl:DIR \
        [--set eval/wide.jsonl:DIR2] [--model FILE] [--out FILE]

Each DIR must hold its set's documents. For each case, the best candidate sentence's
probability of answering (the reranker's) is recorded; the report gives, for thresholds from
0.05 to 0.95, how many answerable cases would keep an answer and how many unanswerable ones
would abstain, the AUC, and the threshold with the best balanced accuracy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from podium.app import build_app
from podium.config import load_settings
from podium.eval.dataset import load_dataset


def probabilities(dataset: Path, data_dir: Path, model: str) -> list[dict[str, Any]]:
    """Each case's id, answerability and best answer probability."""
    overrides: dict[str, Any] = {"data_dir": data_dir, "retrieval": {"reranker": model}}
    app = build_app(load_settings(overrides=overrides).settings)
    rows = []
    for case in load_dataset([dataset]):
        _, evidence = app.engine.evidence(case.question, None)
        rows.append({"id": case.id, "set": dataset.stem, "answerable": case.answerable,
                     "probability": evidence.answer_probability or 0.0,
                     "unmentioned": list(evidence.unmentioned)})
    return rows


def sweep(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Kept answers and abstentions at each threshold, the AUC and the best threshold."""
    p = np.array([r["probability"] for r in rows])
    yes = np.array([r["answerable"] for r in rows])
    table = []
    for t in np.round(np.arange(0.05, 0.96, 0.05), 2):
        answered, abstained = int(np.sum(p[yes] >= t)), int(np.sum(p[~yes] < t))
        table.append({"threshold": float(t), "answerable_answered": answered,
                      "unanswerable_abstained": abstained,
                      "balanced": (answered / max(yes.sum(), 1)
                                   + abstained / max((~yes).sum(), 1)) / 2})
    pos, neg = p[yes], p[~yes]
    auc = float(np.mean([(a > b) + 0.5 * (a == b) for a in pos for b in neg])) if len(
        pos) and len(neg) else float("nan")
    best = max(table, key=lambda r: r["balanced"])
    return {"answerable": int(yes.sum()), "unanswerable": int((~yes).sum()), "auc": auc,
            "best": best, "table": table}


def main() -> int:
    """Print the sweep as JSON; write it and every case's probability with --out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", action="append", required=True, metavar="DATASET:DIR",
                        help="an eval set and the data dir holding its documents; repeatable")
    parser.add_argument("--model", default="packaged")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for pair in args.set:
        dataset, _, data_dir = pair.partition(":")
        rows += probabilities(Path(dataset), Path(data_dir), args.model)
    result = {"model": args.model, **sweep(rows)}
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps({**result, "cases": rows}, indent=2) + "\n",
                            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
