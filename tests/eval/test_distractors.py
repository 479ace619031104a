import gzip
import json
from pathlib import Path

import pytest

from podium.errors import PodiumError
from podium.eval.distractors import select
from podium.eval.lookalikes import Rules, build


def test_keeps_records_naming_three_of_the_four_subjects(tmp_path: Path) -> None:
    records = [{"id": "a", "text": "NATO and Blinken on Ukraine."},
               {"id": "b", "text": "NATO and Ukraine only."},
               {"id": "c", "text": "Kuleba met Blinken at NATO to discuss Ukraine."}]
    source = tmp_path / "wh.jsonl.gz"
    with gzip.open(source, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    out = tmp_path / "out" / "d.jsonl.gz"
    assert select(source, out) == 2
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        assert [json.loads(line)["id"] for line in fh] == ["a", "c"]


def _write_gz(path: Path, records: list[dict[str, object]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return path


def _wh(doc_id: str, day: str, text: str = "Remarks.", words: int = 0) -> dict[str, object]:
    return {"id": doc_id, "date": day, "doc_type": "press-briefings",
            "text": text + " word" * words}


def _un(doc_id: str, year: str, country: str, text: str = "Statement.") -> dict[str, object]:
    return {"id": doc_id, "date": year, "doc_type": "un-general-debate", "country": country,
            "text": text}


def _lookalike_corpora(tmp_path: Path) -> list[Path]:
    wh = _write_gz(tmp_path / "wh.jsonl.gz", [
        _wh("wh:src", "2023-01-10", "MS. A: It rained."),
        _wh("wh:near", "2023-01-13"),                        # 3 days off: same week
        _wh("wh:far", "2023-02-20"),                         # too far
        _wh("wh:long-near", "2023-01-11", words=50),         # long, 1 day off: kept
        _wh("wh:long-far", "2023-01-14", words=50),          # long, 4 days off: dropped
        _wh("wh:term", "2022-05-01", "Talk of the Brent Spence Bridge."),
    ])
    un = _write_gz(tmp_path / "un.jsonl.gz", [
        _un("un:TUV_2023", "2023", "Tuvalu", "The sun is setting."),
        _un("un:TUV_2015", "2015", "Tuvalu"),                # same country
        *[_un(f"un:X{i}_2023", "2023", f"X{i}") for i in range(5)],
        _un("un:Y_2016", "2016", "Y"),                       # other session, other country
    ])
    return [wh, un]


def _lookalike_set(tmp_path: Path) -> Path:
    cases = [
        {"id": "a1", "type": "factoid", "question": "Rain?", "answers": ["rained"],
         "sources": ["wh:src"], "evidence": ["It rained."]},
        {"id": "a2", "type": "factoid", "question": "Sun?", "answers": ["setting"],
         "sources": ["un:TUV_2023"], "evidence": ["The sun is setting."]},
        {"id": "u1", "type": "unanswerable", "question": "Hail?", "answers": [], "sources": [],
         "absent": ["hail"]},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return path


def test_lookalikes_are_the_sources_and_their_neighbours(tmp_path: Path) -> None:
    corpora, out = _lookalike_corpora(tmp_path), tmp_path / "data" / "wide.jsonl.gz"
    rules = Rules(days=5, long_words=20, long_days=1, per_year=2, per_term=1)
    chosen = build(corpora, [_lookalike_set(tmp_path)], out, rules=rules,
                   terms=["Brent Spence"], min_distractors=1)
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    ids = [r["id"] for r in records]
    sampled = [i for i in ids if i.startswith("un:X")]
    assert ids == ["wh:src", "wh:near", "wh:long-near", "wh:term", "un:TUV_2023", "un:TUV_2015",
                   *sampled]                                 # corpus order, copied verbatim
    assert len(sampled) == 2  # per_year=2 more speeches from the 2023 session
    assert records[0]["text"] == "MS. A: It rained."
    assert chosen.counts() == {"source": 2, "same week": 2, "same country": 1,
                               "same session": 2, "term 'Brent Spence'": 1}
    again = tmp_path / "again.jsonl.gz"
    build(corpora, [_lookalike_set(tmp_path)], again, rules=rules, terms=["Brent Spence"],
          min_distractors=1)
    assert gzip.decompress(again.read_bytes()) == gzip.decompress(out.read_bytes())


def test_lookalikes_refuse_missing_sources_and_too_few_distractors(tmp_path: Path) -> None:
    corpora, out = _lookalike_corpora(tmp_path), tmp_path / "out.jsonl.gz"
    with pytest.raises(PodiumError, match="only 6 distractors chosen"):
        build(corpora, [_lookalike_set(tmp_path)], out, rules=Rules(per_year=2))
    with pytest.raises(PodiumError, match="1 eval source"):
        build(corpora[:1], [_lookalike_set(tmp_path)], out, min_distractors=0)
    assert not out.exists()


def test_spread_adds_short_documents_from_anywhere(tmp_path: Path) -> None:
    corpora, out = _lookalike_corpora(tmp_path), tmp_path / "spread.jsonl.gz"
    rules = Rules(days=0, long_words=20, long_days=0, per_year=0, spread=100)
    chosen = build(corpora, [_lookalike_set(tmp_path)], out, rules=rules, min_distractors=1)
    anywhere = {d for d, reason in chosen.reasons.items() if reason == "anywhere"}
    # every document but the sources, the same country's speech and the two long ones
    assert anywhere == {"wh:near", "wh:far", "wh:term", "un:Y_2016",
                        *(f"un:X{i}_2023" for i in range(5))}
    fewer = build(corpora, [_lookalike_set(tmp_path)], out,
                  rules=Rules(days=0, long_words=20, long_days=0, per_year=0, spread=3),
                  min_distractors=1)
    assert fewer.counts() == {"source": 2, "same country": 1, "anywhere": 3}
