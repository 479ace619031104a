"""Eval-set loading and validation: every problem names its file:line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

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
