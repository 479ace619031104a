import json
from pathlib import Path

import pytest

from podium.cli import _show, main
from podium.qa.schema import Answer, Citation, Delta, Done, Event, Found, Source


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)  # no ./settings.toml here
    for key in [k for k in __import__("os").environ if k.startswith("PODIUM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PODIUM_DATA_DIR", str(data))
    monkeypatch.setenv("PODIUM_EMBEDDING__PROVIDER", "fake")
    monkeypatch.setenv("PODIUM_LLM__PROVIDER", "fake")
    monkeypatch.setenv("PODIUM_RETRIEVAL__MIN_SIMILARITY", "0.1")
    monkeypatch.setenv("PODIUM_RETRIEVAL__RERANKER", "none")  # as tests.conftest.fake_settings
    monkeypatch.setenv("PODIUM_INGEST__NICE", "0")  # main() runs in the test process
    return data


def test_ingest_then_ask_json(fake_env: Path, seed_copy: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--no-progress", str(seed_copy)]) == 0
    out = capsys.readouterr().out
    assert "5 added, 0 updated, 0 unchanged, 0 skipped" in out
    assert main(["ask", "--json", "What did Kuleba say about deliveries of ammunition?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and not data["abstained"]
    assert (fake_env / "podium.db").is_file() and (fake_env / "chroma").is_dir()


def test_ask_streams_then_prints_numbered_citations_and_timing(
        fake_env: Path, seed_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--no-progress", str(seed_copy)])
    capsys.readouterr()
    assert main(["ask", "What did Kuleba say about deliveries of ammunition?"]) == 0
    out = capsys.readouterr().out
    assert "\n[1] Remarks: Secretary Blinken and Foreign Minister Kuleba — FOREIGN MINISTER " \
           "KULEBA" in out
    assert "“" in out
    assert out.startswith("(found 10 passages in 4 transcripts: Remarks: Secretary Blinken")
    assert "first words after" in out
    assert out.splitlines()[1].startswith("Best passage: Remarks: Secretary Blinken and Foreign "
                                          "Minister Kuleba — FOREIGN MINISTER KULEBA  (")
    assert out.index("Best passage: ") < out.index("[1].") < out.index("\n[1] ")


def test_chat_json_answers_follow_ups_line_by_line(fake_env: Path, seed_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import io

    main(["ingest", "--no-progress", str(seed_copy)])
    capsys.readouterr()
    questions = ("What did Kuleba say about deliveries of ammunition?\n"
                 "\n/new\nAnd what about the birthday?\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(questions))
    assert main(["chat", "--json", "--speaker", "kuleba"]) == 0
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(answers) == 2
    assert answers[0]["standalone_question"] == answers[0]["question"]
    assert answers[1]["standalone_question"] == "And what about the birthday?"  # after /new
    assert all(s["speaker"] == "FOREIGN MINISTER KULEBA"
               for a in answers for s in a["sources"])


def test_ask_with_a_bad_date_filter_explains(fake_env: Path, seed_copy: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--no-progress", str(seed_copy)])
    assert main(["ask", "Anything?", "--after", "April 2024"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_data_dir_flag_beats_the_environment(fake_env: Path, tmp_path: Path, seed_copy: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "elsewhere"
    assert main(["ingest", "--no-progress", "--data-dir", str(other), str(seed_copy)]) == 0
    assert (other / "podium.db").is_file() and not fake_env.exists()


def test_ask_on_an_empty_index_explains_what_to_do(fake_env: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Anything?"]) == 2
    assert "podium ingest" in capsys.readouterr().err


def test_config_shows_values_and_sources(fake_env: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows["llm.provider"] == {"value": "fake", "source": "env"}
    assert rows["llm.max_tokens"]["source"] == "default"
    assert main(["config"]) == 0
    assert "llm.provider" in capsys.readouterr().out


def test_bad_setting_is_an_error_not_a_traceback(fake_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PODIUM_LLM__PROVIDER", "gpt-17")
    assert main(["config"]) == 2
    assert "llm.provider" in capsys.readouterr().err


def test_missing_model_file_gives_a_message_not_a_traceback(
        fake_env: Path, seed_copy: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--no-progress", str(seed_copy)])
    monkeypatch.setenv("PODIUM_LLM__PROVIDER", "llamacpp")
    monkeypatch.setenv("PODIUM_LLM__MODEL", str(fake_env / "missing.gguf"))
    assert main(["ask", "What did Kuleba say about deliveries of ammunition?"]) == 2
    err = capsys.readouterr().err
    assert "missing.gguf not found" in err and "llm.model" in err


def test_eval_export_feedback_writes_case_templates(fake_env: Path, seed_copy: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from podium.app import build_app
    from podium.config import load_settings
    from podium.ui.handlers import ChatPage

    assert main(["eval", "export-feedback"]) == 2
    assert "rate answers in `podium ui` first" in capsys.readouterr().err
    main(["ingest", "--no-progress", str(seed_copy)])
    page = ChatPage(build_app(load_settings().settings))
    session = list(page.ask("What did Kuleba say about deliveries of ammunition?", None))[-1][1]
    page.rate_up("good", session)
    out = fake_env / "cases.jsonl"
    assert main(["eval", "export-feedback", "--out", str(out)]) == 0
    case = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert case["question"] == "What did Kuleba say about deliveries of ammunition?"
    assert case["feedback"]["rating"] == "up" and case["answers"] == []


def test_config_never_prints_a_secret(fake_env: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PODIUM_LLM__API_KEY", "sk-very-secret")
    monkeypatch.setenv("PODIUM_UI__PASSWORD", "hunter2")
    monkeypatch.setenv("PODIUM_VECTORSTORE__TOKEN", "chroma-token")
    assert main(["config", "--json"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert rows["llm.api_key"] == {"value": "(set)", "source": "env"}
    assert rows["vectorstore.token"] == {"value": "(set)", "source": "env"}
    assert rows["embedding.api_key"] == {"value": None, "source": "default"}
    assert main(["config"]) == 0
    out += capsys.readouterr().out
    assert "sk-very-secret" not in out and "hunter2" not in out and "chroma-token" not in out


def test_reindex_command_re_embeds_what_is_stored(fake_env: Path, seed_copy: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reindex"]) == 2
    assert "podium ingest" in capsys.readouterr().err
    main(["ingest", "--no-progress", str(seed_copy)])
    capsys.readouterr()
    assert main(["reindex", "--no-progress"]) == 0
    assert "reindex done: 5 documents" in capsys.readouterr().out
    assert main(["ask", "--json", "What did Kuleba say about deliveries of ammunition?"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"]


def test_an_impossible_before_date_is_refused_like_a_bad_after(
        fake_env: Path, seed_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--no-progress", str(seed_copy)])
    capsys.readouterr()
    assert main(["ask", "Anything?", "--before", "2024-13-45"]) == 2
    err = capsys.readouterr().err
    assert "--before '2024-13-45' is not a date" in err and "YYYY-MM-DD" in err


def test_a_question_with_bytes_that_are_not_utf8_is_refused(
        fake_env: Path, seed_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--no-progress", str(seed_copy)])
    capsys.readouterr()
    question = b"What did Kuleba say \xff?".decode("utf-8", "surrogateescape")  # as argv is
    assert main(["ask", "--json", question]) == 2
    err = capsys.readouterr().err
    assert "the question is not valid text" in err and "embedding" not in err


@pytest.mark.parametrize("nice", [0, 7])
def test_ingest_runs_at_the_configured_nice_level(fake_env: Path, seed_copy: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 nice: int) -> None:
    """`podium ingest` lowers its own priority (in a child process: it cannot be undone)."""
    import os
    import subprocess
    import sys

    monkeypatch.setenv("PODIUM_INGEST__NICE", str(nice))
    script = ("import os, sys; from podium.cli import main; rc = main(sys.argv[1:]); "
              "print('nice', os.getpriority(os.PRIO_PROCESS, 0), 'rc', rc)")
    done = subprocess.run([sys.executable, "-c", script, "ingest", "--no-progress",
                           str(seed_copy)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))
    start = os.getpriority(os.PRIO_PROCESS, 0)
    assert f"nice {max(start, nice)} rc 0" in done.stdout, done.stderr[-2000:]


BEST = Source(doc_id="001_0386686246588c25.txt", title="Press conference", date="2024-04-03",
              speaker="SECRETARY GENERAL STOLTENBERG",
              quote=("Allies agreed today to start planning for a greater NATO role in "
                     "coordinating security assistance and training for Ukraine, so that "
                     "support is more predictable and longer-lasting,  and I welcome that."),
              start=812, end=997, score=0.91, similarity=0.66)


def _stream(best: Source | None) -> list[Event]:
    """A fake answer stream: found, chosen (with best), two deltas, done."""
    answer = Answer("What did allies agree?", "They agreed to plan a NATO role [1].", False,
                    [Citation(1, BEST.doc_id, BEST.title, BEST.date, BEST.speaker, BEST.quote,
                              BEST.start, BEST.end)])
    return [Found([BEST]), Found([BEST], shown=True, best=best),
            Delta("They agreed to plan"), Delta(" a NATO role [1]."), Done(answer)]


def test_show_prints_the_best_passage_whole_before_the_answer(
        capsys: pytest.CaptureFixture[str]) -> None:
    _show(iter(_stream(BEST)))
    out = capsys.readouterr().out
    head = ("Best passage: Press conference — SECRETARY GENERAL STOLTENBERG · 2024-04-03  "
            "(001_0386686246588c25.txt, characters 812–997)")
    assert out.splitlines()[1] == head
    assert out.index(head) < out.index("They agreed to plan a NATO role [1].")
    block = out.split(head + "\n", 1)[1].split("\n\n", 1)[0]
    assert all(line.startswith("    ") and len(line) <= 100 for line in block.splitlines())
    assert len(block.splitlines()) > 1  # wrapped, every word kept
    assert " ".join(block.split()) == "“" + " ".join(BEST.quote.split()) + "”"


def test_show_prints_no_best_passage_when_there_is_none(
        capsys: pytest.CaptureFixture[str]) -> None:
    _show(iter(_stream(None)))
    out = capsys.readouterr().out
    assert "Best passage" not in out
    assert out.splitlines()[1] == "They agreed to plan a NATO role [1]."
