"""Training Podium\x27s reranker (the `train` extra: torch)."""
