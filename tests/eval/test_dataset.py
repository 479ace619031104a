"""Eval-set loading and validation: every problem names its file:line."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from podium.errors import PodiumError
from podium.eval.dataset import check_sources, load_dataset, validate_sources

REPO = Path(__file__).resolve().parents[2]
SEED_SET = REPO / "eval" / "seed.jsonl"
TRANSCRIPTS = REPO / "data" / "transcripts"

GOOD = {"id": "a1", "type": "factoid", "question": "When?", "answers": ["3 April 2024"],
        "all_of": [], "sources": ["doc.txt"], "evidence": ["on 3 April 2024"]}


def write(tmp_path: Path, lines: list[object], name: str = "set.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def problems_of(paths: list[Path]) -> str:
    with pytest.raises(PodiumError) as info:
        load_dataset(paths)
    return str(info.value)


def test_seed_set_loads_with_its_documented_counts() -> None:
    cases = load_dataset([SEED_SET])
    assert len(cases) == 64
    assert Counter(c.type for c in cases) == {"factoid": 35, "attribution": 8,
                                              "paraphrase": 7, "multi": 5, "unanswerable": 9}
    assert cases[0].id == "q01" and cases[0].where == f"{SEED_SET}:1"
    assert cases[0].answers[0] == "3 April 2024"


def test_seed_evidence_is_verbatim_in_the_seed_transcripts() -> None:
    def text_of(doc_id: str) -> str | None:
        path = TRANSCRIPTS / doc_id
        return path.read_text(encoding="utf-8") if path.is_file() else None

    assert check_sources(load_dataset([SEED_SET]), text_of) == []


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path: Path) -> None:
    path = write(tmp_path, ["", GOOD, "   ", {**GOOD, "id": "a2"}])
    assert [(c.id, c.line) for c in load_dataset([path])] == [("a1", 2), ("a2", 4)]


@pytest.mark.parametrize(("line", "expected"), [
    ('{"id": "x", "type": ', "not valid JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ({k: v for k, v in GOOD.items() if k != "question"}, "missing field 'question'"),
    ({**GOOD, "type": "trivia"}, "unknown type 'trivia'"),
    ({**GOOD, "answers": "3 April 2024"}, "'answers' must be a list of strings"),
    ({**GOOD, "sources": [1]}, "'sources' must be a list of strings"),
    ({**GOOD, "id": 7}, "'id' must be a non-empty string, got 7"),
    ({**GOOD, "question": "  "}, "'question' must be a non-empty string"),
    ({**GOOD, "answers": ["", "x"]}, "'answers' holds an empty string"),
    ({**GOOD, "answer": ["x"]}, "unknown field 'answer'"),
    ({**GOOD, "answers": []}, "a factoid case needs at least one of 'answers'"),
    ({**GOOD, "sources": [], "evidence": []}, "a factoid case needs at least one of 'sources'"),
    ({**GOOD, "type": "unanswerable"}, "an unanswerable case must have an empty 'answers'"),
    ({**GOOD, "type": "unanswerable", "answers": [], "evidence": []},
     "an unanswerable case must have an empty 'sources'"),
])
def test_each_malformed_line_is_named(tmp_path: Path, line: object, expected: str) -> None:
    path = write(tmp_path, [GOOD, line])
    message = problems_of([path])
    assert f"{path}:2: " in message
    assert expected in message
    assert f"{path}:1" not in message


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    first = write(tmp_path, [GOOD], "one.jsonl")
    second = write(tmp_path, [{**GOOD, "id": "b1"}, GOOD], "two.jsonl")
    message = problems_of([first, second])
    assert f"{second}:2: duplicate id 'a1' (first at {first}:1)" in message


def test_missing_file_and_empty_set_are_problems(tmp_path: Path) -> None:
    assert "file not found" in problems_of([tmp_path / "nope.jsonl"])
    assert "no cases" in problems_of([write(tmp_path, [""])])


def test_at_most_twenty_problems_are_listed(tmp_path: Path) -> None:
    path = write(tmp_path, ["{bad"] * 25)
    message = problems_of([path])
    assert "25 problems" in message
    assert f"{path}:20: " in message and f"{path}:21: " not in message
    assert "… and 5 more" in message


def test_evidence_and_sources_are_checked_against_stored_texts(tmp_path: Path) -> None:
    path = write(tmp_path, [
        GOOD,
        {**GOOD, "id": "a2", "evidence": ["not in the text"]},
        {**GOOD, "id": "a3", "sources": ["missing.txt"], "evidence": []},
        {**GOOD, "id": "a4", "sources": ["doc.txt", "other.txt"],
         "evidence": ["on 3 April 2024", "only in other"]},
    ])
    texts = {"doc.txt": "It happened on 3 April 2024.", "other.txt": "This is only in other."}
    cases = load_dataset([path])
    assert check_sources(cases, texts.get) == [
        f"{path}:2: evidence 'not in the text' is not verbatim in any of doc.txt",
        f"{path}:3: source 'missing.txt' is not in the index",
    ]
    with pytest.raises(PodiumError, match=f"{path}:3: source 'missing.txt'"):
        validate_sources(cases, texts.get)
    validate_sources(cases[:1], texts.get)  # a clean case raises nothing


WIDE_SET = REPO / "eval" / "wide.jsonl"


def test_the_absent_field_is_accepted_and_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, [{"id": "u1", "type": "unanswerable", "question": "Who built it?",
                             "answers": [], "all_of": [], "sources": [], "evidence": [],
                             "absent": ["Kokosing"]}])
    [case] = load_dataset([path])
    assert case.id == "u1" and not case.answerable
    assert "absent" not in case.expected()


def test_wide_set_loads_with_its_documented_counts() -> None:
    cases = load_dataset([WIDE_SET])
    assert len(cases) == 158
    assert Counter(c.type for c in cases) == {"factoid": 54, "attribution": 20,
                                              "paraphrase": 32, "multi": 20, "unanswerable": 32}
    assert all(len(set(c.sources)) >= 2 for c in cases if c.type == "multi")


def _verifier() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_evalset",
                                                  REPO / "eval" / "verify_evalset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_verifier_passes_the_seed_set_over_the_seed_transcripts(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _verifier().main([str(SEED_SET), "--folder", str(TRANSCRIPTS)]) == 0
    assert "64 cases" in capsys.readouterr().out


def test_verifier_names_each_failing_case(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "d1", "title": "Briefing", "text":
                             "MS. SMITH: Hello.\n\nMR. JONES: It rained 3 inches."}) + "\n")
    good = {"id": "a1", "type": "factoid", "question": "How much rain?", "answers": ["3 inches"],
            "all_of": [], "sources": ["d1"], "evidence": ["It rained 3 inches."]}
    path = write(tmp_path, [
        good,
        {**good, "id": "a2", "type": "attribution", "answers": ["Jones"]},
        {**good, "id": "a3", "type": "attribution", "answers": ["Smith"]},
        {**good, "id": "a4", "evidence": ["It rained 4 inches."]},
        {**good, "id": "a5", "all_of": ["snow"]},
        {"id": "u1", "type": "unanswerable", "question": "Hail?", "answers": [], "sources": [],
         "absent": ["hail"]},
        {"id": "u2", "type": "unanswerable", "question": "Rain?", "answers": [], "sources": [],
         "absent": ["RAINED"]},
        {**good, "id": "a1"},
    ])
    assert _verifier().main([str(path), "--corpus", str(corpus)]) == 1
    failing = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert [line.split(":")[0] for line in failing] == [
        "FAIL a1", "FAIL a3", "FAIL a4", "FAIL a5", "FAIL u2"]
    assert "duplicate id" in failing[0] and "not the speaker" in failing[1]
    assert "not verbatim" in failing[2] and "'snow' is in neither" in failing[3]
    assert "absent phrase 'RAINED' occurs in d1" in failing[4]
