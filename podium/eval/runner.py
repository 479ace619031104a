"""Run eval cases through the app as a black box: ask, read its retrieval, check quotes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from tqdm import tqdm

from podium.eval.dataset import Case
from podium.eval.metrics import CaseResult
from podium.qa.schema import Answer

logger = logging.getLogger(__name__)


class _Document(Protocol):
    @property
    def text(self) -> str: ...


class _Documents(Protocol):
    def get(self, doc_id: str) -> _Document | None: ...


class EvalApp(Protocol):
    """What the runner needs of podium.app.Podium."""

    @property
    def docstore(self) -> _Documents: ...

    def ask(self, question: str) -> Answer: ...


@dataclass
class RunOutcome:
    """The finished cases, in dataset order, and whether Ctrl-C cut the run short."""

    results: list[CaseResult]
    interrupted: bool = False
    started_at: str = ""
    finished_at: str = ""
    planned: int = 0
    models: dict[str, str] = field(default_factory=dict)


def now() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Texts:
    """Stored document texts, fetched once each."""

    def __init__(self, app: EvalApp) -> None:
        self._app = app
        self._cache: dict[str, str | None] = {}

    def __call__(self, doc_id: str) -> str | None:
        if doc_id not in self._cache:
            doc = self._app.docstore.get(doc_id)
            self._cache[doc_id] = doc.text if doc is not None else None
        return self._cache[doc_id]


def run_case(app: EvalApp, case: Case, *, text_of: _Texts | None = None) -> CaseResult:
    """Ask one case's question; record the answer, the documents its retrieval found (best
    first, as the engine fused them) and the quote checks."""
    text_of = text_of or _Texts(app)
    try:
        answer = app.ask(case.question)
    except Exception as exc:  # one failing case must not lose the run; it is scored as failed
        logger.warning("%s (%s): %s: %s", case.id, case.where, type(exc).__name__, exc)
        return CaseResult(case=case, ask=None, error=f"{type(exc).__name__}: {exc}")
    retrieved = list(answer.retrieved)
    exact = []
    for citation in answer.citations:
        text = text_of(citation.doc_id)
        exact.append(text is not None and text[citation.start:citation.end] == citation.quote)
    return CaseResult(case=case, ask=answer.to_dict(), retrieved=retrieved, exact=exact)


def run_cases(app: EvalApp, cases: Sequence[Case], *, progress: bool = True) -> RunOutcome:
    """Run every case in order with a progress bar on stderr; Ctrl-C keeps what finished."""
    outcome = RunOutcome(results=[], started_at=now(), planned=len(cases))
    text_of = _Texts(app)
    bar = tqdm(total=len(cases), desc="eval", unit="case", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    try:
        for case in cases:
            bar.set_postfix_str(case.id)
            result = run_case(app, case, text_of=text_of)
            outcome.results.append(result)
            if result.ask is not None and not outcome.models:
                outcome.models = dict(result.ask.get("models") or {})
            bar.update(1)
    except KeyboardInterrupt:
        outcome.interrupted = True
        logger.warning("interrupted after %d of %d cases", len(outcome.results), len(cases))
    finally:
        bar.close()
        outcome.finished_at = now()
    return outcome
