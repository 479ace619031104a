"""Fuzz the eval set loader (what `podium eval DATASET` reads first) with random lines.
Property: cases, or one PodiumError whose first line says what is wrong, with one line per
problem naming file:line, and a hint."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from podium.cli import main
from podium.errors import PodiumError
from podium.eval.dataset import TYPES, load_dataset
from tests.conftest import SEED
from tests.fuzz.strategies import deep_json, dump, json_values, nasty_text

fields = {"id": st.one_of(nasty_text(most=40), json_values()),
          "type": st.one_of(st.sampled_from(TYPES), json_values()),
          "question": st.one_of(nasty_text(most=3000), json_values()),
          "answers": st.one_of(st.lists(nasty_text(most=40), max_size=3), json_values()),
          "sources": st.one_of(st.lists(nasty_text(most=40), max_size=2), json_values())}
optional = {"all_of": st.lists(nasty_text(most=20), max_size=2),
            "evidence": st.lists(nasty_text(most=40), max_size=2), "extra": json_values()}
cases = st.fixed_dictionaries(fields, optional=optional).map(dump)
lines = st.one_of(cases, json_values().map(dump), st.integers(1, 3000).map(deep_json),
                  nasty_text(surrogates=False, most=200))


@given(st.lists(lines, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
@example([deep_json(3000)], "\n", False)
@example(['{"id": "\\ud800", "type": "factoid", "question": "q", "answers": ["a"], '
          '"sources": ["s"]}'], "\n", False)
@example(['{"id": "a", "type": "x", "question": "q", "answers": "' + "w " * 500 + '", '
          '"sources": []}'], "\n", False)
@example(['{"id": 1, "n": ' + "9" * 5000 + "}"], "\n", True)
def test_eval_lines(lines: list[str], newline: str, bom: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        data = newline.join(lines).encode("utf-8", "surrogatepass")
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        try:
            loaded = load_dataset([path])
        except PodiumError as exc:
            head, *problems = exc.message.split("\n")
            assert head.startswith("invalid eval set: ") and exc.hint
            assert problems and all(p.startswith(f"  {path}") or p.startswith("  … and ")
                                    for p in problems), problems
            assert all(len(p) < 600 for p in problems)
            str(exc).encode("utf-8")
            return
    for case in loaded:
        for text in (case.id, case.question, *case.answers, *case.sources, *case.evidence):
            text.encode("utf-8")


seed_ids = sorted(p.name for p in SEED.glob("*.txt"))
run_cases = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(TYPES),
    "question": st.one_of(nasty_text(most=300), st.sampled_from(
        ["What did Kuleba say about ammunition?", "When was NATO founded?", "\udcff?"])),
    "answers": st.lists(nasty_text(surrogates=False, most=20), min_size=1, max_size=2),
    "sources": st.lists(st.sampled_from(seed_ids), min_size=1, max_size=2),
    "evidence": st.lists(st.sampled_from(["NATO", "ammunition", "not in any text"]),
                         max_size=1)}), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("eval") / "data"
    with _fake_env(data):
        assert main(["ingest", "--no-progress", str(SEED)]) == 0
    return data


@contextmanager
def _fake_env(data: Path) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("PODIUM_")]:
            mp.delenv(key)
        mp.setenv("PODIUM_DATA_DIR", str(data))
        mp.setenv("PODIUM_EMBEDDING__PROVIDER", "fake")
        mp.setenv("PODIUM_LLM__PROVIDER", "fake")
        mp.setenv("PODIUM_RETRIEVAL__MIN_SIMILARITY", "0.1")
        mp.setenv("PODIUM_INGEST__NICE", "0")  # main() runs in the test process
        yield


@settings(max_examples=25)
@given(run_cases)
@example([{"type": "factoid", "question": "\udcff?", "answers": ["a"],
           "sources": [seed_ids[0]], "evidence": []}])
def test_podium_eval_runs_or_explains(seeded_dir: Path, cases: list[dict[str, object]]
                                      ) -> None:
    with tempfile.TemporaryDirectory() as tmp, _fake_env(seeded_dir):
        path = Path(tmp) / "cases.jsonl"
        lines = [dump({"id": f"q{n}", **c} if c["type"] != "unanswerable" else
                      {"id": f"q{n}", "type": "unanswerable", "question": c["question"],
                       "answers": [], "sources": []}) for n, c in enumerate(cases)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = Path(tmp) / "results.json"
        code = main(["eval", str(path), "--out", str(out), "--no-progress",
                     "--report", str(Path(tmp) / "report.html")])
        assert code in (0, 1, 2)
        if code != 2:
            results = json.loads(out.read_text(encoding="utf-8"))
            assert results
