"""What both eval reports show, format-free: headline rows, case views, tables, methods.

podium.eval.report (HTML) and podium.eval.markdown read this view; neither imports the other's
rendering except that report.write_reports calls markdown.render_markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podium.eval.metrics import FAILURE_STAGES, GATES, LOWER_IS_BETTER
from podium.eval.pairing import Paired
from podium.eval.results import EvalRun

# (summary key, label, kind): kind picks the format — rate (share), score, ms, count.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("accuracy", "Key-fact accuracy", "rate"),
    ("hit_at_1", "Retrieval hit@1", "rate"),
    ("hit_at_k", "Retrieval hit@k", "rate"),
    ("mrr", "Retrieval MRR", "score"),
    ("cited_source_precision", "Cited-source precision", "rate"),
    ("cited_source_recall", "Cited-source recall", "rate"),
    ("citation_exactness", "Citation exactness", "rate"),
    ("invalid_marker_rate", "Invalid-marker rate", "rate"),
    ("abstention_precision", "Abstention precision", "rate"),
    ("abstention_recall", "Abstention recall", "rate"),
    ("latency_found_p50_ms", "Passages found p50", "ms"),
    ("latency_found_p95_ms", "Passages found p95", "ms"),
    ("latency_retrieve_p50_ms", "Retrieve p50", "ms"),
    ("latency_retrieve_p95_ms", "Retrieve p95", "ms"),
    ("latency_first_token_p50_ms", "First words p50", "ms"),
    ("latency_first_token_p95_ms", "First words p95", "ms"),
    ("latency_generate_p50_ms", "Generate p50", "ms"),
    ("latency_generate_p95_ms", "Generate p95", "ms"),
    ("latency_total_p50_ms", "Total p50", "ms"),
    ("latency_total_p95_ms", "Total p95", "ms"),
    ("passed", "Cases passed", "count"),
    ("errors", "Errors", "count"),
)
CHART = (("accuracy", "accuracy"), ("hit_at_1", "hit@1"), ("hit_at_k", "hit@k"),
         ("mrr", "MRR"), ("cited_source_precision", "cited P"),
         ("cited_source_recall", "cited R"), ("citation_exactness", "exact"),
         ("invalid_marker_rate", "bad [n]"), ("abstention_precision", "abstain P"),
         ("abstention_recall", "abstain R"))
BY_TYPE = ("accuracy", "hit_at_k", "mrr", "cited_source_precision", "cited_source_recall",
           "citation_exactness", "invalid_marker_rate", "abstention_recall")
METHODS: tuple[tuple[str, str], ...] = (
    ("Key-fact accuracy", "passed cases / cases. An answerable case passes when Podium did not "
     "abstain, at least one of `answers` appears in the answer text and every `all_of` string "
     "appears; matching is case-insensitive after NFKC, curly quotes and apostrophes made "
     "straight, every dash made '-' and whitespace collapsed. An unanswerable case passes only "
     "by abstaining. A case whose question raised an error fails."),
    ("Retrieval hit@1, hit@k, MRR", "the distinct doc_ids of the chunks the answer's own "
     "hybrid retrieval kept (retrieval.top_k, fused rank order; the `retrieved` field of the "
     "answer). hit@k: share of answerable cases with one of `sources` among the first k "
     "documents (k = eval.k); MRR: mean of 1/rank of the first source document (0 when none "
     "is retrieved)."),
    ("Cited-source precision", "for each answerable case with citations: the share of its "
     "citations whose doc_id is one of `sources`; the mean over those cases."),
    ("Cited-source recall", "for each answerable case: the share of its `sources` cited at "
     "least once (0 when it abstained); the mean over answerable cases."),
    ("Citation exactness", "over every citation of every case: the share whose quote equals "
     "the stored document text[start:end] (document store of the data directory)."),
    ("Invalid-marker rate", "share of answers (abstentions included) whose text holds a [n] "
     "or [n, m] marker naming a number that is not the n of one of its citations."),
    ("Abstention precision / recall", "positive class = abstained, relevant = unanswerable "
     "cases. Precision: abstentions on unanswerable cases / all abstentions (n/a when none). "
     "Recall: abstentions on unanswerable cases / unanswerable cases."),
    ("Latency", "50th and 95th percentiles of the answer's timings_ms per stage over cases "
     "that got an answer, interpolating linearly between ranks: found (the question to the "
     "retrieved passages shown), retrieve, first words, generate, total."),
    ("Failure stage", "for each failing case, the first stage that lost its key fact: "
     "retrieval (no source among the retrieved documents); evidence (retrieved, but the "
     "passages shown to the writer, with their speaker, title and date, do not hold the key "
     "facts); false abstention (they did, and Podium abstained); writer (the model's raw "
     "reply lacks a key fact); checker (the reply had it and the sentence checks removed it); "
     "missed abstention (an unanswerable case answered); error."),
    ("95 % intervals", "shown beside each rate as (low–high). Shares of cases or citations "
     "(accuracy, hit@1, hit@k, citation exactness, invalid-marker rate, abstention precision "
     "and recall) get the Wilson score interval (z = 1.96); means of per-case values "
     "(MRR, cited-source precision and recall) a percentile bootstrap interval (10,000 "
     "resamples of the cases, seed 0). Against a baseline: the exact McNemar p (two-sided "
     "binomial test of cases won against cases lost, 1 when none changed) and the accuracy "
     "change with a paired bootstrap interval (cases resampled in pairs), over the cases "
     "both runs have with the same question."),
    ("Regression", "a case that passed in the baseline (same id and question) and fails now. "
     "Cases whose question changed since the baseline are listed, not compared."),
    ("Gate", "exit status 1 when a metric is beyond its limit (settings section [eval]) or a "
     "case regressed; metrics that apply to no case are not gated; 0 otherwise; 2 for bad "
     "input."),
)


@dataclass(frozen=True)
class HeadlineRow:
    """One metric: now, in the baseline, the change and its limit, formatted."""

    key: str
    label: str
    now: str
    baseline: str
    delta: str
    arrow: str
    verdict: str
    limit: str
    interval: str = ""


@dataclass(frozen=True)
class CaseView:
    """One case as the report shows it."""

    id: str
    type: str
    where: str
    question: str
    expected: str
    got: str
    abstained: bool
    citations: list[str]
    why: list[str]
    retrieved: str
    baseline_answer: str | None
    newly_passing: bool
    stage: str | None = None
    reply: str = ""


def fmt(kind: str, value: Any) -> str:
    """A metric value for display; "n/a" for None."""
    if value is None:
        return "n/a"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:,.0f} ms"
    return str(value)


def fmt_interval(kind: str, interval: Any) -> str:
    """A [low, high] interval for display, e.g. "62.6–85.7%"; "" when there is none."""
    if not interval:
        return ""
    low, high = interval
    if kind == "rate":
        return f"{low * 100:.1f}–{high * 100:.1f}%"
    return f"{low:.3f}–{high:.3f}"


def with_interval(kind: str, value: Any, interval: Any) -> str:
    """A value and its interval in brackets, e.g. "76.0% (62.6–85.7%)"."""
    shown = fmt_interval(kind, interval)
    return f"{fmt(kind, value)} ({shown})" if shown and value is not None else fmt(kind, value)


def _delta(kind: str, now: Any, before: Any) -> tuple[str, float | None]:
    if now is None or before is None:
        return "", None
    diff = float(now) - float(before)
    if kind == "rate":
        return f"{diff * 100:+.1f} pp", diff
    if kind == "score":
        return f"{diff:+.3f}", diff
    return (f"{diff:+,.0f} ms" if kind == "ms" else f"{diff:+.0f}"), diff


def headline(run: EvalRun) -> list[HeadlineRow]:
    """Headline metrics against the baseline, with arrows (↑ ↓ =) and better/worse verdicts."""
    before = (run.baseline or {}).get("summary", {})
    limits = {key: (setting, kind) for key, setting, kind in GATES}
    rows = []
    for key, label, kind in METRICS:
        now, old = run.summary.get(key), before.get(key)
        delta, diff = _delta(kind, now, old)
        arrow = "" if diff is None else "=" if abs(diff) < 1e-9 else "↑" if diff > 0 else "↓"
        verdict = ""
        if arrow in ("↑", "↓"):
            verdict = "better" if (arrow == "↑") != (key in LOWER_IS_BETTER) else "worse"
        limit = ""
        if key in limits and run.thresholds.get(limits[key][0]) is not None:
            sign = "≥" if limits[key][1] == "min" else "≤"
            limit = f"{sign} {fmt(kind, run.thresholds[limits[key][0]])}"
        label = label.replace("@k", f"@{run.summary.get('k')}")
        rows.append(HeadlineRow(key, label, fmt(kind, now), fmt(kind, old) if before else "",
                                delta, arrow, verdict, limit,
                                fmt_interval(kind, run.summary.get(f"{key}_ci"))))
    return rows


def chart_rows(run: EvalRun) -> list[tuple[str, float | None, float | None]]:
    """(label, current, baseline) for the bar chart."""
    before = (run.baseline or {}).get("summary", {})
    k = run.summary.get("k")
    return [(label.replace("@k", f"@{k}"), run.summary.get(key), before.get(key))
            for key, label in CHART]


def chart_intervals(run: EvalRun) -> list[tuple[float, float] | None]:
    """The current run's 95 % interval of each chart bar, in chart order."""
    out: list[tuple[float, float] | None] = []
    for key, _ in CHART:
        ci = run.summary.get(f"{key}_ci")
        out.append((float(ci[0]), float(ci[1])) if ci else None)
    return out


