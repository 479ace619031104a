"""Scoring and aggregation: pure functions over case results (no models, no files)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podium.config import EvalSettings
from podium.eval.dataset import TYPES, Case
from podium.eval.stats import bootstrap_mean, percentile, rounded, wilson
from podium.qa.citations import MARKER, marker_numbers

STAGES = ("found", "retrieve", "first_token", "generate", "total")
# Curly and other single quotes/primes -> ', double ones -> ", every dash and minus -> -.
_CHARS = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
})
_SPACE = re.compile(r"\s+")

# (summary key, EvalSettings field, "min" or "max"): the gate.
GATES: tuple[tuple[str, str, str], ...] = (
    ("accuracy", "min_accuracy", "min"),
    ("hit_at_k", "min_hit_at_k", "min"),
    ("citation_exactness", "min_citation_exactness", "min"),
    ("invalid_marker_rate", "max_invalid_marker_rate", "max"),
    ("cited_source_precision", "min_cited_source_precision", "min"),
    ("abstention_recall", "min_abstention_recall", "min"),
    ("abstention_precision", "min_abstention_precision", "min"),
    ("latency_total_p95_ms", "max_p95_total_ms", "max"),
)
# Metrics where a smaller value is better (for arrows and colours).
LOWER_IS_BETTER = frozenset({"invalid_marker_rate", "errors"} | {
    f"latency_{s}_{p}_ms" for s in STAGES for p in ("p50", "p95")})


@dataclass
class CaseResult:
    """What one case produced: the ask JSON object plus what the runner observed."""

    case: Case
    ask: dict[str, Any] | None
    retrieved: list[str] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    error: str | None = None


@dataclass
class CaseScore:
    """How one case scored; None where a metric does not apply to it."""

    passed: bool
    reasons: list[str]
    abstained: bool | None = None
    hit_at_1: bool | None = None
    hit_at_k: bool | None = None
    reciprocal_rank: float | None = None
    cited_precision: float | None = None
    cited_recall: float | None = None
    invalid_markers: list[int] = field(default_factory=list)
    stage: str | None = None  # where a failing case went wrong (FAILURE_STAGES)

    def to_dict(self) -> dict[str, Any]:
        """The scores as stored in RESULTS.json."""
        return dict(vars(self))


def normalise(text: str) -> str:
    """Casefold; straighten quotes and apostrophes, unify dashes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text.translate(_CHARS)).translate(_CHARS)
    return _SPACE.sub(" ", text).strip().casefold()


def key_fact_reasons(case: Case, answer: str, abstained: bool) -> list[str]:
    """Why an answer fails its case; an empty list means it passes."""
    if not case.answerable:
        return [] if abstained else ["should have abstained"]
    if abstained:
        return ["abstained"]
    got = normalise(answer)
    reasons = []
    if not any(normalise(a) in got for a in case.answers):
        reasons.append("missing key fact " + " / ".join(f"'{a}'" for a in case.answers))
    reasons.extend(f"all_of missing '{item}'" for item in case.all_of
                   if normalise(item) not in got)
    return reasons


# Where a failing case went wrong, in pipeline order (see failure_stage).
FAILURE_STAGES = ("retrieval", "evidence", "false abstention", "writer", "checker",
                  "missed abstention", "error")


def failure_stage(case: Case, ask: dict[str, Any], retrieved: Sequence[str]) -> str:
    """The first stage that lost a failing case's key fact: the gold source not retrieved;
    retrieved, but the passages shown to the writer do not hold the fact; shown, but the
    answer abstained; shown, but the writer's raw reply lacks it; or the reply had it and
    the sentence checks removed it."""
    if not case.answerable:
        return "missed abstention"
    if rank_of_first_source(retrieved, case.sources) is None:
        return "retrieval"
    shown = " ".join(" ".join(str(s.get(k) or "") for k in ("quote", "speaker", "title", "date"))
                     for s in ask.get("sources") or [])
    if key_fact_reasons(case, shown, False):
        return "evidence"
    if ask.get("abstained"):
        return "false abstention"
    if key_fact_reasons(case, str(ask.get("reply") or ""), False):
        return "writer"
    return "checker"


def invalid_markers(answer: str, numbers: Sequence[int]) -> list[int]:
    """The [n] marker numbers in an answer that name no citation, in order of appearance."""
    valid = set(numbers)
    bad: list[int] = []
    for match in MARKER.finditer(answer):
        for n in marker_numbers(match):
            if n not in valid and n not in bad:
                bad.append(n)
    return bad


def rank_of_first_source(retrieved: Sequence[str], sources: Sequence[str]) -> int | None:
    """1-based rank of the first expected source among distinct retrieved documents."""
    wanted = set(sources)
    for rank, doc_id in enumerate(dict.fromkeys(retrieved), start=1):
        if doc_id in wanted:
            return rank
    return None


