"""What an install brings: no CUDA. pip's resolver report (`pip install --dry-run --report`) of
Podium with every extra scripts/test.sh installs must hold no `nvidia-*`, `cuda-*` or `triton`
package and only the CPU build of torch; Podium without extras (scripts/setup.sh) must not pull
torch at all; and every extra that pulls torch must pin it itself, so that installing that extra
alone resolves to the same CPU build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
TEST_EXTRAS = ("dev", "openai", "openai-compatible", "ollama", "huggingface", "train")
CUDA = re.compile(r"^(nvidia-|cuda-|triton)")
UNREACHABLE = re.compile(r"NewConnectionError|NameResolutionError|ConnectTimeout|ReadTimeout|"
                         r"Network is unreachable|Temporary failure in name resolution|"
                         r"Max retries exceeded|ProxyError")


def closure(report: dict[str, Any], extra: str | None) -> set[str]:
    """The packages of the report that installing Podium with this extra (None: no extra)
    brings, followed through each resolved package's requirements."""
    packages = {canonicalize_name(i["metadata"]["name"]): i["metadata"]
                for i in report["install"]}
    wanted: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [
        ("podium", frozenset({extra} if extra else set()))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen or name not in packages:
            continue
        seen.add((name, extras))
        wanted.add(name)
        for line in packages[name].get("requires_dist") or []:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e})
                                         for e in extras or {""}):
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    wanted.discard("podium")
    return wanted


def problems(report: dict[str, Any], declared: dict[str, list[str]]) -> list[str]:
    """What is wrong with a resolver report of Podium with extras (empty when nothing is)."""
    found = []
    by_name = {canonicalize_name(i["metadata"]["name"]): i for i in report["install"]}
    for name, item in sorted(by_name.items()):
        if CUDA.match(name):
            found.append(f"{name} {item['metadata']['version']} would be installed")
    if torch := by_name.get("torch"):
        version = torch["metadata"]["version"]
        url = torch.get("download_info", {}).get("url", "")
        if not version.endswith("+cpu") or "cpu" not in url.rsplit("/", 1)[-1]:
            found.append(f"torch {version} ({url}) is not the CPU build")
    if "torch" in closure(report, None):
        found.append("Podium without extras (scripts/setup.sh) pulls torch")
    for extra, requirements in declared.items():
        if "torch" in closure(report, extra) and not any(
                canonicalize_name(Requirement(r).name) == "torch" and
                str(Requirement(r).specifier).startswith("==") for r in requirements):
            found.append(f"the extra {extra!r} pulls torch without pinning it (torch==…)")
    return found


def _item(name: str, version: str, requires: list[str], url: str = "") -> dict[str, Any]:
    return {"metadata": {"name": name, "version": version, "requires_dist": requires},
            "download_info": {"url": url or f"https://files/{name}-{version}.whl"}}


CPU_TORCH = _item("torch", "2.13.0+cpu", ["sympy"],
                  "file:///opt/wheels/torch-2.13.0%2Bcpu-cp311-cp311-manylinux_2_28_x86_64.whl")


def test_a_cpu_torch_pinned_by_the_extra_that_pulls_it_passes() -> None:
    report = {"install": [
        _item("podium", "0.1.0",
              ["numpy", 'st==6; extra == "dev"', 'torch==2.13.0; extra == "dev"']),
        _item("numpy", "2.0", []), _item("st", "6", ["torch"]), CPU_TORCH, _item("sympy", "1", [])]}
    assert closure(report, None) == {"numpy"}
    assert closure(report, "dev") == {"numpy", "st", "torch", "sympy"}
    assert problems(report, {"dev": ["st==6", "torch==2.13.0"]}) == []


def test_cuda_packages_a_cuda_torch_and_an_unpinned_extra_are_named() -> None:
    report = {"install": [
        _item("podium", "0.1.0", ['st==6; extra == "dev"', 'llm; extra == "hf"']),
        _item("st", "6", ["torch"]), _item("llm", "1", ["st[fast]"]),
        _item("torch", "2.14.1", ['nvidia-cublas; platform_system == "Linux"', "triton"]),
        _item("nvidia-cublas", "13", []), _item("triton", "3.5", [])]}
    found = problems(report, {"dev": ["st==6"], "hf": ["llm", "torch==2.13.0"]})
    assert found == ["nvidia-cublas 13 would be installed", "triton 3.5 would be installed",
                     "torch 2.14.1 (https://files/torch-2.14.1.whl) is not the CPU build",
                     "the extra 'dev' pulls torch without pinning it (torch==…)"]


def test_torch_in_the_main_dependencies_is_named() -> None:
    report = {"install": [_item("podium", "0.1.0", ["torch==2.13.0"]), CPU_TORCH,
                          _item("sympy", "1", [])]}
    assert problems(report, {}) == ["Podium without extras (scripts/setup.sh) pulls torch"]


@pytest.mark.integration
def test_no_install_brings_cuda_or_a_torch_that_is_not_the_cpu_build(tmp_path: Path) -> None:
    """Resolve (without installing) Podium with every extra scripts/test.sh installs, through
    the package registries this machine is configured with."""
    report_file = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report_file), "-e", f"{REPO}[{','.join(TEST_EXTRAS)}]"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    if run.returncode != 0:
        if UNREACHABLE.search(run.stdout + run.stderr):
            pytest.skip("the package registry could not be reached: "
                        + run.stderr.strip().splitlines()[-1])
        pytest.fail(f"pip could not resolve Podium's extras:\n{run.stderr[-3000:]}")
    report = json.loads(report_file.read_text())
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    found = problems(report, {e: declared.get(e, []) for e in TEST_EXTRAS})
    assert not found, "; ".join(found)
