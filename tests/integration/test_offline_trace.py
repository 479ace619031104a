"""Podium makes no network attempt: ingest, ask, eval and a page load traced with strace.

Every connect() and sendto() of every process is recorded; none may go to an address other
than loopback, and none may be a DNS query (port 53, wherever it goes). onnxruntime's telemetry
(DNS lookups of mobile.events.data.microsoft.com, a database under ~/.cache/Microsoft) was the
case that broke this promise (issue 14); HOME is a fresh folder so that any write there shows.
Runs with the real packaged embedding model; the answers use the extractive provider (fast).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="strace is Linux only"),
    pytest.mark.skipif(shutil.which("strace") is None,
                       reason="strace is not installed (scripts/strace.sh installs it)"),
]
PODIUM = [sys.executable, "-m", "podium"]
# Environment variables that switch onnxruntime's telemetry off by themselves: removed, so that
# the test proves Podium's own switch, not the CI machine's.
TELEMETRY_SWITCHES = ("ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS", "CI", "TF_BUILD",
                      "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TRAVIS", "CIRCLECI",
                      "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "CODEBUILD_BUILD_ID",
                      "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
_INET = re.compile(r"sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), "
                   r"(?:sin6_flowinfo=[^,]*, )?(?:inet_pton\(AF_INET6, |sin_addr=inet_addr\()"
                   r"\"([^\"]+)\"")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("offline")
    (root / "home").mkdir()
    clean = {k: v for k, v in os.environ.items()
             if k not in TELEMETRY_SWITCHES and not k.startswith("PODIUM_")}
    models = os.environ.get("PODIUM_MODELS_DIR", str(REPO / ".podium" / "models"))
    return {**clean, "HOME": str(root / "home"), "PODIUM_DATA_DIR": str(root / "data"),
            "PODIUM_MODELS_DIR": models, "PODIUM_LLM__PROVIDER": "extractive",
            "XDG_CACHE_HOME": str(root / "home" / ".cache"), "TRACE_ROOT": str(root)}


def _traced(env: dict[str, str], name: str, args: list[str]) -> Path:
    trace = Path(env["TRACE_ROOT"]) / f"{name}.trace"
    result = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", str(trace), *PODIUM, *args],
        env=env, cwd=env["TRACE_ROOT"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return trace


def outside(trace: Path) -> list[str]:
    """The traced calls that went to a non-loopback address or to port 53 (DNS)."""
    bad = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if "connect(" not in line and "sendto(" not in line:
            continue
        match = _INET.search(line)
        if match is None:
            continue  # AF_UNIX, AF_NETLINK, or no address (a connected socket)
        port, address = int(match.group(1)), ipaddress.ip_address(match.group(2))
        mapped = getattr(address, "ipv4_mapped", None)
        if port == 53 or not (address.is_loopback or (mapped and mapped.is_loopback)
                              or address.is_unspecified):
            bad.append(line)
    return bad


def _no_telemetry_files(env: dict[str, str]) -> None:
    assert not (Path(env["HOME"]) / ".cache" / "Microsoft").exists()


def test_ingest_ask_and_eval_stay_on_the_machine(env: dict[str, str]) -> None:
    traces = [_traced(env, "ingest", ["ingest", "--no-progress", str(SEED)]),
              _traced(env, "ask", ["ask", "--json", "What did Kuleba say about ammunition?"])]
    cases = Path(env["TRACE_ROOT"]) / "two.jsonl"
    cases.write_text("".join((REPO / "eval" / "seed.jsonl").read_text(
        encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    out = Path(env["TRACE_ROOT"]) / "results.json"
    traces.append(_traced(env, "eval", ["eval", str(cases), "--no-progress", "--out", str(out)]))
    assert out.is_file()
    for trace in traces:
        assert outside(trace) == [], trace.name
    _no_telemetry_files(env)


def test_a_page_load_stays_on_the_machine(env: dict[str, str]) -> None:
    if not (Path(env["PODIUM_DATA_DIR"]) / "podium.db").is_file():
        _traced(env, "ingest-ui", ["ingest", "--no-progress", str(SEED)])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    trace = Path(env["TRACE_ROOT"]) / "ui.trace"
    server = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", str(trace), *PODIUM, "ui",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=env["TRACE_ROOT"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    try:
        page = _get(f"http://127.0.0.1:{port}/", server, deadline=time.monotonic() + 180)
        assert "Podium" in page
        time.sleep(8)  # onnxruntime's uploader looked up its host a few seconds after start
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert outside(trace) == []
    _no_telemetry_files(env)


def _get(url: str, server: subprocess.Popen[bytes], deadline: float) -> str:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:  # loopback only
                return str(reply.read().decode("utf-8", "replace"))
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_the_trace_sees_a_child_process_connect(tmp_path: Path) -> None:
    """A UDP connect sends nothing, yet strace records it: the check above is not vacuous."""
    trace = tmp_path / "probe.trace"
    code = ("import socket, subprocess, sys\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('192.0.2.1', 53))\n"
            "subprocess.run([sys.executable, '-c', 'import socket; socket.socket(socket.AF_INET, "
            "socket.SOCK_DGRAM).connect((\\'127.0.0.1\\', 9))'], check=True)")
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto", "-o", str(trace),
                    sys.executable, "-c", code], check=True, timeout=60)
    text = trace.read_text(encoding="utf-8")
    assert '"127.0.0.1"' in text
    assert [line for line in outside(trace) if '"192.0.2.1"' in line]
    assert not [line for line in outside(trace) if '"127.0.0.1"' in line]


def test_the_trace_parser_flags_dns_and_remote_addresses(tmp_path: Path) -> None:
    trace = tmp_path / "t.trace"
    trace.write_text(
        '1 connect(8, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("10.255.255.53")}, 16) = 0\n'
        '2 connect(9, {sa_family=AF_INET, sin_port=htons(7860), '
        'sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
        '3 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n'
        '4 connect(9, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0\n'
        '5 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1\n'
        '6 sendto(9, "\\1\\2", 2, MSG_NOSIGNAL, NULL, 0) = 2\n', encoding="utf-8")
    assert [line[0] for line in outside(trace)] == ["1", "3"]
