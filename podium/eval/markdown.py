"""The Markdown twin of the HTML report: the same content, without the chart."""

from __future__ import annotations

import re

from podium.eval.results import EvalRun
from podium.eval.view import (
    METHODS,
    CaseView,
    by_type_rows,
    case_groups,
    headline,
    meta_lines,
    stage_rows,
    worse_stages,
)

_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def md(text: str) -> str:
    """Text safe in Markdown: no raw HTML tag or entity (`<script>` stays text), no pipe or newline.

    A lone `<` as in "0.4 < 0.6" is left readable; only what would start a tag is escaped.
    """
    text = _TAG.sub("&lt;", _ENTITY.sub("&amp;", text))
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(md(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(run: EvalRun) -> str:
    """The Markdown report: headline, gate, cases (newly failing first), methods, settings."""
    newly, failures, passes = case_groups(run)
    out = ["# Podium eval report" + (" (partial)" if run.partial else ""), ""]
    out += [f"- {md(line)}" for line in meta_lines(run)] + [""]
    out += _gate(run)
    out += ["## Headline", ""]
    out += _table(["Metric", "Now", "95 % interval", "Baseline", "Change", "Limit"],
                  [[r.label, r.now, r.interval, r.baseline, f"{r.arrow} {r.delta}".strip(),
                    r.limit] for r in headline(run)])
    out += ["## By type", "", *_table(*by_type_rows(run))]
    out += ["## Failures by stage", "", *_table(*stage_rows(run))]
    out += [f"## Newly failing ({len(newly)})", "", *_cases(newly)]
    out += [f"## Other failures ({len(failures)})", "", *_cases(failures)]
    out += [f"## Passes ({len(passes)})", "",
            f"<details><summary>show {len(passes)} passing cases</summary>", "",
            *_cases(passes), "</details>", ""]
    out += ["## How the metrics are computed", ""]
    out += [*(f"- **{md(name)}**: {md(text)}" for name, text in METHODS), ""]
    out += ["## Models and settings", ""]
    out += _table(["model", "name"], [[k, str(v)] for k, v in run.outcome.models.items()])
    out += _table(["setting", "value"], [[k, str(v)] for k, v in run.settings.items()])
    return "\n".join(out)


def _gate(run: EvalRun) -> list[str]:
    partial = " (partial run)" if run.partial else ""
    out = [f"## Gate: {'passed' if run.passed_gate else 'FAILED'}{partial}", ""]
    out += [f"- {md(f)}" for f in run.gate_failures]
    out += [f"- regression: {md(i)} passed in the baseline and fails now"
            for i in run.comparison.newly_failing]
    out += [f"- changed since baseline (not compared): {md(i)}" for i in run.comparison.changed]
    out += [f"- stage lost more cases than the baseline: {md(w)}" for w in worse_stages(run)]
    return [*out, ""]


def _cases(views: list[CaseView]) -> list[str]:
    if not views:
        return ["None.", ""]
    out: list[str] = []
    for v in views:
        fixed = " · newly passing" if v.newly_passing else ""
        out += [f"### {md(v.id)} · {md(v.type)} · {md(v.where)}{fixed}", ""]
        if v.why:
            out += [f"**Why:** {md('; '.join(v.why))}", ""]
        out += [f"- **Stage:** {md(v.stage)}"] if v.stage else []
        out += [f"- **Question:** {md(v.question)}", f"- **Expected:** {md(v.expected)}",
                f"- **Got:** {'(abstained) ' if v.abstained else ''}{md(v.got)}"]
        if v.reply and v.reply != v.got:
            out.append(f"- **Writer's reply:** {md(v.reply)}")
        if v.baseline_answer is not None:
            out.append(f"- **Baseline answer:** {md(v.baseline_answer)}")
        out.append(f"- **Retrieved:** {md(v.retrieved)}")
        if v.citations:
            out.append("- **Citations:**")
            out += [f"  - {md(c)}" for c in v.citations]
        out.append("")
    return out
