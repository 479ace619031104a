"""Scoring and aggregation on hand-made results."""

from __future__ import annotations

import pytest

from podium.config import EvalSettings
from podium.eval.metrics import (
    check_thresholds,
    failure_stage,
    invalid_markers,
    key_fact_reasons,
    normalise,
    percentile,
    rank_of_first_source,
    score_case,
    summarise,
    summarise_by_type,
)

from .helpers import ask, case, mixed, result


def test_normalise_straightens_quotes_dashes_case_and_spaces() -> None:
    text = "  NATO’s “75th”\u00a0 Anniversary — 2024\n"
    assert normalise(text) == "nato's \"75th\" anniversary - 2024"
    assert normalise("Zelenskyy‘s 2–3\tdays") == "zelenskyy's 2-3 days"


def test_key_facts_pass_after_normalisation() -> None:
    c = case(answers=("NATO's 75th anniversary",))
    answer = "It marked NATO’s   75TH anniversary [1]."
    assert key_fact_reasons(c, answer, False) == []


def test_key_fact_failures_say_why() -> None:
    c = case(answers=("Kuleba", "Dmytro"), all_of=("Thursday", "Council"))
    assert key_fact_reasons(c, "Kuleba joined on Thursday.", False) == \
        ["all_of missing 'Council'"]
    assert key_fact_reasons(c, "Someone joined the Council on Friday.", False) == \
        ["missing key fact 'Kuleba' / 'Dmytro'", "all_of missing 'Thursday'"]
    assert key_fact_reasons(c, "Kuleba, Thursday, Council", True) == ["abstained"]


def test_unanswerable_passes_only_by_abstaining() -> None:
    c = case(kind="unanswerable")
    assert key_fact_reasons(c, "The transcripts don't say.", True) == []
    assert key_fact_reasons(c, "France won [1].", False) == ["should have abstained"]


def test_invalid_markers_are_numbers_without_a_citation() -> None:
    assert invalid_markers("A [1]. B [3]. C [1, 4] [3].", [1, 2]) == [3, 4]
    assert invalid_markers("A [1][2].", [1, 2]) == []
    assert invalid_markers("No markers at all.", []) == []
    assert invalid_markers("See [2].", []) == [2]


@pytest.mark.parametrize(("retrieved", "rank"), [
    (("a.txt", "b.txt"), 1), (("x.txt", "x.txt", "b.txt", "a.txt"), 2), (("x.txt",), None),
    ((), None),
])
def test_rank_of_first_source_counts_distinct_documents(retrieved: tuple[str, ...],
                                                        rank: int | None) -> None:
    assert rank_of_first_source(retrieved, ["a.txt", "b.txt"]) == rank


def test_score_case_retrieval_and_cited_sources() -> None:
    c = case(sources=("a.txt", "b.txt"))
    r = result(c, ask("Kuleba [1][2]", cited=("a.txt", "z.txt")),
               retrieved=("x.txt", "y.txt", "b.txt", "a.txt"))
    score = score_case(r, k=2)
    assert score.passed and score.reasons == []
    assert (score.hit_at_1, score.hit_at_k, score.reciprocal_rank) == (False, False, 1 / 3)
    assert score_case(r, k=3).hit_at_k is True
    assert score.cited_precision == 0.5 and score.cited_recall == 0.5


def test_an_error_fails_the_case_and_is_counted() -> None:
    r = result(case(), None, error="PodiumError: boom")
    score = score_case(r, 5)
    assert not score.passed and score.reasons == ["error: PodiumError: boom"]
    summary = summarise([r], [score], 5)
    assert summary["errors"] == 1 and summary["accuracy"] == 0.0
    assert summary["latency_total_p50_ms"] is None


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None
    assert percentile(list(range(1, 101)), 100) == 100


