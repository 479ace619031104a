"""Optional extras: import a provider's library, or say in one line how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from podium.errors import ModelError


def require(module: str, *, extra: str, provider: str) -> ModuleType:
    """Import `module`, which the `extra` of the podium package installs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelError(f"{provider} needs the optional extra {extra!r}: run "
                         f"pip install -e '.[{extra}]' in the Podium folder") from None
