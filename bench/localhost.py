"""Small helpers for benches that start a Podium page on this machine."""

from __future__ import annotations

import socket
import urllib.request


def serves(url: str) -> bool:
    """True when the URL answers 200 within 5 s."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