def score_case(result: CaseResult, k: int) -> CaseScore:
    """Score one case: key facts, retrieval rank, cited sources, markers."""
    case, ask = result.case, result.ask
    if ask is None or result.error is not None:
        return CaseScore(passed=False, reasons=[f"error: {result.error or 'no answer'}"],
                         stage="error")
    abstained = bool(ask.get("abstained"))
    answer = str(ask.get("answer", ""))
    citations = ask.get("citations") or []
    reasons = key_fact_reasons(case, answer, abstained)
    score = CaseScore(passed=not reasons, reasons=reasons, abstained=abstained,
                      invalid_markers=invalid_markers(answer, [int(c["n"]) for c in citations]))
    if case.answerable:
        rank = rank_of_first_source(result.retrieved, case.sources)
        score.hit_at_1 = rank == 1
        score.hit_at_k = rank is not None and rank <= k
        score.reciprocal_rank = 1.0 / rank if rank else 0.0
        cited = [str(c["doc_id"]) for c in citations]
        if cited:
            score.cited_precision = sum(d in case.sources for d in cited) / len(cited)
        score.cited_recall = len(set(cited) & set(case.sources)) / len(set(case.sources))
    if not score.passed:
        score.stage = failure_stage(case, ask, result.retrieved)
    return score


def _rate(out: dict[str, Any], key: str, flags: Sequence[bool]) -> None:
    """Set out[key] to the share of true flags and out[key_ci] to its Wilson interval."""
    out[key] = sum(flags) / len(flags) if flags else None
    out[f"{key}_ci"] = rounded(wilson(sum(flags), len(flags)))


def _mean(out: dict[str, Any], key: str, values: Sequence[float | None]) -> None:
    """Set out[key] to the mean of the present values and out[key_ci] to its bootstrap interval."""
    present = [v for v in values if v is not None]
    out[key] = sum(present) / len(present) if present else None
    out[f"{key}_ci"] = rounded(bootstrap_mean(present))


def summarise(results: Sequence[CaseResult], scores: Sequence[CaseScore],
              k: int) -> dict[str, Any]:
    """Aggregate metrics over cases; a metric that applies to no case is None."""
    ok = [(r, s) for r, s in zip(results, scores, strict=True) if r.error is None and r.ask]
    answerable = [s for r, s in ok if r.case.answerable]
    abstained = [r for r, s in ok if s.abstained]
    unanswerable = [r for r, _ in ok if not r.case.answerable]
    exact = [flag for r, _ in ok for flag in r.exact]
    out: dict[str, Any] = {"cases": len(scores), "passed": sum(s.passed for s in scores),
                           "errors": len(scores) - len(ok), "k": k}
    _rate(out, "accuracy", [s.passed for s in scores])
    _rate(out, "hit_at_1", [bool(s.hit_at_1) for s in answerable])
    _rate(out, "hit_at_k", [bool(s.hit_at_k) for s in answerable])
    _mean(out, "mrr", [s.reciprocal_rank for s in answerable])
    _mean(out, "cited_source_precision", [s.cited_precision for s in answerable])
    _mean(out, "cited_source_recall", [s.cited_recall for s in answerable])
    out["citations"] = len(exact)
    _rate(out, "citation_exactness", exact)
    _rate(out, "invalid_marker_rate", [bool(s.invalid_markers) for _, s in ok])
    out["abstained"] = len(abstained)
    _rate(out, "abstention_precision", [not r.case.answerable for r in abstained])
    _rate(out, "abstention_recall", [bool(r.ask and r.ask.get("abstained"))
                                     for r in unanswerable])
    out["failures_by_stage"] = {
        stage: n for stage in FAILURE_STAGES if (n := sum(s.stage == stage for s in scores))}
    for stage in STAGES:
        times = [float(r.ask["timings_ms"][stage]) for r, _ in ok
                 if r.ask and stage in (r.ask.get("timings_ms") or {})]
        out[f"latency_{stage}_p50_ms"] = percentile(times, 50)
        out[f"latency_{stage}_p95_ms"] = percentile(times, 95)
    return out


def summarise_by_type(results: Sequence[CaseResult], scores: Sequence[CaseScore],
                      k: int) -> dict[str, dict[str, Any]]:
    """summarise() for each case type present, in the dataset's type order."""
    out = {}
    for kind in TYPES:
        pairs = [(r, s) for r, s in zip(results, scores, strict=True) if r.case.type == kind]
        if pairs:
            out[kind] = summarise([r for r, _ in pairs], [s for _, s in pairs], k)
    return out


def check_thresholds(summary: dict[str, Any], limits: EvalSettings) -> list[str]:
    """Gate failures: each metric beyond its limit (metrics that do not apply are skipped)."""
    failures = []
    for key, setting, kind in GATES:
        limit, value = getattr(limits, setting), summary.get(key)
        if limit is None or value is None:
            continue
        if (kind == "min" and value < limit) or (kind == "max" and value > limit):
            sign = "<" if kind == "min" else ">"
            failures.append(f"{key} {_fmt(value)} {sign} eval.{setting} {_fmt(limit)}")
    return failures


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
