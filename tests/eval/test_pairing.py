"""Case-by-case diffs of two runs (the baseline diff and compare share them), paired stats."""

from __future__ import annotations

from typing import Any

import pytest

from podium.eval.metrics import score_case
from podium.eval.pairing import CaseRow, compare_cases, diff_rows, paired, row_from_json

from .helpers import mixed


def test_compare_cases_finds_newly_failing_and_passing() -> None:
    results = mixed()
    scores = [score_case(r, 5) for r in results]

    def entry(case_id: str, passed: bool, question: str = "Who joined?") -> dict[str, Any]:
        return {"id": case_id, "expected": {"question": question}, "scores": {"passed": passed}}

    baseline = {"cases": [entry("a1", True), entry("a2", True), entry("a3", True),
                          entry("u1", False), entry("u2", True, "Another question?"),
                          entry("gone", True)]}
    comparison = compare_cases(results, scores, baseline)
    assert comparison.newly_failing == ["a2", "a3"]
    assert comparison.newly_passing == ["u1"]
    assert comparison.changed == ["u2"]
    assert comparison.not_in_baseline == ["u3"]
    assert comparison.only_in_baseline == ["gone"]
    assert [p[0] for p in comparison.pairs] == ["a1", "a2", "a3", "u1"]
    assert compare_cases(results, scores, None).newly_failing == []


def _rows(verdicts: str) -> list[CaseRow]:
    return [CaseRow(id=f"c{i}", type="factoid", question=f"Q{i}?", passed=v == "1")
            for i, v in enumerate(verdicts)]


def test_paired_counts_wins_losses_and_the_accuracy_change() -> None:
    stats = paired(diff_rows(_rows("1100000000"), _rows("1011111100")))
    assert (stats.cases, stats.won, stats.lost) == (10, 6, 1)
    assert stats.p == pytest.approx(2 * (1 + 7) / 2**7)  # 0.125
    assert (stats.before, stats.after) == (0.2, 0.7)
    assert stats.diff == pytest.approx(0.5)
    assert stats.diff_ci is not None and stats.diff_ci[0] <= 0.5 <= stats.diff_ci[1]
    assert stats.to_dict()["diff_ci"] == list(stats.diff_ci)


def test_paired_with_no_change_and_with_every_case_discordant() -> None:
    same = paired(diff_rows(_rows("1010"), _rows("1010")))
    assert (same.won, same.lost, same.p, same.diff, same.diff_ci) == (0, 0, 1.0, 0.0, (0.0, 0.0))
    flipped = paired(diff_rows(_rows("0000"), _rows("1111")))
    assert (flipped.won, flipped.lost, flipped.p) == (4, 0, 2 / 16)
    assert flipped.diff == 1.0 and flipped.diff_ci == (1.0, 1.0)
    nothing = paired(diff_rows([], []))
    assert nothing.diff is None and nothing.diff_ci is None and nothing.p == 1.0


def test_row_from_json_reads_verdict_stage_times_and_prompt_tokens() -> None:
    item = {"id": "w1", "type": "factoid", "expected": {"question": "Q?"}, "error": None,
            "ask": {"answer": "A [1]", "abstained": False, "usage": {"prompt_tokens": 604},
                    "timings_ms": {"first_token": 5300, "total": 7000, "bad": "x"}},
            "scores": {"passed": False, "stage": "writer"}}
    row = row_from_json(item)
    assert (row.id, row.passed, row.stage, row.answer) == ("w1", False, "writer", "A [1]")
    assert row.timings == {"first_token": 5300.0, "total": 7000.0}
    assert row.prompt_tokens == 604.0
    errored = row_from_json({**item, "ask": None, "error": "Boom"})
    assert errored.answer == "error: Boom" and errored.prompt_tokens is None
    with pytest.raises(KeyError):
        row_from_json({"id": "w1", "expected": {"question": "Q?"}})