def test_summarise_on_hand_made_results() -> None:
    results = mixed()
    scores = [score_case(r, 5) for r in results]
    assert [s.passed for s in scores] == [True, False, False, True, True, False]
    s = summarise(results, scores, 5)
    assert s["cases"] == 6 and s["passed"] == 3 and s["accuracy"] == 0.5
    assert s["abstained"] == 3
    assert s["abstention_precision"] == pytest.approx(2 / 3)  # a3 abstained wrongly
    assert s["abstention_recall"] == pytest.approx(2 / 3)  # u3 answered
    assert s["hit_at_1"] == pytest.approx(2 / 3) and s["hit_at_k"] == 1.0
    assert s["mrr"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert s["cited_source_precision"] == 0.5  # a1 right, a2 wrong; a3 cites nothing
    assert s["cited_source_recall"] == pytest.approx(1 / 3)
    assert s["citations"] == 3 and s["citation_exactness"] == pytest.approx(2 / 3)
    assert s["invalid_marker_rate"] == pytest.approx(1 / 6)  # a2 has [2] with one citation
    assert s["latency_retrieve_p50_ms"] == 35.0
    assert s["latency_total_p95_ms"] == pytest.approx(325.0)  # 220 + 0.75 * (360 - 220)
    # Wilson, 3 of 6: 1/2 ± 1.96 / (2 * sqrt(6 + 1.96²)) = 0.5 ± 0.31239
    assert s["accuracy_ci"] == pytest.approx([0.1876, 0.8124], abs=1e-4)
    # 3 of 3 answerable hit@k: low = 3 / (3 + 1.96²) = 0.43849, high 1
    assert s["hit_at_k_ci"] == pytest.approx([0.4385, 1.0], abs=1e-4)
    for key in ("hit_at_1", "citation_exactness", "invalid_marker_rate", "abstention_precision",
                "abstention_recall", "mrr", "cited_source_precision", "cited_source_recall"):
        low, high = s[f"{key}_ci"]
        assert low <= s[key] <= high, key
    by_type = summarise_by_type(results, scores, 5)
    assert list(by_type) == ["factoid", "unanswerable"]
    assert by_type["unanswerable"]["hit_at_k"] is None
    assert by_type["unanswerable"]["abstention_recall"] == pytest.approx(2 / 3)


def test_abstention_precision_is_none_without_abstentions() -> None:
    results = [result(case("a1"), ask("Kuleba [1]", cited=("a.txt",)))]
    s = summarise(results, [score_case(r, 5) for r in results], 5)
    assert s["abstention_precision"] is None and s["abstention_recall"] is None
    assert s["abstention_precision_ci"] is None and s["abstention_recall_ci"] is None


def test_thresholds_fail_only_metrics_beyond_their_limit() -> None:
    summary = {"accuracy": 0.5, "hit_at_k": 1.0, "citation_exactness": 0.99,
               "invalid_marker_rate": 0.1, "abstention_precision": None,
               "abstention_recall": 1.0, "cited_source_precision": 0.9,
               "latency_total_p95_ms": 900.0}
    limits = EvalSettings.model_validate({"min_accuracy": 0.6, "max_invalid_marker_rate": 0.1,
                                          "min_abstention_precision": 0.9,
                                          "max_p95_total_ms": 800})
    assert check_thresholds(summary, limits) == [
        "accuracy 0.5 < eval.min_accuracy 0.6",
        "citation_exactness 0.99 < eval.min_citation_exactness 1",
        "latency_total_p95_ms 900 > eval.max_p95_total_ms 800",
    ]
    relaxed = EvalSettings.model_validate({"min_accuracy": 0.5, "min_citation_exactness": 0.9,
                                           "max_invalid_marker_rate": 0.1})
    assert check_thresholds(summary, relaxed) == []


def test_default_limits_pass_the_seed_run_of_the_default_models() -> None:
    # Measured: eval/seed.jsonl with MiniLM + Qwen2.5-Coder-1.5B on a 2-core machine.
    seed_run = {"accuracy": 41 / 64, "hit_at_k": 1.0, "citation_exactness": 1.0,
                "invalid_marker_rate": 0.0, "cited_source_precision": 0.892,
                "abstention_recall": 4 / 9, "abstention_precision": 0.5,
                "latency_total_p95_ms": 7361.0}
    assert check_thresholds(seed_run, EvalSettings()) == []
    worse = {**seed_run, "accuracy": 0.45, "citation_exactness": 0.98}
    assert check_thresholds(worse, EvalSettings()) == [
        "accuracy 0.45 < eval.min_accuracy 0.6",
        "citation_exactness 0.98 < eval.min_citation_exactness 1",
    ]


def _shown(*quotes: str, speaker: str | None = None) -> list[dict[str, object]]:
    return [{"quote": q, "speaker": speaker, "title": "T", "date": "2024-04-03"} for q in quotes]


@pytest.mark.parametrize(("kind", "ask_fields", "retrieved", "stage"), [
    ("unanswerable", {"answer": "Paris [1]"}, ("a.txt",), "missed abstention"),
    ("factoid", {"answer": "x", "sources": _shown("Kuleba spoke")}, ("b.txt",), "retrieval"),
    ("factoid", {"answer": "x", "sources": _shown("Blinken spoke")}, ("a.txt",), "evidence"),
    ("factoid", {"answer": "x", "abstained": True, "sources": _shown("Kuleba spoke")},
     ("a.txt",), "false abstention"),
    ("factoid", {"answer": "x", "reply": "Blinken [1].",
                 "sources": _shown("x", speaker="FOREIGN MINISTER KULEBA")}, ("a.txt",),
     "writer"),
    ("factoid", {"answer": "x", "reply": "Kuleba joined [1].", "sources": _shown("Kuleba")},
     ("a.txt",), "checker"),
])
def test_failure_stage_names_the_first_stage_that_lost_the_fact(
        kind: str, ask_fields: dict[str, object], retrieved: tuple[str, ...], stage: str) -> None:
    c = case(kind=kind)
    a = {**ask("x"), **ask_fields}
    score = score_case(result(c, a, retrieved=retrieved), k=5)
    assert not score.passed and score.stage == stage
    assert failure_stage(c, a, list(retrieved)) == stage


def test_passing_cases_have_no_stage_and_summary_counts_stages() -> None:
    good = result(case("g"), ask("Kuleba [1]", cited=("a.txt",)))
    bad = result(case("b"), {**ask("x"), "sources": _shown("nothing")})
    scores = [score_case(r, k=5) for r in (good, bad)]
    assert scores[0].stage is None
    assert summarise([good, bad], scores, k=5)["failures_by_stage"] == {"evidence": 1}
