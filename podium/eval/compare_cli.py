"""`podium eval compare RUN.json RUN.json [RUN.json…] [--html OUT.html] [--json]`.

podium.eval.cli dispatches here; bad input raises PodiumError (one line, exit status 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from podium.errors import PodiumError
from podium.eval.compare import compare_runs, load_runs, to_json
from podium.eval.compare_render import render_html, render_text


def run_compare(paths: list[Path], *, html: Path | None = None, as_json: bool = False) -> int:
    """Compare the runs, print text (or JSON), write the HTML page when asked; return 0."""
    result = compare_runs(load_runs(paths))
    if html is not None:
        try:
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(render_html(result), encoding="utf-8")
        except OSError as exc:
            raise PodiumError(f"cannot write {html} ({exc.strerror or exc})") from None
    if as_json:
        doc = to_json(result)
        doc["html"] = str(html) if html is not None else None
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(render_text(result), end="")
        if html is not None:
            print(f"page: {html}")
    return 0
