"""The eval report: what both formats show (headline, cases, methods) and the HTML page.

The Markdown twin lives in podium.eval.markdown and the SVG chart in podium.eval.chart, to keep
each module short; all three read the same view built here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from podium.eval.chart import bar_chart
from podium.eval.metrics import FAILURE_STAGES, GATES, LOWER_IS_BETTER
from podium.eval.results import EvalRun

logger = logging.getLogger(__name__)

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
                                delta, arrow, verdict, limit))
    return rows


def chart_rows(run: EvalRun) -> list[tuple[str, float | None, float | None]]:
    """(label, current, baseline) for the bar chart."""
    before = (run.baseline or {}).get("summary", {})
    k = run.summary.get("k")
    return [(label.replace("@k", f"@{k}"), run.summary.get(key), before.get(key))
            for key, label in CHART]


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


def write_reports(run: EvalRun, html_path: Path) -> tuple[Path, Path]:
    """Write REPORT.html and REPORT.md (same stem) next to each other."""
    from podium.eval.markdown import render_markdown

    html_path.parent.mkdir(parents=True, exist_ok=True)
    md_path = html_path.with_suffix(".md")
    html_path.write_text(render_html(run), encoding="utf-8")
    md_path.write_text(render_markdown(run), encoding="utf-8")
    logger.info("wrote %s and %s", html_path, md_path)
    return html_path, md_path


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;
color:#111}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f4f6}.better{color:#15803d}.worse{color:#b91c1c}
.partial{background:#fef3c7;border:1px solid #f59e0b;padding:.6em}.fail{color:#b91c1c}
.pass{color:#15803d}.case{border:1px solid #e5e7eb;border-radius:6px;padding:.4em .9em;
margin:.6em 0}.case.new{border-color:#b91c1c}.why{font-weight:600;color:#b91c1c}
dt{font-weight:600;float:left;width:9em;clear:left}dd{margin:0 0 .3em 9.5em}
code{background:#f3f4f6;padding:0 3px}
summary{cursor:pointer;font-weight:600}"""


def render_html(run: EvalRun) -> str:
    """The self-contained HTML report (inline CSS and SVG; every value escaped)."""
    newly, failures, passes = case_groups(run)
    body = [_html_header(run), _html_gate(run), _html_headline(run),
            bar_chart(chart_rows(run)), _html_by_type(run),
            f"<h2>Newly failing ({len(newly)})</h2>",
            "".join(_html_case(v, "new") for v in newly) or "<p>None.</p>",
            f"<h2>Other failures ({len(failures)})</h2>",
            "".join(_html_case(v, "") for v in failures) or "<p>None.</p>",
            f"<h2>Passes ({len(passes)})</h2><details><summary>show {len(passes)} passing "
            f"cases</summary>{''.join(_html_case(v, 'ok') for v in passes)}</details>",
            _html_methods(), _html_settings(run)]
    title = "Podium eval report" + (" (partial)" if run.partial else "")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def meta_lines(run: EvalRun) -> list[str]:
    """Plain-text facts about the run: date, commit, datasets, counts, baseline."""
    out = run.outcome
    lines = [f"Date: {out.finished_at or out.started_at} (started {out.started_at})",
             f"Git commit: {run.git_commit}", f"Datasets: {', '.join(run.datasets)}",
             f"Cases run: {len(out.results)} of {out.planned}"
             + (f" (--limit {run.limit})" if run.limit is not None else ""),
             f"Baseline: {run.baseline_path or 'none'}"]
    if run.partial:
        lines.insert(0, f"PARTIAL: interrupted after {len(out.results)} of {out.planned} cases")
    return lines + list(run.notes)


def _html_header(run: EvalRun) -> str:
    lines = meta_lines(run)
    banner = ""
    if run.partial:
        banner = f'<p class="partial">{escape(lines.pop(0))}</p>'
    items = "".join(f"<li>{escape(x)}</li>" for x in lines)
    return f"<h1>Podium eval report</h1>{banner}<ul>{items}</ul>"


def _html_gate(run: EvalRun) -> str:
    state = ("passed" if run.passed_gate else "FAILED") + (" (partial run)" if run.partial else "")
    items = [escape(f) for f in run.gate_failures]
    items += [f"regression: <a href=\"#case-{escape(i)}\">{escape(i)}</a> passed in the "
              "baseline and fails now" for i in run.comparison.newly_failing]
    items += [f"changed since baseline (not compared): {escape(i)}"
              for i in run.comparison.changed]
    items += [f"stage lost more cases than the baseline: {escape(w)}" for w in worse_stages(run)]
    cls = "pass" if run.passed_gate else "fail"
    listing = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>" if items else ""
    return f'<h2>Gate: <span class="{cls}">{state}</span></h2>{listing}'


def _html_headline(run: EvalRun) -> str:
    rows = ["<tr><th>Metric</th><th>Now</th><th>Baseline</th><th>Change</th><th>Limit</th></tr>"]
    for r in headline(run):
        change = f'<span class="{r.verdict}">{escape(r.arrow)} {escape(r.delta)}</span>'
        rows.append(f"<tr><td>{escape(r.label)}</td><td>{escape(r.now)}</td>"
                    f"<td>{escape(r.baseline)}</td><td>{change}</td>"
                    f"<td>{escape(r.limit)}</td></tr>")
    return "<h2>Headline</h2><table>" + "".join(rows) + "</table>"


def by_type_rows(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-type table."""
    kinds = {key: (label, kind) for key, label, kind in METRICS}
    header = ["type", "cases"] + [kinds[k][0].replace("@k", f"@{run.summary.get('k')}")
                                  for k in BY_TYPE]
    rows = [[name, str(s.get("cases"))] + [fmt(kinds[k][1], s.get(k)) for k in BY_TYPE]
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


def _html_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _html_by_type(run: EvalRun) -> str:
    return (_html_table("By type", *by_type_rows(run))
            + _html_table("Failures by stage", *stage_rows(run)))


def _html_case(v: CaseView, tag: str) -> str:
    why = (f'<p class="why">Why: {escape("; ".join(v.why))}</p>' if v.why else "")
    fixed = " · newly passing" if v.newly_passing else ""
    got = ("(abstained) " if v.abstained else "") + v.got
    fields = [("Question", v.question), ("Expected", v.expected), ("Got", got)]
    if v.stage:
        fields = [("Stage", v.stage), *fields]
    if v.reply and v.reply != v.got:
        fields.append(("Writer's reply", v.reply))
    if v.baseline_answer is not None:
        fields.append(("Baseline answer", v.baseline_answer))
    fields.append(("Retrieved", v.retrieved))
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(x)}</dd>" for k, x in fields)
    cites = ("<ol class=\"citations\">" + "".join(f"<li>{escape(c)}</li>" for c in v.citations)
             + "</ol>") if v.citations else ""
    return (f'<div class="case {tag}" id="case-{escape(v.id)}"><h3>{escape(v.id)} · '
            f"{escape(v.type)} · <code>{escape(v.where)}</code>{escape(fixed)}</h3>"
            f"{why}<dl>{dl}</dl>{cites}</div>")


def _html_methods() -> str:
    items = "".join(f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in METHODS)
    return f"<h2>How the metrics are computed</h2><dl>{items}</dl>"


def _html_settings(run: EvalRun) -> str:
    models = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>"
                     for k, v in run.outcome.models.items())
    settings = "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>"
                       for k, v in run.settings.items())
    return (f"<h2>Models and settings</h2><table><tr><th>model</th><th>name</th></tr>{models}"
            f"</table><table><tr><th>setting</th><th>value</th></tr>{settings}</table>")
