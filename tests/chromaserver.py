"""A real Chroma server (`chroma run`, installed by chromadb) on a free loopback port, for tests.

The session fixture `chroma_server` (tests/conftest.py) starts one in a temporary folder, waits
for its heartbeat and stops it at the end; tests give each data dir its own collection.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from podium.config import Settings
from tests.conftest import fake_settings

START_S = 60.0


@dataclass(frozen=True)
class ChromaServer:
    """A running `chroma run`: where it listens, and its log."""

    host: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{self.host}:{self.port}"

    def env(self, collection: str) -> dict[str, str]:
        """PODIUM_* variables that point a podium process at this server."""
        return {"PODIUM_VECTORSTORE__PROVIDER": "chroma_server",
                "PODIUM_VECTORSTORE__HOST": self.host,
                "PODIUM_VECTORSTORE__PORT": str(self.port),
                "PODIUM_VECTORSTORE__COLLECTION": collection}


def chroma_executable() -> str | None:
    """The `chroma` command next to this Python (the virtual environment's), else on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.is_file() else shutil.which("chroma")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heartbeat(url: str) -> bool:
    """True when a Chroma server answers at url."""
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(command: list[str], url: str, log: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """Run a server command and wait for its heartbeat; fail with its log if none comes."""
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, **popen)
    deadline = time.monotonic() + START_S
    while not heartbeat(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"{' '.join(command)} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process, killing it if it does not end in 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_server(folder: Path) -> Iterator[ChromaServer]:
    """The body of the session fixture: start, yield, stop."""
    exe = chroma_executable()
    if exe is None:
        pytest.skip("the `chroma` command is missing (chromadb installs it): the Chroma server "
                    "tests need it")
    port = free_port()
    server = ChromaServer("127.0.0.1", port, folder / "chroma.log")
    proc = start([exe, "run", "--path", str(folder / "data"), "--host", server.host,
                  "--port", str(port)], server.url, server.log)
    try:
        yield server
    finally:
        stop(proc)


def server_settings(data_dir: Path, server: ChromaServer, **sections: Any) -> Settings:
    """fake_settings on the server, with a collection of this data dir's own."""
    collection = f"t-{uuid.uuid4().hex[:12]}"
    store = {"provider": "chroma_server", "host": server.host, "port": server.port,
             "collection": collection, **sections.pop("vectorstore", {})}
    return fake_settings(data_dir, vectorstore=store, **sections)
