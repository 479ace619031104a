"""Report rendering (escaping, chart, case order) and RESULTS.json round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.config import Settings
from podium.eval.markdown import render_markdown
from podium.eval.metrics import score_case
from podium.eval.report import render_html, write_reports
from podium.eval.results import EvalRun, evaluate, results_from_json, to_json
from podium.eval.runner import RunOutcome
from podium.eval.view import headline

from .helpers import ask, case, result

EVIL = "<script>alert('x')</script>"


def _run(baseline: dict[str, Any] | None = None, interrupted: bool = False) -> EvalRun:
    results = [
        result(case("q1", question=f"Who said {EVIL}?"),
               ask(f"Nobody {EVIL} [1]", cited=("a.txt",), question=f"Who said {EVIL}?")),
        result(case("q2", answers=("Kuleba",)), ask("Blinken [1]", cited=("a.txt",))),
        result(case("q3", "unanswerable"), ask("don't know", abstained=True)),
    ]
    outcome = RunOutcome(results=results, interrupted=interrupted, started_at="2024-01-01T00:00",
                         finished_at="2024-01-01T00:01", planned=5,
                         models={"llm": "fake-llm", "embedding": "fake-embed"})
    return evaluate(outcome, Settings.model_validate({}), datasets=["set.jsonl"], baseline=baseline,
                    baseline_path="base.json" if baseline else None, git_commit="abc1234")


def test_html_escapes_questions_and_answers_and_has_the_chart() -> None:
    html = render_html(_run())
    assert "<script>" not in html
    assert "Who said &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;?" in html
    assert "Nobody &lt;script&gt;" in html
    assert html.count("<svg") == 1 and "</svg>" in html
    assert 'class="bar current"' in html and 'class="bar baseline"' not in html
    for needle in ("abc1234", "fake-llm", "eval.min_accuracy", "How the metrics are computed",
                   "missing key fact &#x27;Kuleba&#x27;", "2024-01-01T00:01"):
        assert needle in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_markdown_has_the_same_content_without_chart_and_escaped() -> None:
    text = render_markdown(_run())
    assert "<script>" not in text and "&lt;script>alert('x')&lt;/script>" in text
    assert "<svg" not in text
    assert "## Newly failing (0)" in text and "## Other failures (2)" in text
    assert "missing key fact 'Kuleba'" in text and "abc1234" in text


def test_baseline_deltas_arrows_and_newly_failing_first() -> None:
    first = _run()
    base = to_json(first)
    # In the baseline q1 passed; now it fails (a regression); q2 failed in both.
    base["cases"][0]["scores"]["passed"] = True
    base["summary"]["accuracy"] = 1.0
    base["summary"]["invalid_marker_rate"] = 0.5
    current = _run(baseline=base)
    assert current.comparison.newly_failing == ["q1"] and not current.passed_gate
    rows = {r.key: r for r in headline(current)}
    assert rows["accuracy"].arrow == "↓" and rows["accuracy"].verdict == "worse"
    assert rows["accuracy"].delta.endswith(" pp") and rows["accuracy"].delta.startswith("-")
    assert rows["invalid_marker_rate"].arrow == "↓"
    assert rows["invalid_marker_rate"].verdict == "better"
    assert rows["citation_exactness"].arrow == "="
    assert rows["accuracy"].limit == "≥ 60.0%"
    html = render_html(current)
    assert 'class="bar baseline"' in html
    new_at, other_at = html.index("Newly failing ("), html.index("Other failures (")
    assert html.index('id="case-q1"') < other_at and new_at < html.index('id="case-q1"')
    assert "Baseline answer" in html


def test_partial_runs_are_marked() -> None:
    run = _run(interrupted=True)
    assert "PARTIAL: interrupted after 3 of 5 cases" in render_html(run)
    assert "(partial)" in render_markdown(run)
    assert to_json(run)["partial"] is True


def test_write_reports_puts_md_next_to_html(tmp_path: Path) -> None:
    html_path, md_path = write_reports(_run(), tmp_path / "out" / "REPORT.html")
    assert md_path == tmp_path / "out" / "REPORT.md"
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert md_path.read_text(encoding="utf-8").startswith("# Podium eval report")


def test_results_json_round_trip_rescoring() -> None:
    run = _run()
    doc = json.loads(json.dumps(to_json(run)))
    assert [c["ask"]["answer"] for c in doc["cases"]][1] == "Blinken [1]"
    assert doc["summary"]["cases"] == 3 and doc["git_commit"] == "abc1234"
    rescored = [score_case(r, 5).passed for r in results_from_json(doc)]
    assert rescored == [c["scores"]["passed"] for c in doc["cases"]] == [False, False, True]


def test_git_commit_is_unknown_outside_a_repository(tmp_path: Path) -> None:
    from podium.eval.results import git_commit

    assert git_commit(tmp_path) == "unknown"


def test_failures_by_stage_table_case_stage_and_worse_stage_in_both_formats() -> None:
    baseline = to_json(_run())
    baseline["summary"]["failures_by_stage"] = {}
    run = _run(baseline)
    html, md = render_html(run), render_markdown(run)
    for text in (html, md):
        assert "Failures by stage" in text
        assert "stage lost more cases than the baseline: evidence: 0 → 2" in text
    assert "<dt>Stage</dt><dd>evidence</dd>" in html and "- **Stage:** evidence" in md


def test_rates_carry_their_95_percent_intervals_in_every_format() -> None:
    run = _run()
    rows = {r.key: r for r in headline(run)}
    # Wilson 1 of 3: centre (1/3 + 3.8416/6) / (1 + 3.8416/3) = 0.426917, half-width
    # 1.96 / 2.280533 * sqrt(2/27 + 3.8416/36) = 0.365427
    assert run.summary["accuracy_ci"] == pytest.approx([0.0615, 0.7923], abs=1e-4)
    assert rows["accuracy"].interval == "6.1–79.2%"
    assert rows["mrr"].interval == "1.000–1.000" and rows["latency_total_p95_ms"].interval == ""
    html, md = render_html(run), render_markdown(run)
    assert "<th>95 % interval</th>" in html and "<td>6.1–79.2%</td>" in html
    assert 'class="interval"' in html  # the chart's whisker
    assert "| Key-fact accuracy | 33.3% | 6.1–79.2% |" in md
    assert "| factoid | 2 | 0.0% (0.0–65.8%) |" in md  # by type; 3.8416 / 5.8416 = 0.6576
    assert "Wilson score interval" in md and "exact McNemar p" in md


def test_a_baseline_run_reports_the_paired_statistics() -> None:
    base = to_json(_run())
    base["cases"][1]["scores"]["passed"] = True  # q2 passed in the baseline: lost now
    run = _run(baseline=base)
    stats = run.baseline_paired
    assert stats is not None and (stats.won, stats.lost, stats.p) == (0, 1, 1.0)
    line = ("Against the baseline: 0 won, 1 lost of 3 common cases; exact McNemar p = 1; "
            "accuracy -33.3 pp")
    assert line in render_markdown(run) and line in render_html(run)
    gate = to_json(run)["gate"]["baseline_paired"]
    assert gate["lost"] == 1 and gate["diff"] == pytest.approx(-1 / 3)
    assert to_json(_run())["gate"]["baseline_paired"] is None
