"""Time to open the chat page over a built index, in a real headless browser.

    .venv/bin/python bench/page_open.py --data-dir DIR [--opens 5]
        [--out bench/results/page_open.json]

Starts `podium ui` on DIR (the real default stack), waits until it serves, then opens the page
N times in headless Debian Chromium, each a fresh Gradio session. Each open is timed from the
request until the chat can be used (question box and Ask button), and until the Library tab,
clicked as soon as it exists, shows its page line (#lib-page): the page's load event fills the
transcript picker and the Library's first page of documents. Needs /usr/bin/chromium and
/usr/bin/chromedriver (scripts/browser.sh).
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

from localhost import free_port, serves
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parent.parent
CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000"]
CHAT_JS = """
return Boolean(document.querySelector('#question textarea') && document.querySelector('#ask'));
"""
# Gradio renders a tab when it is first shown: open the Library, wait for its page line.
LIBRARY_JS = """
const line = document.querySelector('#lib-page');
if (line && line.textContent.trim()) return line.textContent.trim();
const tab = [...document.querySelectorAll('button[role=tab]')]
    .find(b => b.textContent.trim() === 'Library');
if (tab && tab.getAttribute('aria-selected') !== 'true') tab.click();
return null;
"""


def main() -> None:
    """Start the page, time N opens, write the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "page_open.json")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env.update(PODIUM_DATA_DIR=str(args.data_dir), GRADIO_ANALYTICS_ENABLED="False",
               SE_OFFLINE="true")
    status = json.loads(subprocess.run([sys.executable, "-m", "podium", "status", "--json"],
                                       env=env, check=True, capture_output=True,
                                       text=True).stdout)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "podium", "ui", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        while not serves(url):
            if server.poll() is not None or time.perf_counter() - started > 300:
                sys.exit("podium ui did not start")
            time.sleep(0.2)
        serve_s = time.perf_counter() - started
        timed = [_open(url) for _ in range(args.opens)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    chat = [c for c, _, _ in timed]
    library = [lib for _, lib, _ in timed]
    results = {
        "command": " ".join(["python", "bench/page_open.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": round(os.getloadavg()[0], 2),
        "index": {"documents": status["documents"]["complete"], "chunks": status["chunks"]},
        "server_start_s": round(serve_s, 1),
        "chat_usable_s": [round(x, 2) for x in chat],
        "chat_usable_p50_s": round(statistics.median(chat), 2),
        "library_shown_s": [round(x, 2) for x in library],
        "library_shown_p50_s": round(statistics.median(library), 2),
        "library_line": timed[-1][2],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def _browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in [*CHROME_ARGS, f"--user-data-dir={tempfile.mkdtemp(prefix='podium-chrome-')}"]:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _open(url: str) -> tuple[float, float, str]:
    """In a new browser (a fresh session): seconds from the request until the chat can be used,
    and until the Library tab, opened then, shows its first page; and its page line."""
    driver = _browser()
    try:
        started = time.perf_counter()
        driver.get(url)
        _until(driver, CHAT_JS, started)
        chat = time.perf_counter() - started
        line = _until(driver, LIBRARY_JS, started)
        return chat, time.perf_counter() - started, str(line)
    finally:
        driver.quit()


def _until(driver: webdriver.Chrome, script: str, started: float) -> object:
    while not (value := driver.execute_script(script)):
        if time.perf_counter() - started > 120:
            raise TimeoutError("the page did not become usable within 120 s")
        time.sleep(0.05)
    return value


if __name__ == "__main__":
    main()
