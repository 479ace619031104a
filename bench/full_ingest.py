"""The whole corpus, ingested by the ordinary command, one sitting at a time.

Runs `podium ingest --no-progress CORPUS…` into DATA_DIR as a child process (at the default
`ingest.nice`), waits for it (or for --stop-after seconds, then interrupts it as Ctrl-C would:
the next run resumes), and appends one entry per run to the results file: wall time, the
child's peak RSS (os.wait4), what its summary says it wrote, the load average, and
`podium status --json` afterwards (documents, chunks, keyword rows, vectors, disk, unfinished).
The totals add the runs up; `finished` is true once a run ended with nothing left to do.

Run (resumable; a kill, a reboot or --stop-after only ends a run):
  .venv/bin/python bench/full_ingest.py --data-dir .podium/full \\
      ../shared/corpus/wh_briefing_room_2021_2025.jsonl.gz [--stop-after 3600]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PODIUM = Path(sys.executable).parent / "podium"


def status(data_dir: Path) -> dict[str, Any]:
    """`podium status --json` of the data dir."""
    done = subprocess.run([str(PODIUM), "status", "--json", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def one_run(data_dir: Path, corpora: list[Path], stop_after: float | None) -> dict[str, Any]:
    """One `podium ingest` run: its figures, and what it printed last."""
    env = {**os.environ, "PODIUM_DATA_DIR": str(data_dir)}
    load_before = os.getloadavg()[0]
    started, date = time.perf_counter(), time.strftime("%Y-%m-%d %H:%M")
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen([str(PODIUM), "ingest", "--no-progress", *map(str, corpora)],
                                 env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                 # a background shell job ignores SIGINT; --stop-after needs it
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        timer = None
        if stop_after is not None:
            timer = threading.Timer(stop_after, child.send_signal, (signal.SIGINT,))
            timer.start()
        _, code, usage = os.wait4(child.pid, 0)
        if timer is not None:
            timer.cancel()
        out.seek(0)
        printed = out.read()
    seconds = time.perf_counter() - started
    written = re.search(r"([\d,]+) added, ([\d,]+) updated, ([\d,]+) unchanged.*?; "
                        r"([\d,]+) chunks written in ([\d.]+) s", printed)
    run: dict[str, Any] = {
        "date": date, "wall_s": round(seconds, 1),
        "exit_status": os.waitstatus_to_exitcode(code),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "summary": printed.strip().splitlines()[-3:],
    }
    if written:
        added, updated, unchanged, chunks = (int(written.group(i).replace(",", ""))
                                             for i in range(1, 5))
        run.update(added=added, updated=updated, unchanged=unchanged, chunks_written=chunks,
                   chunks_per_s=round(chunks / max(float(written.group(5)), 1e-9), 1))
    return run


def main() -> None:
    """Run once more and append the run to the results file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("corpora", type=Path, nargs="+")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--stop-after", type=float, default=None,
                        help="interrupt the run after this many seconds (it resumes next time)")
    parser.add_argument("--out", type=Path,
                        default=REPO / "bench" / "results" / "full_ingest.json")
    args = parser.parse_args()
    results: dict[str, Any] = (json.loads(args.out.read_text()) if args.out.exists() else {
        "command": "python bench/full_ingest.py " + shlex.join(sys.argv[1:]),
        "machine": f"{os.cpu_count()} cores", "runs": []})
    run = one_run(args.data_dir, args.corpora, args.stop_after)
    after = status(args.data_dir)
    run["status_after"] = {k: after[k] for k in ("documents", "chunks", "keyword_rows")} | {
        "vectors": after["vector_store"]["ids"], "disk_bytes": after["disk"]["bytes"],
        "pending": len(after["pending_ids"]), "unfinished": after["unfinished"]}
    results["runs"].append(run)
    runs = results["runs"]
    results["totals"] = {
        "runs": len(runs), "wall_s": round(sum(r["wall_s"] for r in runs), 1),
        "chunks_written": sum(r.get("chunks_written", 0) for r in runs),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "documents": after["documents"], "chunks": after["chunks"],
        "disk_bytes": after["disk"]["bytes"],
        "finished": run["exit_status"] == 0 and not after["pending_ids"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
