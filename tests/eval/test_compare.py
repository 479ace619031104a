"""`podium eval compare` on small runs written here, and its answers to bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.cli import main
from podium.config import Settings
from podium.eval.compare import compare_runs, load_runs, to_json
from podium.eval.compare_render import render_html, render_text
from podium.eval.results import evaluate
from podium.eval.results import to_json as run_json
from podium.eval.runner import RunOutcome

from .helpers import ask, case, result

EVIL = "<script>alert('x')</script>"


def write_run(path: Path, verdicts: str, *, ids: list[str] | None = None,
              dataset: str = "eval/tiny.jsonl", first_words: int = 100,
              questions: dict[str, str] | None = None) -> Path:
    """A RESULTS.json whose case i passes when verdicts[i] is "1" (else a wrong answer)."""
    ids = ids or [f"c{i + 1}" for i in range(len(verdicts))]
    results = []
    for case_id, verdict in zip(ids, verdicts, strict=True):
        question = (questions or {}).get(case_id, f"Who joined in {case_id}?")
        answer = "Kuleba [1]" if verdict == "1" else f"Blinken {EVIL} [1]"
        a = ask(answer, cited=("a.txt",), timings=(first_words, 2 * first_words),
                question=question)
        a["timings_ms"]["first_token"] = first_words
        results.append(result(case(case_id, question=question), a))
    outcome = RunOutcome(results=results, started_at="2026-01-01T00:00:00+00:00",
                         finished_at="2026-01-01T00:01:00+00:00", planned=len(results))
    run = evaluate(outcome, Settings.model_validate({}), datasets=[dataset], git_commit="abc")
    path.write_text(json.dumps(run_json(run)), encoding="utf-8")
    return path


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """main() run in an empty folder with its own data dir."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PODIUM_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_two_runs_case_by_case_with_mcnemar_and_bootstrap(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a.json", "11000000")
    b = write_run(tmp_path / "b.json", "10111111", first_words=50)
    result = compare_runs(load_runs([a, b]))
    doc = to_json(result)
    assert doc["common_cases"] == 8 and doc["left_out"] == {}
    assert [r["passed"] for r in doc["runs"]] == [2, 7]
    # Wilson 2 of 8: centre (0.25 + 3.8416/16) / (1 + 3.8416/8) = 0.331104, half-width
    # 1.96 / 1.4802 * sqrt(0.25 * 0.75 / 8 + 3.8416 / 256) = 0.259626
    assert doc["runs"][0]["accuracy_ci"] == pytest.approx([0.0715, 0.5907], abs=1e-4)
    pair = doc["pairs"][0]
    assert pair["won"] == ["c3", "c4", "c5", "c6", "c7", "c8"] and pair["lost"] == ["c2"]
    assert pair["mcnemar_p"] == pytest.approx(2 * (1 + 7) / 2**7)  # 6 won, 1 lost: 0.125
    assert pair["accuracy_diff"] == pytest.approx(0.625)
    low, high = pair["accuracy_diff_ci"]
    assert low <= 0.625 <= high
    assert doc["stages"] == [{"stage": "evidence", "lost": [6, 1],
                              "mcnemar_p": [None, pytest.approx(0.125)]}]
    first_words = next(m for m in doc["measures"] if m["measure"] == "first_token")
    assert first_words["p50"] == [100.0, 50.0] and first_words["p95"] == [100.0, 50.0]
    tokens = next(m for m in doc["measures"] if m["measure"] == "prompt_tokens")
    assert tokens["p50"] == [None, None]
    assert doc["cases"][1]["vs_first"] == ["", "lost"]
    assert doc["cases"][2]["vs_first"] == ["", "won"]

    text = render_text(result)
    assert "Compared 2 runs of tiny.jsonl on the 8 cases they all have" in text
    assert "6 / 1" in text and "0.125" in text and "+62.5 pp" in text
    assert "first words p50" in text and "0.1 s (-50 %)" in text
    assert "prompt tokens p50" in text and "not recorded" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("c")}
    assert lines["c2"].split()[2:] == ["pass", "lost:", "evidence"]
    assert lines["c3"].split()[2:] == ["fail:", "evidence", "won"]
    assert "c1" not in lines  # the same verdict in both runs


def test_three_runs_each_against_the_first(tmp_path: Path) -> None:
    runs = [write_run(tmp_path / f"{n}.json", v) for n, v in
            (("a", "1100"), ("b", "1100"), ("c", "0111"))]
    doc = to_json(compare_runs(load_runs(runs)))
    assert [(p["won"], p["lost"], p["mcnemar_p"]) for p in doc["pairs"]] == [
        ([], [], 1.0), (["c3", "c4"], ["c1"], 1.0)]
    assert doc["pairs"][0]["accuracy_diff"] == 0.0
    assert doc["pairs"][0]["accuracy_diff_ci"] == [0.0, 0.0]
    assert doc["cases"][0]["vs_first"] == ["", "", "lost"]


