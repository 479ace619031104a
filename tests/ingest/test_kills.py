"""Kill -9 an ingest at random moments, then run it again to the end: the index equals a clean
ingest of the same input (documents, chunks, keyword rows, vectors), with no duplicates or
orphans. CI kills 3 times over 200 transcripts made from the seed set; `scripts/test.sh --slow`
kills 10 times over 300 White House briefings from ../shared/corpus."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podium.app import build_app
from tests.conftest import REPO, SEED, fake_settings

WHITE_HOUSE = REPO.parent / "shared" / "corpus" / "wh_briefing_room_2021_2025.jsonl.gz"


def _seed_copies(folder: Path, n: int) -> Path:
    """n transcripts: the seed set over and over, each copy a document of its own."""
    folder.mkdir()
    seeds = sorted(SEED.iterdir())
    for i in range(n):
        source = seeds[i % len(seeds)]
        text = source.read_text(encoding="utf-8")
        (folder / f"{i:03}_{source.name}").write_text(f"Copy {i}.\n\n{text}", encoding="utf-8")
    return folder


def _white_house(out: Path, n: int) -> Path:
    """n briefings spread over the White House corpus, as one JSONL file."""
    with gzip.open(WHITE_HOUSE, "rt", encoding="utf-8") as src:
        lines = [line for line in itertools.islice(src, 0, 25 * n, 25) if line.strip()][:n]
    out.write_text("".join(lines), encoding="utf-8")
    assert len(lines) == n and all(json.loads(line)["text"] for line in lines)
    return out


def _counts(data_dir: Path) -> dict[str, int]:
    app = build_app(fake_settings(data_dir))
    counts = app.docstore.counts()
    found = {"documents": counts["complete"], "pending": counts["pending"],
             "chunks": counts["chunks"], "keyword_rows": app.docstore.keyword_count(),
             "vectors": app.index.count()}
    app.docstore.close()
    return found


def _complete(data_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir / 'podium.db'}?mode=ro", uri=True) as conn:
            return int(conn.execute(
                "SELECT COUNT(*) FROM documents WHERE status='complete'").fetchone()[0])
    except sqlite3.Error:
        return 0


def _killed_then_finished(source: Path, data_dir: Path, kills: int, total: int,
                          seed: int) -> None:
    """Kill the ingest `kills` times, each at a random moment after a random number of further
    documents is complete, then let it finish."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env.update(PODIUM_DATA_DIR=str(data_dir), PODIUM_EMBEDDING__PROVIDER="fake",
               PODIUM_LLM__PROVIDER="fake")
    cmd = [sys.executable, "-m", "podium", "ingest", "--no-progress", str(source)]
    rng = random.Random(seed)
    for k in range(kills):
        done = _complete(data_dir)
        target = rng.randint(done + 1, done + max(1, (total - done) // (kills - k + 1)))
        proc = subprocess.Popen(cmd, env=env, cwd=data_dir.parent, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None and _complete(data_dir) < target:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))  # anywhere in the next document's writes
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _complete(data_dir) < total
    finished = subprocess.run(cmd, env=env, cwd=data_dir.parent, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr


def _clean(source: Path, data_dir: Path) -> None:
    _killed_then_finished(source, data_dir, kills=0, total=0, seed=0)


@pytest.mark.parametrize("kills", [3])
def test_killed_ingests_end_as_a_clean_ingest(tmp_path: Path, kills: int) -> None:
    corpus = _seed_copies(tmp_path / "corpus", 200)
    _clean(corpus, tmp_path / "clean")
    _killed_then_finished(corpus, tmp_path / "killed", kills, 200, seed=kills)
    clean, killed = _counts(tmp_path / "clean"), _counts(tmp_path / "killed")
    assert killed == clean and clean["documents"] == 200 and clean["pending"] == 0
    assert clean["chunks"] == clean["keyword_rows"] == clean["vectors"]


@pytest.mark.slow
def test_ten_kills_over_white_house_briefings(tmp_path: Path) -> None:
    if not WHITE_HOUSE.exists():
        pytest.skip(f"{WHITE_HOUSE} is not here")
    source = _white_house(tmp_path / "wh.jsonl", 300)
    _clean(source, tmp_path / "clean")
    _killed_then_finished(source, tmp_path / "killed", 10, 300, seed=10)
    clean, killed = _counts(tmp_path / "clean"), _counts(tmp_path / "killed")
    assert killed == clean and clean["documents"] == 300 and clean["pending"] == 0
    assert clean["chunks"] == clean["keyword_rows"] == clean["vectors"]
