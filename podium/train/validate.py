"""Validation ranking on held-out transcripts: the reranker against the scorer it replaces.

Each validation question's answer turn is ranked among its transcript's other answer turns and
the passages that a keyword (BM25) search finds in other transcripts. The baseline is the
scorer answering used without a reranker: MiniLM cosine (question against passage) plus half
the share of the question's weighted key terms in the passage (podium.qa.evidence).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from podium.qa.evidence import OVERLAP_WEIGHT, term_overlaps
from podium.text import terms
from podium.train.mine import AnswerIndex, QATurn, is_validation

Scorer = Callable[[str, list[str]], np.ndarray]


@dataclass(frozen=True)
class RankingCase:
    """A held-out question, its answer and the candidates it is ranked among (answer first)."""

    question: str
    candidates: list[str]


def ranking_cases(turns: list[QATurn], index: AnswerIndex, *, limit: int = 150,
                  same_doc: int = 30, elsewhere: int = 30, seed: int = 0) -> list[RankingCase]:
    """Up to limit validation questions (answered ones, spread over the transcripts)."""
    held = [t for t in turns if is_validation(t.doc_id) and not t.deflects]
    by_doc: dict[str, list[QATurn]] = {}
    for turn in turns:
        by_doc.setdefault(turn.doc_id, []).append(turn)
    rng = random.Random(seed)
    rng.shuffle(held)
    seen: Counter[str] = Counter()
    turn_of_doc = []
    for turn in held:  # round robin over the transcripts: the 1st of each, then the 2nd…
        seen[turn.doc_id] += 1
        turn_of_doc.append(seen[turn.doc_id])
    held = [t for _, t in sorted(zip(turn_of_doc, held, strict=True), key=lambda p: p[0])]
    cases = []
    for turn in held[:limit]:
        own = [t.answer for t in by_doc[turn.doc_id] if t.answer != turn.answer][:same_doc]
        found = [a for a in index.search(turn.question, turn.doc_id, elsewhere) if a not in own]
        cases.append(RankingCase(turn.question, [turn.answer, *own, *found]))
    return cases


def ranking_figures(cases: list[RankingCase], scorer: Scorer) -> dict[str, float]:
    """MRR and recall at 1 and 3 of the answer (candidate 0) under a scorer."""
    ranks = []
    for case in cases:
        scores = np.asarray(scorer(case.question, case.candidates), dtype=np.float64)
        ranks.append(1 + int(np.sum(scores[1:] > scores[0])))
    n = max(len(ranks), 1)
    return {"cases": len(ranks), "mrr": sum(1 / r for r in ranks) / n,
            "r@1": sum(r == 1 for r in ranks) / n, "r@3": sum(r <= 3 for r in ranks) / n,
            "mean_candidates": float(np.mean([len(c.candidates) for c in cases])) if cases else 0}


def baseline_scorer(embed: Callable[[list[str]], list[list[float]]]) -> Scorer:
    """MiniLM cosine plus weighted key-term overlap, as answering scores without a reranker."""

    def score(question: str, passages: list[str]) -> np.ndarray:
        vectors = np.asarray(embed([question, *passages]), dtype=np.float64)
        cosine = vectors[1:] @ vectors[0]
        overlaps, _ = term_overlaps(question, [set(terms(p)) for p in passages])
        overlap = np.array(overlaps)
        return np.asarray(cosine + OVERLAP_WEIGHT * overlap)

    return score
