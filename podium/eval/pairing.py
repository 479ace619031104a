"""Case-by-case differences between two runs of one eval set, and their paired statistics.

`podium eval --baseline` and `podium eval compare` both diff runs with `diff_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from podium.eval.stats import mcnemar_exact, paired_bootstrap

if TYPE_CHECKING:
    from podium.eval.metrics import CaseResult, CaseScore


@dataclass(frozen=True)
class CaseRow:
    """One case of one run, as a diff sees it."""

    id: str
    type: str
    question: str
    passed: bool
    stage: str | None = None
    answer: str = ""
    abstained: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: float | None = None


@dataclass
class Comparison:
    """Case-level differences of a run from an earlier one (the baseline), by case id."""

    newly_failing: list[str] = field(default_factory=list)
    newly_passing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    not_in_baseline: list[str] = field(default_factory=list)
    only_in_baseline: list[str] = field(default_factory=list)
    # (case id, passed in the baseline, passed now) for every case compared, in run order
    pairs: list[tuple[str, bool, bool]] = field(default_factory=list)


@dataclass(frozen=True)
class Paired:
    """The paired statistics of a comparison: wins, losses, McNemar p, accuracy change."""

    cases: int
    won: int
    lost: int
    p: float
    before: float | None
    after: float | None
    diff: float | None
    diff_ci: tuple[float, float] | None

    def to_dict(self) -> dict[str, Any]:
        """As written in JSON: the interval a [low, high] list."""
        out = dict(vars(self))
        out["diff_ci"] = list(self.diff_ci) if self.diff_ci else None
        return out


def _prompt_tokens(ask: dict[str, Any]) -> float | None:
    """The prompt tokens an answer records (`usage.prompt_tokens`), or None."""
    value = (ask.get("usage") or {}).get("prompt_tokens", ask.get("prompt_tokens"))
    return float(value) if isinstance(value, int | float) else None


def _timings(ask: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in (ask.get("timings_ms") or {}).items()
            if isinstance(v, int | float)}


def row_from_json(item: dict[str, Any]) -> CaseRow:
    """A CaseRow from one case of a RESULTS.json; KeyError or TypeError when it is not one."""
    ask = item.get("ask") or {}
    scores = item["scores"]
    answer = f"error: {item['error']}" if item.get("error") else str(ask.get("answer", ""))
    return CaseRow(id=str(item["id"]), type=str(item.get("type", "")),
                   question=str(item["expected"]["question"]), passed=bool(scores["passed"]),
                   stage=scores.get("stage"), answer=answer,
                   abstained=bool(ask.get("abstained")), timings=_timings(ask),
                   prompt_tokens=_prompt_tokens(ask))


def rows_from_results(results: Sequence[CaseResult], scores: Sequence[CaseScore]
                      ) -> list[CaseRow]:
    """CaseRows of a run in memory (the one `podium eval` just scored)."""
    rows = []
    for r, s in zip(results, scores, strict=True):
        ask = r.ask or {}
        rows.append(CaseRow(
            id=r.case.id, type=r.case.type, question=r.case.question, passed=s.passed,
            stage=s.stage, answer=str(ask.get("answer", "")), abstained=bool(ask.get("abstained")),
            timings=_timings(ask),
            prompt_tokens=_prompt_tokens(ask)))
    return rows


def diff_rows(before: Sequence[CaseRow], after: Sequence[CaseRow]) -> Comparison:
    """Cases of `after` that flipped against `before`; a case whose question changed, or that
    only one run has, is listed and not compared."""
    old = {row.id: row for row in before}
    comparison = Comparison()
    for row in after:
        was = old.get(row.id)
        if was is None:
            comparison.not_in_baseline.append(row.id)
        elif was.question != row.question:
            comparison.changed.append(row.id)
        else:
            comparison.pairs.append((row.id, was.passed, row.passed))
            if was.passed and not row.passed:
                comparison.newly_failing.append(row.id)
            elif row.passed and not was.passed:
                comparison.newly_passing.append(row.id)
    now = {row.id for row in after}
    comparison.only_in_baseline = [row.id for row in before if row.id not in now]
    return comparison


def compare_cases(results: Sequence[CaseResult], scores: Sequence[CaseScore],
                  baseline: dict[str, Any] | None) -> Comparison:
    """Cases that flipped against a baseline results object (a previous --out file)."""
    if baseline is None:
        return Comparison()
    before = [row_from_json(item) for item in baseline.get("cases", [])]
    return diff_rows(before, rows_from_results(results, scores))


def paired(comparison: Comparison) -> Paired:
    """Exact McNemar p on the discordant cases and the accuracy change with a paired bootstrap
    95 % interval, over the cases both runs have."""
    first = [a for _, a, _ in comparison.pairs]
    second = [b for _, _, b in comparison.pairs]
    n = len(first)
    won, lost = len(comparison.newly_passing), len(comparison.newly_failing)
    before = sum(first) / n if n else None
    after = sum(second) / n if n else None
    diff = after - before if after is not None and before is not None else None
    return Paired(cases=n, won=won, lost=lost, p=mcnemar_exact(won, lost), before=before,
                  after=after, diff=diff, diff_ci=paired_bootstrap(first, second))