def case_groups(run: EvalRun) -> tuple[list[CaseView], list[CaseView], list[CaseView]]:
    """Cases split into newly failing, other failures and passes, each in dataset order."""
    old = {str(c.get("id")): c for c in (run.baseline or {}).get("cases", [])}
    newly = set(run.comparison.newly_failing)
    fixed = set(run.comparison.newly_passing)
    groups: tuple[list[CaseView], list[CaseView], list[CaseView]] = ([], [], [])
    for result, score in zip(run.outcome.results, run.scores, strict=True):
        case, ask = result.case, result.ask or {}
        citations = []
        for i, c in enumerate(ask.get("citations") or []):
            exact = i < len(result.exact) and result.exact[i]
            who = " · ".join(str(x) for x in (c.get("doc_id"), c.get("speaker"), c.get("date"))
                             if x)
            citations.append(f"[{c.get('n')}] {who}: “{c.get('quote')}”"
                             + ("" if exact else " — NOT verbatim at its offsets"))
        expected = [f"any of: {' | '.join(case.answers)}" if case.answers else "abstain"]
        expected += [f"all of: {' | '.join(case.all_of)}"] if case.all_of else []
        expected += [f"sources: {', '.join(case.sources)}"] if case.sources else []
        before_ask = (old.get(case.id) or {}).get("ask") or {}
        view = CaseView(
            id=case.id, type=case.type, where=case.where, question=case.question,
            expected="; ".join(expected),
            got=str(ask.get("answer", "")) if result.error is None else f"error: {result.error}",
            abstained=bool(ask.get("abstained")), citations=citations, why=score.reasons,
            retrieved=", ".join(result.retrieved) or "none",
            baseline_answer=str(before_ask["answer"]) if case.id in newly and before_ask
            else None,
            newly_passing=case.id in fixed, stage=score.stage,
            reply=str(ask.get("reply") or ""))
        groups[0 if case.id in newly else 1 if not score.passed else 2].append(view)
    return groups


