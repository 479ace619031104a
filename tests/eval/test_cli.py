"""`podium eval` end to end: a real app with the fake embedder and the extractive writer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from podium.app import Podium, build_app
from podium.config import LoadedSettings, load_settings
from podium.errors import PodiumError
from podium.eval.cli import add_eval_parser, run_eval

REPO = Path(__file__).resolve().parents[2]
TRANSCRIPTS = REPO / "data" / "transcripts"
DOC = "001_0386686246588c25.txt"
CASES: list[dict[str, Any]] = [
    {"id": "t1", "type": "factoid",
     "question": "On what date did Jens Stoltenberg welcome Antony Blinken to NATO Headquarters "
                 "at the start of the two-day Foreign Ministers' meeting in 2024?",
     "answers": ["3 April 2024", "April 3, 2024"], "all_of": [], "sources": [DOC],
     "evidence": ["to NATO Headquarters on Wednesday (3 April 2024), at the start of a two-day "
                  "meeting of Foreign Ministers"]},
    {"id": "t2", "type": "factoid",
     "question": "Which Ukrainian minister was due to join the NATO-Ukraine Council meeting at "
                 "foreign-minister level on the Thursday of the April 2024 ministerial?",
     "answers": ["Kuleba"], "sources": [DOC],
     "evidence": ["joined by Ukrainian Foreign Minister Dmytro Kuleba."]},
    {"id": "t3", "type": "multi",
     "question": "Which NATO anniversary did the Foreign Ministers' meeting in Brussels in April "
                 "2024 mark?", "answers": ["75th"], "all_of": ["NATO's", "Washington"],
     "sources": [DOC], "evidence": []},
    {"id": "t4", "type": "unanswerable", "question": "Xyzzy plugh quux frobnicate?",
     "answers": [], "all_of": [], "sources": [], "evidence": []},
    {"id": "t5", "type": "unanswerable",
     "question": "Where will the NATO summit after the Washington Summit be held?",
     "answers": [], "sources": []},
]
ASK_KEYS = ["question", "answer", "abstained", "citations", "timings_ms", "models",
            "standalone_question", "sources", "retrieved", "reply", "usage"]


def settings(data_dir: Path, **limits: Any) -> LoadedSettings:
    """Fake embedder, extractive answers, isolated from the environment and settings files."""
    overrides: dict[str, Any] = {"data_dir": data_dir, "embedding": {"provider": "fake"},
                                 "llm": {"provider": "extractive"}}
    if limits:
        overrides["eval"] = limits
    return load_settings(overrides=overrides, env={}, discover=False)


def parse(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="podium")
    add_eval_parser(parser.add_subparsers(dest="command", required=True), common)
    return parser.parse_args(["eval", *argv, "--no-progress"])


def dataset(folder: Path, cases: list[dict[str, Any]] = CASES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the seed transcripts ingested once for the tests of this module."""
    data_dir = tmp_path_factory.mktemp("indexed")
    build_app(settings(data_dir).settings).ingest([TRANSCRIPTS], progress=False)
    return data_dir


def test_end_to_end_with_ingest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = tmp_path / "results.json", tmp_path / "rep" / "REPORT.html"
    args = parse(str(dataset(tmp_path)), "--ingest", str(TRANSCRIPTS), "--out", str(out),
                 "--report", str(report))
    assert run_eval(args, settings(tmp_path / "data", min_accuracy=0.8)) == 0

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in doc["cases"]] == ["t1", "t2", "t3", "t4", "t5"]
    for case, spec in zip(doc["cases"], CASES, strict=True):
        assert list(case["ask"]) == ASK_KEYS
        assert case["ask"]["question"] == spec["question"]
        assert case["expected"]["answers"] == spec["answers"]
        assert len(case["citation_exact"]) == len(case["ask"]["citations"])
    assert [c["scores"]["passed"] for c in doc["cases"]] == [True, True, True, True, False]
    assert doc["cases"][4]["scores"]["reasons"] == ["should have abstained"]
    assert doc["cases"][0]["ask"]["citations"][0]["doc_id"] == DOC
    s = doc["summary"]
    assert (s["cases"], s["passed"], s["accuracy"]) == (5, 4, 0.8)
    assert (s["abstention_precision"], s["abstention_recall"]) == (1.0, 0.5)
    assert s["citation_exactness"] == 1.0 and s["citations"] > 0
    assert s["invalid_marker_rate"] == 0.0 and s["hit_at_k"] == 1.0
    assert s["latency_total_p95_ms"] is not None
    assert s["accuracy_ci"] == pytest.approx([0.3755, 0.9638], abs=1e-4)  # Wilson 4 of 5
    assert sorted(doc["by_type"]) == ["factoid", "multi", "unanswerable"]
    assert doc["gate"]["passed"] is True and doc["partial"] is False
    assert doc["settings"]["llm.provider"] == "extractive"
    assert doc["settings"]["eval.min_accuracy"] == 0.8
    assert doc["models"]["llm"] and doc["git_commit"]

    html = report.read_text(encoding="utf-8")
    assert "<svg" in html and "should have abstained" in html and "Gate: " in html
    assert report.with_suffix(".md").is_file()
    printed = capsys.readouterr().out
    assert "eval: 4 of 5 cases passed" in printed and "gate: passed" in printed
    assert "80.0%  [37.6–96.4%]" in printed


