"""Hand-made cases and results for the eval tests."""

from __future__ import annotations

from typing import Any

from podium.eval.dataset import Case
from podium.eval.metrics import CaseResult


def case(case_id: str = "c1", kind: str = "factoid", *, answers: tuple[str, ...] = ("Kuleba",),
         all_of: tuple[str, ...] = (), sources: tuple[str, ...] = ("a.txt",),
         question: str = "Who joined?") -> Case:
    """An eval case; unanswerable ones get no answers or sources."""
    if kind == "unanswerable":
        answers, sources = (), ()
    return Case(id=case_id, type=kind, question=question, answers=answers, all_of=all_of,
                sources=sources, file="set.jsonl", line=1)


def ask(answer: str, *, abstained: bool = False, cited: tuple[str, ...] = (),
        timings: tuple[int, int] = (10, 90), question: str = "Who joined?") -> dict[str, Any]:
    """An `ask --json` object citing one quote per doc id in `cited`."""
    citations = [{"n": i, "doc_id": doc, "title": "T", "date": None, "speaker": None,
                  "quote": "q", "start": 0, "end": 1} for i, doc in enumerate(cited, start=1)]
    return {"question": question, "answer": answer, "abstained": abstained,
            "citations": citations,
            "timings_ms": {"retrieve": timings[0], "generate": timings[1],
                           "total": timings[0] + timings[1]},
            "models": {"llm": "fake-llm", "embedding": "fake-embed"}}


def result(c: Case, a: dict[str, Any] | None, retrieved: tuple[str, ...] = ("a.txt",),
           exact: list[bool] | None = None, error: str | None = None) -> CaseResult:
    """A case result; every citation is exact unless told otherwise."""
    if exact is None:
        exact = [True] * len(a["citations"]) if a else []
    return CaseResult(case=c, ask=a, retrieved=list(retrieved), exact=exact, error=error)


def mixed() -> list[CaseResult]:
    """3 answerable (1 abstains, 1 wrong), 3 unanswerable (2 abstain)."""
    return [
        result(case("a1"), ask("Kuleba [1]", cited=("a.txt",), timings=(10, 100))),
        result(case("a2"), ask("Someone else [1] [2]", cited=("b.txt",), timings=(20, 200)),
               retrieved=("b.txt", "a.txt"), exact=[False]),
        result(case("a3"), ask("don't know", abstained=True, timings=(30, 0))),
        result(case("u1", "unanswerable"), ask("don't know", abstained=True, timings=(40, 0))),
        result(case("u2", "unanswerable"), ask("don't know", abstained=True, timings=(50, 0))),
        result(case("u3", "unanswerable"), ask("France [1]", cited=("a.txt",),
                                               timings=(60, 300))),
    ]