def meta_lines(run: EvalRun) -> list[str]:
    """Plain-text facts about the run: date, commit, datasets, counts, baseline."""
    out = run.outcome
    lines = [f"Date: {out.finished_at or out.started_at} (started {out.started_at})",
             f"Git commit: {run.git_commit}", f"Datasets: {', '.join(run.datasets)}",
             f"Cases run: {len(out.results)} of {out.planned}"
             + (f" (--limit {run.limit})" if run.limit is not None else ""),
             f"Baseline: {run.baseline_path or 'none'}"]
    stats = run.baseline_paired
    if stats is not None:
        lines.append(paired_line(stats))
    if run.partial:
        lines.insert(0, f"PARTIAL: interrupted after {len(out.results)} of {out.planned} cases")
    return lines + list(run.notes)


def paired_line(stats: Paired) -> str:
    """One sentence: cases won and lost, McNemar p and the accuracy change with its interval."""
    if stats.diff is None:
        return "Against the baseline: no case in common"
    ci = stats.diff_ci or (stats.diff, stats.diff)
    return (f"Against the baseline: {stats.won} won, {stats.lost} lost of {stats.cases} common "
            f"cases; exact McNemar p = {stats.p:.3g}; accuracy {stats.diff * 100:+.1f} pp "
            f"(95 % paired bootstrap {ci[0] * 100:+.1f} to {ci[1] * 100:+.1f} pp)")


def by_type_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-type table."""
    kinds = {key: (label, kind) for key, label, kind in METRICS}
    header = ["type", "cases"] + [kinds[k][0].replace("@k", f"@{run.summary.get('k')}")
                                  for k in BY_TYPE]
    rows = [[name, str(s.get("cases"))]
            + [with_interval(kinds[k][1], s.get(k), s.get(f"{k}_ci")) for k in BY_TYPE]
            for name, s in run.by_type.items()]
    return header, rows


def stage_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the failures-by-stage table: one row a stage, one column a type,
    then the total and the baseline's total."""
    kinds = list(run.by_type)
    before = (run.baseline or {}).get("summary", {}).get("failures_by_stage")
    header = ["stage", *kinds, "all", "baseline"]
    rows = []
    for stage in FAILURE_STAGES:
        counts = [run.by_type[k].get("failures_by_stage", {}).get(stage, 0) for k in kinds]
        now = run.summary.get("failures_by_stage", {}).get(stage, 0)
        old = "n/a" if before is None else str(before.get(stage, 0))
        if now or (before or {}).get(stage):
            worse = " ↑ worse" if before is not None and now > before.get(stage, 0) else ""
            rows.append([stage, *map(str, counts), f"{now}{worse}", old])
    return header, rows


def worse_stages(run: EvalRun) -> list[str]:
    """Stages that lost more cases than in the baseline."""
    before = (run.baseline or {}).get("summary", {}).get("failures_by_stage")
    now = run.summary.get("failures_by_stage", {})
    if before is None:
        return []
    return [f"{s}: {before.get(s, 0)} → {now[s]}" for s in FAILURE_STAGES
            if now.get(s, 0) > before.get(s, 0)]
