"""Processes side by side on one data dir: two `podium ask` at once answer each its own
question, exactly as one at a time would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SEED

QUESTIONS = ["What did Kuleba say about deliveries of ammunition and weapons?",
             "What did Stoltenberg say about the Washington Summit?",
             "Which football team won the 2022 World Cup in Qatar?"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    return {**env, "PODIUM_DATA_DIR": str(data_dir), "PODIUM_EMBEDDING__PROVIDER": "fake",
            "PODIUM_LLM__PROVIDER": "fake", "PODIUM_RETRIEVAL__RESCORER": "none",
            "PODIUM_RETRIEVAL__RERANKER": "none",
            "PODIUM_RETRIEVAL__MIN_SIMILARITY": "0.1",
            "PODIUM_RETRIEVAL__STRONG_SIMILARITY": "0.7"}


def _ask(question: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "podium", "ask", "--json", question], env=env,
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _answer(proc: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    answer = json.loads(out)
    for key in ("timings_ms", "models"):
        answer.pop(key)
    return answer  # type: ignore[no-any-return]


def test_two_ask_processes_at_once_answer_as_one_at_a_time(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    subprocess.run([sys.executable, "-m", "podium", "ingest", "--no-progress", str(SEED)],
                   env=env, cwd=tmp_path, check=True, capture_output=True)
    alone = [_answer(_ask(q, env, tmp_path)) for q in QUESTIONS]
    for first, second in [(0, 1), (1, 2), (0, 0)]:
        together = [_ask(QUESTIONS[first], env, tmp_path), _ask(QUESTIONS[second], env, tmp_path)]
        assert [_answer(p) for p in together] == [alone[first], alone[second]]
    assert alone[2]["abstained"] and not alone[0]["abstained"]