def test_metric_below_its_threshold_exits_1(indexed: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(str(dataset(tmp_path)), "--out", str(tmp_path / "r.json"))
    assert run_eval(args, settings(indexed, min_accuracy=0.81)) == 1
    assert "accuracy 0.8 < eval.min_accuracy 0.81" in capsys.readouterr().out
    assert json.loads((tmp_path / "r.json").read_text())["gate"]["passed"] is False


def test_regression_against_baseline_exits_1_and_update_accepts_it(
        indexed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, base = dataset(tmp_path), tmp_path / "baseline.json"
    loaded = settings(indexed, min_accuracy=0.5)
    assert run_eval(parse(str(path), "--baseline", str(base), "--update-baseline"), loaded) == 0
    doc = json.loads(base.read_text(encoding="utf-8"))
    assert doc["cases"][4]["scores"]["passed"] is False
    doc["cases"][4]["scores"]["passed"] = True  # pretend t5 passed in the baseline
    base.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()

    report = tmp_path / "report.html"
    args = parse(str(path), "--baseline", str(base), "--report", str(report))
    assert run_eval(args, loaded) == 1
    printed = capsys.readouterr().out
    assert "regression: t5 passed in the baseline and fails now" in printed
    assert "Against the baseline: 0 won, 1 lost of 5 common cases; exact McNemar p = 1" in printed
    html = report.read_text(encoding="utf-8")
    assert html.index('id="case-t5"') < html.index("Other failures (")
    assert "Newly failing (1)" in html

    assert run_eval(parse(str(path), "--baseline", str(base), "--update-baseline"), loaded) == 0
    assert json.loads(base.read_text())["cases"][4]["scores"]["passed"] is False


def test_ctrl_c_writes_a_partial_run(indexed: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real_ask, calls = Podium.ask, []

    def ask(self: Podium, question: str) -> Any:
        calls.append(question)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_ask(self, question)

    monkeypatch.setattr(Podium, "ask", ask)
    out, report = tmp_path / "r.json", tmp_path / "r.html"
    args = parse(str(dataset(tmp_path)), "--out", str(out), "--report", str(report))
    assert run_eval(args, settings(indexed)) == 130
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["partial"] is True and [c["id"] for c in doc["cases"]] == ["t1", "t2"]
    assert doc["planned_cases"] == 5 and doc["summary"]["cases"] == 2
    assert "PARTIAL: interrupted after 2 of 5 cases" in report.read_text(encoding="utf-8")


def test_limit_runs_the_first_cases(indexed: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run_eval(parse(str(dataset(tmp_path)), "--limit", "2", "--out", str(out)), settings(indexed))
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in doc["cases"]] == ["t1", "t2"] and doc["limit"] == 2


def test_bad_dataset_is_reported_before_any_question(indexed: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def never(self: Podium, question: str) -> Any:
        raise AssertionError("asked a question")

    monkeypatch.setattr(Podium, "ask", never)
    bad = [CASES[0], {**CASES[1], "evidence": ["words that are not there"]},
           {**CASES[2], "sources": ["nope.txt"]}]
    path = dataset(tmp_path, bad)
    with pytest.raises(PodiumError) as info:
        run_eval(parse(str(path)), settings(indexed))
    message = str(info.value)
    assert f"{path}:2: evidence 'words that are not there' is not verbatim" in message
    assert f"{path}:3: source 'nope.txt' is not in the index" in message
    assert "2 problems" in message


@pytest.mark.parametrize(("extra", "expected"), [
    (["--update-baseline"], "--update-baseline needs --baseline"),
    (["--baseline", "missing.json"], "baseline missing.json does not exist"),
    (["--baseline", "b.json", "--update-baseline", "--limit", "1"], "would drop cases"),
])
def test_bad_options_raise_before_running(indexed: Path, tmp_path: Path, extra: list[str],
                                          expected: str) -> None:
    with pytest.raises(PodiumError, match=expected):
        run_eval(parse(str(dataset(tmp_path)), *extra), settings(indexed))


def test_limit_must_be_positive() -> None:
    with pytest.raises(SystemExit) as info:
        parse("x.jsonl", "--limit", "0")
    assert info.value.code == 2
