"""`podium eval compare` as a plain-text table and as an HTML page of answers side by side."""

from __future__ import annotations

from html import escape

from podium.eval.compare import Compared, Measure, accuracy
from podium.eval.pairing import CaseRow
from podium.eval.view import fmt_interval


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _change(diff: float | None, ci: tuple[float, float] | None) -> str:
    if diff is None:
        return "n/a"
    ci = ci or (diff, diff)
    return f"{diff * 100:+.1f} pp ({ci[0] * 100:+.1f} to {ci[1] * 100:+.1f})"


def _amount(value: float | None, unit: str) -> str:
    if value is None:
        return "not recorded"
    return f"{value / 1000:.1f} s" if unit == "ms" else f"{value:,.0f}"


def _vs_first(values: list[float | None], i: int) -> str:
    first, now = values[0], values[i]
    if i == 0 or first is None or now is None or first == 0:
        return ""
    return f" ({(now - first) / first * 100:+.0f} %)"


def _measure_rows(m: Measure) -> list[list[str]]:
    return [[f"{m.label} {q}"] + [_amount(v[i], m.unit) + _vs_first(v, i)
                                  for i in range(len(v))]
            for q, v in (("p50", m.p50), ("p95", m.p95))]


def summary_rows(result: Compared) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the summary: accuracy, paired statistics, stages, times, tokens."""
    header = [""] + [f"run {i + 1}" for i in range(len(result.runs))]
    blank = [""]
    rows, n = [], len(result.common)
    passed = [accuracy(r) for r in result.rows]
    rows.append(["passed"] + [f"{k} of {n}" for k, _, _ in passed])
    rows.append(["accuracy (95 % Wilson)"]
                + [f"{_pct(a)} ({fmt_interval('rate', ci)})" if ci else _pct(a)
                   for _, a, ci in passed])
    rows.append(["won / lost vs run 1"] + blank + [f"{s.won} / {s.lost}" for s in result.stats])
    rows.append(["exact McNemar p"] + blank + [f"{s.p:.3g}" for s in result.stats])
    rows.append(["accuracy change (95 % paired bootstrap)"] + blank
                + [_change(s.diff, s.diff_ci) for s in result.stats])
    for stage in result.stages:
        rows.append([f"lost at {stage.stage}"]
                    + [str(k) if p is None else f"{k} (p {p:.2g})"
                       for k, p in zip(stage.lost, stage.p, strict=True)])
    for measure in result.measures:
        rows.extend(_measure_rows(measure))
    return header, rows


def verdict(row: CaseRow, mark: str) -> str:
    """A case's verdict in one run: won, lost, pass or fail, with the stage that lost it."""
    word = mark or ("pass" if row.passed else "fail")
    return f"{word}: {row.stage}" if row.stage and not row.passed else word


def split_cases(result: Compared) -> tuple[list[int], list[int]]:
    """Indexes of the compared cases some run won or lost, and of the others."""
    differ = [i for i in range(len(result.common)) if any(result.marks(i))]
    same = [i for i in range(len(result.common)) if not any(result.marks(i))]
    return differ, same


def intro_lines(result: Compared) -> list[str]:
    """Which runs, of what set, on how many cases; what was left out."""
    sets = ", ".join(result.runs[0].eval_sets) or "an eval set"
    lines = [f"Compared {len(result.runs)} runs of {sets} on the {len(result.common)} cases "
             "they all have, each against run 1:"]
    for i, run in enumerate(result.runs, start=1):
        meta = run.meta()
        partial = " (partial run)" if meta["partial"] else ""
        lines.append(f"  run {i}: {run.path}  (git {meta['git_commit']}, "
                     f"{meta['started_at']}){partial}")
    if result.left_out:
        shown = "; ".join(f"{k}: {v}" for k, v in list(result.left_out.items())[:10])
        more = f"; … {len(result.left_out) - 10} more" if len(result.left_out) > 10 else ""
        lines.append(f"Left out {len(result.left_out)} cases: {shown}{more}")
    return lines


def _text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]


def render_text(result: Compared) -> str:
    """The plain-text comparison: the summary, then the cases some run won or lost."""
    out = [*intro_lines(result), "", *_text_table(*summary_rows(result)), ""]
    differ, same = split_cases(result)
    out.append(f"Cases won or lost against run 1 ({len(differ)} of {len(result.common)}; the "
               f"other {len(same)} have the same verdict in every run):")
    header = ["case", "type"] + [f"run {i + 1}" for i in range(len(result.runs))]
    rows = [[result.common[i], result.rows[0][i].type]
            + [verdict(run[i], mark) for run, mark in zip(result.rows, result.marks(i),
                                                         strict=True)]
            for i in differ]
    out += _text_table(header, rows) if rows else ["  none"]
    return "\n".join(out) + "\n"


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#111}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f4f6}.cases{table-layout:fixed;width:100%}
.won{background:#dcfce7}.lost{background:#fee2e2}.tag{font-weight:600}
.won .tag{color:#15803d}.lost .tag{color:#b91c1c}.q{color:#374151}
summary{cursor:pointer;font-weight:600}"""


def _html_table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _html_cases(result: Compared, indexes: list[int]) -> str:
    head = "<th style=\"width:16em\">case</th>" + "".join(
        f"<th>run {i + 1}: {escape(run.path)}</th>" for i, run in enumerate(result.runs))
    rows = []
    for i in indexes:
        first = result.rows[0][i]
        cells = [f"<td><b>{escape(first.id)}</b> · {escape(first.type)}"
                 f'<div class="q">{escape(first.question)}</div></td>']
        for run, mark in zip(result.rows, result.marks(i), strict=True):
            row = run[i]
            answer = ("(abstained) " if row.abstained else "") + row.answer
            cells.append(f'<td class="{mark}"><span class="tag">'
                         f"{escape(verdict(row, mark))}</span><br>{escape(answer)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="cases"><tr>{head}</tr>{"".join(rows)}</table>'


def render_html(result: Compared) -> str:
    """A self-contained page: the summary, then every compared case's answers side by side."""
    differ, same = split_cases(result)
    intro = intro_lines(result)
    body = [f"<h1>Podium eval compare</h1><p>{escape(intro[0])}</p><ul>"
            + "".join(f"<li>{escape(line.strip())}</li>" for line in intro[1:]) + "</ul>",
            _html_table(*summary_rows(result)),
            f"<h2>Cases won or lost against run 1 ({len(differ)})</h2>",
            _html_cases(result, differ) if differ else "<p>None.</p>",
            f"<h2>The same verdict in every run ({len(same)})</h2><details><summary>show "
            f"{len(same)} cases</summary>{_html_cases(result, same)}</details>"]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Podium eval compare</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
