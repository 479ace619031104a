"""Time from the `podium ui` command to a page that answers.

    .venv/bin/python bench/ui_start.py [--runs 3] [--variant NAME=REV …]
        [--out bench/results/ui_start.json]

Ingests data/transcripts into a fresh data dir, then, run after run, starts `podium ui` in a new
process on a free loopback port (the default stack) and records, from the command's start:
- serves_s: the page's HTML is served (HTTP 200 on /);
- api_s: a Gradio client has read the page's config (what the browser loads next);
- answered_s: a question sent at once through the page's own `ask` endpoint (what its Ask button
  calls; through gradio_client, not a browser) has its whole answer back; asked_s is that
  answer's own time, from the question's sending.
Each --variant NAME=REV runs the `podium` package of that commit (as bench/cold_start.py does;
"." is the working tree, the default), alternating. The time to open the page in a browser over
a large index is bench/page_open.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cold_start import QUESTION, REPO, run_env, setting, variant_sources
from localhost import free_port, serves

TIMEOUT_S = 300


def main() -> None:
    """Ingest, then start the page N times per variant and time it."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=REV")
    parser.add_argument("--setting", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ui_start.json")
    args = parser.parse_args()
    for spec in args.setting:
        setting(spec)
    runs = []
    with tempfile.TemporaryDirectory(prefix="podium-ui-") as tmp:
        root = Path(tmp)
        variants = variant_sources(args.variant, root)
        data_dir = root / "data"
        subprocess.run([sys.executable, "-m", "podium", "ingest", str(REPO / "data/transcripts"),
                        "--no-progress", *_where(data_dir)],
                       cwd=root, env=_env(next(iter(variants.values()))), check=True,
                       stdout=subprocess.DEVNULL)
        for n in range(args.runs):
            for name in (list(variants) if n % 2 == 0 else list(reversed(variants))):
                run = {"variant": name, "run": n + 1,
                       **_start(variants[name], data_dir, args.question, root)}
                print(json.dumps(run), flush=True)
                runs.append(run)
    results = {
        "command": " ".join(["python", "bench/ui_start.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "question": args.question,
        "summary": {name: {key: round(statistics.median(r[key] for r in runs
                                                        if r["variant"] == name), 2)
                           for key in ("serves_s", "api_s", "answered_s", "asked_s")}
                    for name in dict.fromkeys(r["variant"] for r in runs)},
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["summary"], indent=2))


def _where(data_dir: Path) -> list[str]:
    return ["--data-dir", str(data_dir), "--settings", str(REPO / "settings.toml")]


def _start(src: Path | None, data_dir: Path, question: str, cwd: Path) -> dict[str, Any]:
    """One start of the page: seconds to serving, to the API, to a whole answer. (Not run in
    the repository: `python -m` puts the working directory, and its podium, first.)"""
    from gradio_client import Client

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "podium", "ui", "--port", str(port), *_where(data_dir)],
        cwd=cwd, env=_env(src), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not serves(url):
            if server.poll() is not None or time.perf_counter() - started > TIMEOUT_S:
                sys.exit("podium ui did not start")
            time.sleep(0.05)
        served = time.perf_counter() - started
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
        api = time.perf_counter() - started
        outputs = client.predict(question=question, speaker="", after="", before="", docs=[],
                                 api_name="/ask")
        answered = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=60)
    conversation = str(outputs[0])
    return {"serves_s": round(served, 2), "api_s": round(api, 2),
            "answered_s": round(answered, 2), "asked_s": round(answered - api, 2),
            "answer_has_ammunition": "ammunition" in conversation,
            "load_average": round(os.getloadavg()[0], 2)}


def _env(src: Path | None) -> dict[str, str]:
    return run_env(src, GRADIO_ANALYTICS_ENABLED="False")


if __name__ == "__main__":
    main()
