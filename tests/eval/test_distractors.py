import gzip
import json
from pathlib import Path

from podium.eval.distractors import select


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
