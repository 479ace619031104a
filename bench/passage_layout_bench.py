"""Side by side, in one run: the prompt's passages as Podium lays them out now (each document
named once, before its passages) against the layout before it (every passage carrying its
own speaker, title and date). Both apps get the same passages; only the text of the prompt
differs, so the prompt tokens evaluated per question and the times to first words and to the
whole answer say what the layout costs.

Run (on a quiet machine; ~12 questions take ~5 minutes):
  .venv/bin/python bench/passage_layout_bench.py --eval-set eval/wide.jsonl \
      --data-dir .podium/wide --questions 12 --out bench/results/passage_layout.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from llama_index.core.base.llms.types import ChatMessage
from runtime_bench import EVAL_SET, REPO, SEED, app_for, compare, questions, summary, warm_answers

from podium.qa.evidence import Passage
from podium.qa.generate import LLMGenerator
from podium.qa.guard import defuse_markers


def per_passage(passages: list[Passage]) -> str:
    """The layout before: [n] (speaker; title; date) "words" for every passage."""
    lines = []
    for n, p in enumerate(passages, start=1):
        about = "; ".join(x for x in (p.speaker, p.title, p.date) if x)
        lines.append(f'[{n}] ({about}) "{defuse_markers(" ".join(p.text.split()))}"')
    return "\n".join(lines)


def with_per_passage_layout(generator: LLMGenerator) -> None:
    """Make this generator's prompts use the layout before (this instance only)."""
    prompt = generator._prompt

    def messages(question: str, passages: list[Passage]) -> list[ChatMessage]:
        user = prompt.render_user(passages=per_passage(passages), question=question)
        return [ChatMessage(role="system", content=prompt.system),
                ChatMessage(role="user", content=user)]

    generator.messages = messages  # type: ignore[method-assign]


def main() -> None:
    """Measure and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--eval-set", type=Path, default=EVAL_SET)
    parser.add_argument("--data-dir", type=Path, help="an index to ask; default: the seed corpus")
    parser.add_argument("--out", type=Path,
                        default=REPO / "bench" / "results" / "passage_layout.json")
    args = parser.parse_args()
    *asked, warm_up = questions(args.questions, args.eval_set)
    load_before = os.getloadavg()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="podium-layout-bench-"))
    ik = {"llm.runtime": "ik_llama"}  # the runtime that logs its evaluated prompt tokens
    apps = {"per_passage": app_for(ik, data_dir)}
    if args.data_dir is None:
        apps["per_passage"].ingest([SEED], progress=False)
    apps["by_document"] = app_for(ik, data_dir)
    old = apps["per_passage"].generator
    assert isinstance(old, LLMGenerator)
    with_per_passage_layout(old)
    answers, first_ask, evaluated = warm_answers(apps, asked, warm_up)
    names = list(apps)
    tokens: dict[str, list[int]] = {n: [] for n in names}
    order = [n for i in range(len(asked)) for n in (names[::-1] if i % 2 else names)]
    for name, count in zip(order, evaluated, strict=True):
        tokens[name].append(count["evaluated"])
    results = {
        "command": "python bench/passage_layout_bench.py " + shlex.join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "questions": len(asked),
        "baseline": names[0],
        "by_variant": {n: {"first_ask_in_process_s": first_ask[n],
                           "prompt_tokens_evaluated": tokens[n],
                           "prompt_tokens_evaluated_mean": round(
                               sum(tokens[n]) / max(1, len(tokens[n])), 1),
                           **summary(answers[n])} for n in names},
        "same_answers": sum(row["same_answer"] for row in compare(asked, answers)),
        "answers": compare(asked, answers),
        "notes": "both variants answer from the same passages in the same order (documents "
                 "together); only the prompt text differs; the order alternates per question; "
                 "the warm-up question is not measured.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "answers"}, indent=2))


if __name__ == "__main__":
    main()