def test_partly_overlapping_runs_compare_the_common_cases(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a.json", "1101", ids=["c1", "c2", "c3", "c4"])
    b = write_run(tmp_path / "b.json", "1011", ids=["c1", "c2", "c3", "c9"],
                  questions={"c3": "A reworded question?"})
    result = compare_runs(load_runs([a, b]))
    assert result.common == ["c1", "c2"]
    assert result.left_out == {"c3": f"question differs in {b}", "c4": f"not in {b}",
                               "c9": f"not in {a}"}
    assert to_json(result)["pairs"][0]["lost"] == ["c2"]
    text = render_text(result)
    assert "on the 2 cases they all have" in text
    assert f"Left out 3 cases: c3: question differs in {b}; c4: not in {b}; c9: not in {a}" \
        in text


def test_html_page_shows_answers_side_by_side_escaped(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a.json", "10")
    b = write_run(tmp_path / "b.json", "01")
    html = render_html(compare_runs(load_runs([a, b])))
    assert html.startswith("<!DOCTYPE html>") and "<script>" not in html
    assert "Blinken &lt;script&gt;" in html and "Kuleba [1]" in html
    assert f"run 2: {b}" in html and "exact McNemar p" in html
    assert '<td class="won">' in html and '<td class="lost">' in html


def test_cli_prints_text_json_and_writes_html(isolated: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(isolated / "a.json", "1100")
    b = write_run(isolated / "b.json", "1011")
    page = isolated / "out" / "compare.html"
    assert main(["eval", "compare", str(a), str(b), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "won / lost vs run 1" in out and f"page: {page}" in out
    assert "Podium eval compare" in page.read_text(encoding="utf-8")
    assert main(["eval", "compare", str(a), str(b), "--json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert doc["format"] == "podium-eval-compare/1" and doc["pairs"][0]["won"] == ["c3", "c4"]


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_one_run_alone_is_refused(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(isolated / "a.json", "11")
    line = _one_line_error(["eval", "compare", str(a)], capsys)
    assert line == f"podium: compare needs at least two runs (RUN.json RUN.json …); got only {a}"
    assert "got none" in _one_line_error(["eval", "compare"], capsys)


@pytest.mark.parametrize(("content", "expected"), [
    ('{"format": "something-else", "cases": []}', "is not a `podium eval` results file"),
    ("not json at all", "is not readable JSON"),
    ('{"format": "podium-eval/1", "cases": [{"id": "c1"}]}',
     "is not a `podium eval` results file: case 1 has no 'scores'"),
    ('{"format": "podium-eval/1", "cases": ["c1"]}', "case 1 is not a case object"),
    (None, "does not exist"),
])
def test_a_file_that_is_not_a_run_is_refused(isolated: Path, capsys: pytest.CaptureFixture[str],
                                             content: str | None, expected: str) -> None:
    a = write_run(isolated / "a.json", "11")
    other = isolated / "other.json"
    if content is not None:
        other.write_text(content, encoding="utf-8")
    line = _one_line_error(["eval", "compare", str(a), str(other)], capsys)
    assert line.startswith(f"podium: run {other} ") and expected in line


def test_runs_of_different_eval_sets_are_refused(isolated: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(isolated / "a.json", "11")
    seed = write_run(isolated / "seed.json", "11", dataset="eval/seed.jsonl")
    line = _one_line_error(["eval", "compare", str(a), str(seed)], capsys)
    assert line == (f"podium: {seed} is a run of seed.jsonl and {a} of tiny.jsonl: runs of "
                    "different eval sets cannot be compared")
    other = write_run(isolated / "other.json", "11", ids=["x1", "x2"])
    line = _one_line_error(["eval", "compare", str(a), str(other)], capsys)
    assert line == (f"podium: {other} and {a} have no case id in common: runs of different "
                    "eval sets cannot be compared")


def test_the_same_set_from_another_folder_is_the_same_set(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a.json", "11", dataset="eval/tiny.jsonl")
    b = write_run(tmp_path / "b.json", "10", dataset="/abs/copy/of/tiny.jsonl")
    assert compare_runs(load_runs([a, b])).common == ["c1", "c2"]


def test_html_without_compare_is_refused(isolated: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_line_error(["eval", "set.jsonl", "--html", "x.html"], capsys)
    assert line == "podium: --html is for `podium eval compare` (the run's report is --report)"
