"""The HTML eval report, and write_reports, which writes it and its Markdown twin.

What both formats show is built in podium.eval.view; the Markdown twin is podium.eval.markdown
and the SVG chart podium.eval.chart. Imports go one way: report -> markdown -> view.
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from podium.eval.chart import bar_chart
from podium.eval.markdown import render_markdown
from podium.eval.results import EvalRun
from podium.eval.view import (
    METHODS,
    CaseView,
    by_type_rows,
    case_groups,
    chart_intervals,
    chart_rows,
    headline,
    meta_lines,
    stage_rows,
    worse_stages,
)

logger = logging.getLogger(__name__)

def write_reports(run: EvalRun, html_path: Path) -> tuple[Path, Path]:
    """Write REPORT.html and REPORT.md (same stem) next to each other."""
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
            bar_chart(chart_rows(run), intervals=chart_intervals(run)), _html_by_type(run),
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
    rows = ["<tr><th>Metric</th><th>Now</th><th>95 % interval</th><th>Baseline</th>"
            "<th>Change</th><th>Limit</th></tr>"]
    for r in headline(run):
        change = f'<span class="{r.verdict}">{escape(r.arrow)} {escape(r.delta)}</span>'
        rows.append(f"<tr><td>{escape(r.label)}</td><td>{escape(r.now)}</td>"
                    f"<td>{escape(r.interval)}</td>"
                    f"<td>{escape(r.baseline)}</td><td>{change}</td>"
                    f"<td>{escape(r.limit)}</td></tr>")
    return "<h2>Headline</h2><table>" + "".join(rows) + "</table>"


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
