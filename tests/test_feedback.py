"""Answer feedback: the JSONL store, its export to eval-case templates and the export command."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from podium.errors import PodiumError
from podium.eval.dataset import KNOWN, TYPES, load_dataset
from podium.eval.feedback_cli import run_export_feedback
from podium.feedback import FeedbackStore, export_cases


def citation(n: int, doc_id: str, quote: str) -> dict[str, Any]:
    return {"n": n, "doc_id": doc_id, "title": doc_id, "date": "2024-04-03", "speaker": None,
            "quote": quote, "start": 0, "end": len(quote)}


def answer(question: str = "When did the summit start?", *, abstained: bool = False,
           citations: list[dict[str, Any]] | None = None,
           standalone: str | None = None) -> dict[str, Any]:
    return {"question": question, "answer": "It started on 3 April [1].", "abstained": abstained,
            "citations": citations if citations is not None
            else [citation(1, "a.txt", "on 3 April 2024")],
            "timings_ms": {"total": 12}, "models": {"llm": "fake", "embedding": "fake"},
            "standalone_question": standalone if standalone is not None else question,
            "sources": [], "retrieved": ["a.txt"]}


def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data" / "feedback.jsonl")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_record_up_and_down_with_comments(tmp_path: Path) -> None:
    fb = store(tmp_path)
    assert not fb.path.parent.exists()  # created lazily
    up = fb.record(answer(), "up")
    down = fb.record(answer("Wer sprach über Zölle?"), "down", "  falsch – nicht belegt  ")
    assert up["rating"] == "up" and up["comment"] == ""
    assert down["rating"] == "down" and down["comment"] == "falsch – nicht belegt"
    assert set(up) == {"time", "rating", "comment", "question", "standalone_question", "answer",
                       "abstained", "citations", "models"}
    assert up["time"].endswith("+00:00") and len(up["time"]) == len("2024-04-03T10:11:12+00:00")
    assert up["citations"] == answer()["citations"] and up["models"]["llm"] == "fake"
    raw = fb.path.read_text(encoding="utf-8")
    assert "Zölle" in raw and "\\u" not in raw  # ensure_ascii=False
    assert lines(fb.path) == [up, down] == fb.read()


def test_unicode_line_separators_in_a_comment_survive(tmp_path: Path) -> None:
    fb = store(tmp_path)
    entry = fb.record(answer(), "down", "first\u2028second\x85third\r\nfourth")
    assert fb.read() == [entry]


def test_comment_is_capped(tmp_path: Path) -> None:
    entry = store(tmp_path).record(answer(), "down", "x" * 5000)
    assert len(entry["comment"]) == 2000


@pytest.mark.parametrize("rating", ["good", "", "UP", "thumbs-down"])
def test_bad_rating_is_a_podium_error(tmp_path: Path, rating: str) -> None:
    fb = store(tmp_path)
    with pytest.raises(PodiumError) as info:
        fb.record(answer(), rating)
    assert '"up" or "down"' in info.value.hint
    assert not fb.path.exists()


def test_read_without_a_file_is_empty(tmp_path: Path) -> None:
    assert store(tmp_path).read() == []


def test_concurrent_records_from_8_threads_are_all_valid_lines(tmp_path: Path) -> None:
    fb = store(tmp_path)
    per_thread = 25
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                fb.record(answer(f"question {t}-{i}"), "up" if i % 2 else "down", "c" * 1500)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    records = lines(fb.path)  # every line parses
    assert len(records) == 8 * per_thread
    assert {r["question"] for r in records} == {f"question {t}-{i}" for t in range(8)
                                                for i in range(per_thread)}


def test_truncated_last_line_is_skipped_and_the_next_record_is_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fb = store(tmp_path)
    first = fb.record(answer("one?"), "up")
    with fb.path.open("a", encoding="utf-8") as fh:
        fh.write('{"time": "2024-01-01T00:00:00+00:00", "rating": "do')  # crash mid-write
    with caplog.at_level(logging.WARNING, logger="podium.feedback"):
        assert fb.read() == [first]
    assert "feedback.jsonl:2" in caplog.text
    third = fb.record(answer("three?"), "down")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="podium.feedback"):
        assert fb.read() == [first, third]
    assert "feedback.jsonl:2" in caplog.text


def test_export_dedupes_numbers_and_maps_types(tmp_path: Path) -> None:
    fb = store(tmp_path)
    fb.record(answer("When did the summit start?"), "down", "wrong date")
    fb.record(answer("Who is the new envoy?", abstained=True, citations=[]), "down", "it is known")
    fb.record(answer("when did the  summit start? "), "up", "now right")  # same question
    fb.record(answer("And the end?", standalone="When did the summit end?",
                     citations=[citation(1, "b.txt", "ended on 5 April"),
                                citation(2, "a.txt", "the summit closed"),
                                citation(3, "b.txt", "ended on 5 April")]), "up")
    fb.record(answer("", standalone=""), "up")  # no question: skipped
    cases = export_cases(fb.read(), start=7)
    assert [c["id"] for c in cases] == ["fb007", "fb008", "fb009"]
    envoy, summit, end = cases
    assert envoy["type"] == "unanswerable" and envoy["sources"] == envoy["evidence"] == []
    assert summit["type"] == "factoid" and summit["question"] == "when did the  summit start?"
    assert summit["feedback"]["rating"] == "up" and summit["feedback"]["comment"] == "now right"
    assert summit["feedback"]["answer"] == "It started on 3 April [1]."
    assert summit["feedback"]["time"]
    assert summit["sources"] == ["a.txt"] and summit["evidence"] == ["on 3 April 2024"]
    assert end["question"] == "When did the summit end?"  # the standalone question
    assert end["sources"] == ["b.txt", "a.txt"]
    assert end["evidence"] == ["ended on 5 April", "the summit closed"]
    for case in cases:
        assert case["answers"] == [] and case["all_of"] == []
        # every field of an eval case but the optional "absent" of unanswerable ones
        assert set(case) == (KNOWN - {"absent"}) | {"feedback"} and case["type"] in TYPES


def test_export_uses_question_when_standalone_is_missing() -> None:
    records: list[dict[str, Any]] = [
        {"question": "Plain?", "rating": "up", "abstained": False, "citations": []},
        {"question": "   ", "rating": "down"}]
    assert [c["question"] for c in export_cases(records)] == ["Plain?"]


def test_export_command_writes_the_templates(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    fb = FeedbackStore(data / "feedback.jsonl")
    fb.record(answer("Q one?"), "up")
    fb.record(answer("Q two?", abstained=True, citations=[]), "down", "should know")
    assert run_export_feedback(data, None) == 0
    target = data / "feedback-cases.jsonl"
    cases = lines(target)
    assert [c["id"] for c in cases] == ["fb001", "fb002"]
    assert cases == export_cases(fb.read())
    assert not (data / "feedback-cases.jsonl.part").exists()
    out = capsys.readouterr().out
    assert f'exported 2 cases to {target}; fill in "answers" (and check "type") before ' \
           "running podium eval on it" in out
    assert '"feedback"' in out

    custom = tmp_path / "elsewhere" / "cases.jsonl"
    assert run_export_feedback(data, custom) == 0
    assert lines(custom) == cases


def test_export_command_without_feedback_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(PodiumError) as info:
        run_export_feedback(data, None)
    assert "feedback.jsonl" in info.value.message and "podium ui" in info.value.hint
    data.mkdir()
    (data / "feedback.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(PodiumError) as info:
        run_export_feedback(data, None)
    assert "no records" in info.value.message and "podium ui" in info.value.hint
    assert not (data / "feedback-cases.jsonl").exists()


def test_completed_templates_load_as_an_eval_set(tmp_path: Path) -> None:
    """The export is a template: podium eval rejects it until answers are in and feedback is out."""
    fb = store(tmp_path)
    fb.record(answer("Q one?"), "up")
    fb.record(answer("Q two?", abstained=True, citations=[]), "down")
    run_export_feedback(fb.path.parent, None)
    exported = fb.path.parent / "feedback-cases.jsonl"
    with pytest.raises(PodiumError) as info:
        load_dataset([exported])
    assert "unknown field 'feedback'" in str(info.value)
    templates = lines(exported)
    for case in templates:
        del case["feedback"]
    write_cases(exported, templates)
    with pytest.raises(PodiumError) as info:
        load_dataset([exported])
    assert "fb001" not in str(info.value) and "a factoid case needs at least one of 'answers'" \
        in str(info.value)
    templates[0]["answers"] = ["3 April"]
    write_cases(exported, templates)
    cases = load_dataset([exported])
    assert [(c.id, c.type) for c in cases] == [("fb001", "factoid"), ("fb002", "unanswerable")]


def write_cases(path: Path, cases: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases),
                    encoding="utf-8")
