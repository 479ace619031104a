"""The chat page in a real browser: headless Debian Chromium driving `podium ui`.

The tests marked integration use a page served by the real default stack (MiniLM embeddings,
local Qwen GGUF) over the seed corpus plus one hostile transcript. The hostile-transcript tests
use a page with the fake models over transcripts whose titles, speaker labels and text (and the
question) carry markup, Markdown images and links, and javascript: URLs; a beacon HTTP server
on a free loopback port tells whether the browser fetched any of their URLs. The tests use only
the page's DOM contract in docs/ui.md (element ids, data-state, li.citation, mark#podium-hl).

Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/browser.sh installs them). Without
them the tests skip, unless REQUIRE_BROWSER=1 (CI), where they fail. UI_SCREENSHOT=PATH
saves the citation screenshot there (e.g. docs/ui-citation.png) instead of pytest's tmp dir.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import REPO, SEED

pytestmark = [pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PODIUM = REPO / ".venv" / "bin" / "podium"
SERVER_START_S = 180.0
ANSWER_S = 240.0
EVIL_TEXT = ('SECRETARY BLINKEN:  <script>window.__pwned = 1</script>'
             '<img src=x onerror="window.__pwned=2"> The summit starts on Tuesday.\n')
QUESTION = "What did Kuleba say they would discuss about ammunition and weapons?"
QUESTION_A = "On what date did Stoltenberg welcome Blinken to NATO Headquarters?"
QUESTION_B = "Which rocket system was more ammunition announced for in the new U.S. package?"
CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--window-size=1400,1000"]

T = TypeVar("T")

# The state of every answer in #conversation, and the text of the last one.
ANSWERS_JS = """
const answers = [...document.querySelectorAll('#conversation .answer')];
const last = answers[answers.length - 1];
const text = last ? (last.querySelector('.text') || last).textContent : '';
return {states: answers.map(a => a.getAttribute('data-state')), text: text};
"""

# Where the highlighted quote is painted: '' when its middle lies inside #viewer's own box, inside
# every scrolling ancestor's visible box and inside the window; else what is wrong.
IN_VIEW_JS = """
const el = arguments[0];
const r = el.getBoundingClientRect();
if (r.width === 0 && r.height === 0) return 'the mark has no box';
const y = (r.top + r.bottom) / 2, x = (r.left + r.right) / 2;
const name = e => e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className;
const viewer = el.closest('#viewer');
if (viewer) {
  const v = viewer.getBoundingClientRect();
  if (y < v.top || y > v.bottom)
    return `painted outside #viewer's own box: mark middle y=${Math.round(y)}, #viewer ` +
           `${Math.round(v.top)}..${Math.round(v.bottom)} (overflow-y ` +
           `${getComputedStyle(viewer).overflowY}, content ${viewer.scrollHeight}px in ` +
           `${viewer.clientHeight}px)`;
}
for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
  const s = getComputedStyle(p);
  if (!/(auto|scroll|hidden)/.test(s.overflowY) || p.scrollHeight <= p.clientHeight) continue;
  const b = p.getBoundingClientRect();
  if (y < b.top || y > b.bottom)
    return `outside its scroll container ${name(p)}: mark middle y=${Math.round(y)}, ` +
           `container ${Math.round(b.top)}..${Math.round(b.bottom)}, scrollTop=${p.scrollTop}`;
}
if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth)
  return `outside the window: mark middle (${Math.round(x)}, ${Math.round(y)}), ` +
         `window ${window.innerWidth}x${window.innerHeight}`;
return '';
"""

# The height the window needs to show the whole page without scrolling.
PAGE_HEIGHT_JS = """
const tall = [document.documentElement, document.body,
              ...document.querySelectorAll('.gradio-container')].map(e => e.scrollHeight);
return Math.max(...tall) + (window.outerHeight - window.innerHeight) + 16;
"""


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = (f"{' and '.join(missing)} missing: run scripts/browser.sh "
              "(apt-get install chromium chromium-driver)")
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _podium_env() -> dict[str, str]:
    """The environment of the podium subprocesses: the real default stack, nothing else.

    Every PODIUM_* variable is dropped (a developer's own settings must not change what the
    test runs); only the models dir is passed, as in tests/integration.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_MODELS_DIR"] = os.environ.get("PODIUM_MODELS_DIR",
                                              str(REPO / ".podium" / "models"))
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.2) -> T:
    """Poll until check() returns something truthy; fail naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(every)


@dataclass
class Server:
    """A running `podium ui`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`podium ui` over the seed corpus and evil.txt, ingested with the real default stack."""
    _require_browser()
    root = tmp_path_factory.mktemp("ui")
    data, extra = root / "data", root / "extra"
    extra.mkdir()
    (extra / "evil.txt").write_text(EVIL_TEXT, encoding="utf-8")
    env = _podium_env()
    ingest = subprocess.run(
        [str(PODIUM), "ingest", "--no-progress", "--data-dir", str(data),
         str(SEED.relative_to(REPO)), str(extra)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert ingest.returncode == 0, f"podium ingest failed:\n{ingest.stdout}\n{ingest.stderr}"
    assert "6 added" in ingest.stdout + ingest.stderr, ingest.stdout + ingest.stderr
    with _serve(data, root / "ui.log", env, REPO) as running:
        yield running


@contextmanager
def _serve(data: Path, log: Path, env: dict[str, str], cwd: Path) -> Iterator[Server]:
    """`podium ui` on data at a free port, once it answers; stopped afterwards."""
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(PODIUM), "ui", "--data-dir", str(data), "--port", str(port)],
            cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    running = Server(f"http://127.0.0.1:{port}/", process, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _answers_http(running.url):
            if process.poll() is not None:
                pytest.fail(f"podium ui exited with {process.returncode}:\n{running.output()}",
                            pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"podium ui did not answer {running.url} within "
                            f"{SERVER_START_S:.0f} s:\n{running.output()}", pytrace=False)
            time.sleep(0.5)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _chrome(profile: Path) -> Any:
    """A headless Debian Chromium; Selenium Manager is never used (explicit driver path)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in [*CHROME_ARGS, f"--user-data-dir={profile}"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Any]]:
    """Start headless browsers on demand; all of them quit at the end of the module."""
    _require_browser()
    drivers: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # belt and braces: Selenium Manager must not download

        def start() -> Any:
            drivers.append(_chrome(tmp_path_factory.mktemp("chrome-profile")))
            return drivers[-1]

        try:
            yield start
        finally:
            for driver in drivers:
                driver.quit()


@pytest.fixture(scope="module")
def driver(browser_factory: Callable[[], Any]) -> Any:
    return browser_factory()


def _open(driver: Any, server: Server) -> None:
    """Load the page afresh (a new Gradio session) and wait until it can be used."""
    from selenium.webdriver.common.by import By

    driver.get(server.url)
    _wait("the question box #question textarea and #ask",
          lambda: driver.find_elements(By.CSS_SELECTOR, "#question textarea")
          and driver.find_elements(By.CSS_SELECTOR, "#ask"), 60)


def _type_question(driver: Any, question: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    _wait("the question box to hold the question",
          lambda: box.get_attribute("value") == question, 10)


def _library_options(driver: Any) -> tuple[list[Any], list[str]]:
    """Open the Library's #lib-doc picker: its option elements and their labels."""
    from selenium.webdriver.common.by import By

    combo = _wait("#lib-doc input", lambda: next(
        (e for e in driver.find_elements(By.CSS_SELECTOR, "#lib-doc input")
         if e.is_displayed()), None), 10)
    _click(driver, combo)
    options = _wait("the options of #lib-doc", lambda: driver.find_elements(
        By.CSS_SELECTOR, "#lib-doc li[role=option]"), 10)
    return options, [(o.get_attribute("aria-label") or o.text).strip() for o in options]


def _click(driver: Any, element: Any) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'nearest'});", element)
    element.click()


def _answers(driver: Any) -> dict[str, Any]:
    return dict(driver.execute_script(ANSWERS_JS))


def _check_alive(driver: Any, server: Server) -> None:
    """Fail at once, rather than at a timeout, if the server died or the page shows an error."""
    if server.process.poll() is not None:
        pytest.fail(f"podium ui exited with {server.process.returncode}:\n{server.output()}",
                    pytrace=False)
    toasts = driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=toast-body].error')]"
        ".map(t => t.textContent.trim());")
    if toasts:
        _fail_with_page(driver, server, f"the page shows an error: {toasts}")


def _finished(driver: Any, turns: int = 1) -> dict[str, Any] | None:
    seen = _answers(driver)
    states = seen["states"]
    if len(states) >= turns and states[-1] not in (None, "streaming"):
        return seen
    return None


def _fail_with_page(driver: Any, server: Server, message: str) -> None:
    from selenium.webdriver.common.by import By

    conversation = driver.find_elements(By.ID, "conversation")
    html = conversation[0].get_attribute("innerHTML")[-3000:] if conversation else "(none)"
    pytest.fail(f"{message}\n#conversation: {html}\nserver output:\n{server.output()}",
                pytrace=False)


@pytest.mark.integration
def test_ask_stream_click_citation_highlights_exact_quote(
        driver: Any, server: Server, tmp_path: Path,
        record_property: Callable[[str, object], None]) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, server)
    _type_question(driver, QUESTION)
    _click(driver, driver.find_element(By.ID, "ask"))

    # Watch the answer grow; whether a partial answer is caught depends on timing.
    streaming_seen = partial_text_seen = False
    final: dict[str, Any] | None = None
    deadline = time.monotonic() + ANSWER_S
    while final is None:
        seen = _answers(driver)
        if seen["states"] and seen["states"][-1] == "streaming":
            streaming_seen = True
            partial_text_seen = partial_text_seen or bool(seen["text"].strip())
        elif seen["states"]:
            final = seen
            break
        if time.monotonic() > deadline:
            _fail_with_page(driver, server, f"no finished answer within {ANSWER_S:.0f} s")
        _check_alive(driver, server)
        time.sleep(0.1)
    record_property("streaming_state_observed", streaming_seen)
    record_property("partial_text_observed", partial_text_seen)
    print(f"streaming state observed: {streaming_seen}; partial text observed: "
          f"{partial_text_seen}")
    if final["states"][-1] != "done":
        _fail_with_page(driver, server, f"the answer ended {final['states'][-1]!r}, not 'done'")
    assert final["text"].strip(), "the finished answer has no text"

    quotes = driver.find_elements(
        By.CSS_SELECTOR, '#conversation .answer[data-state="done"] li.citation[data-n="1"] .quote')
    assert quotes, "the done answer has no li.citation[data-n='1'] .quote"
    quote = driver.execute_script("return arguments[0].textContent;", quotes[0])
    assert quote.strip(), "citation [1] has an empty quote"

    chip = _wait("the chip labelled [1] in #citations", lambda: next(
        (label for label in driver.find_elements(By.CSS_SELECTOR, "#citations label")
         if label.text.strip().startswith("[1]")), None), 30)
    chip_label = chip.text.strip()
    _click(driver, chip)

    mark = _wait("#viewer mark#podium-hl",
                 lambda: next(iter(driver.find_elements(By.CSS_SELECTOR,
                                                        "#viewer mark#podium-hl")), None), 30)
    marked = driver.execute_script("return arguments[0].textContent;", mark)
    assert marked == quote, f"highlight {marked!r} != citation quote {quote!r}"

    # The page scrolls the mark into view a moment after rendering it.
    deadline = time.monotonic() + 5
    while (problem := driver.execute_script(IN_VIEW_JS, mark)) and time.monotonic() < deadline:
        time.sleep(0.2)

    heads = driver.find_elements(By.CSS_SELECTOR, "#viewer .doc-head")
    head = driver.execute_script("return arguments[0].textContent;", heads[0]).strip() \
        if heads else None

    shot = Path(os.environ.get("UI_SCREENSHOT") or tmp_path / "ui-citation.png")
    _screenshot(driver, mark, shot)
    print(f"screenshot: {shot}")

    assert not problem, f"the highlighted quote is not scrolled into view: {problem} ({shot})"
    assert head is not None, "#viewer has no .doc-head"
    assert head, "#viewer .doc-head is empty"
    title = chip_label.split(" · ", 1)[1].strip() if " · " in chip_label else ""
    assert title[:40] in head, f"chip {chip_label!r}: title not in the viewer's head {head!r}"


def _screenshot(driver: Any, mark: Any, path: Path) -> None:
    """The whole page, the answer and the highlighted quote both in sight, saved to path."""
    size = driver.get_window_size()
    height = int(driver.execute_script(PAGE_HEIGHT_JS))
    driver.set_window_size(size["width"], min(max(height, size["height"]), 2400))
    try:
        driver.execute_script("window.scrollTo(0, 0);"
                              "arguments[0].scrollIntoView({block: 'nearest'});", mark)
        time.sleep(0.3)
        path.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(path)), f"could not write the screenshot {path}"
    finally:
        driver.set_window_size(size["width"], size["height"])


@pytest.mark.integration
def test_script_in_a_transcript_cannot_run(driver: Any, server: Server) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, server)
    tab = _wait("the Library tab", lambda: next(
        (t for t in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]")
         if t.text.strip() == "Library"), None), 10)
    _click(driver, tab)
    options, labels = _library_options(driver)
    # evil.txt is titled after its one speaker, "Remarks: Secretary Blinken"; other transcripts
    # share that prefix, so pick by the doc id, else the title with at most a (date) after it.
    title = "Remarks: Secretary Blinken"
    chosen = [o for o, label in zip(options, labels, strict=True) if "evil.txt" in label] or [
        o for o, label in zip(options, labels, strict=True)
        if label == title or label.startswith(title + " (")]
    assert len(chosen) == 1, f"cannot tell evil.txt among the #lib-doc options {labels}"
    _click(driver, chosen[0])
    _click(driver, driver.find_element(By.ID, "lib-read"))

    def shown() -> str | None:
        """The text #lib-text shows once the transcript is in, else None."""
        box = driver.find_element(By.ID, "lib-text")
        values = [e.get_attribute("value") or "" for e in
                  box.find_elements(By.CSS_SELECTOR, "textarea, input")]
        text = "\n".join([box.text, *values])
        return text if "The summit starts on Tuesday" in text else None

    text = _wait("the transcript in #lib-text", shown, 30)
    time.sleep(0.5)  # let an injected <img onerror> fire, were there one
    assert driver.execute_script("return typeof window.__pwned;") == "undefined"
    assert "<script>window.__pwned = 1</script>" in text, text
    assert '<img src=x onerror="window.__pwned=2">' in text, text
    injected = driver.find_elements(By.CSS_SELECTOR, "#lib-text script, #lib-text img")
    assert not injected, "the transcript's markup became elements in #lib-text"


@pytest.mark.integration
def test_two_sessions_get_their_own_answers(driver: Any, server: Server,
                                            browser_factory: Callable[[], Any]) -> None:
    from selenium.webdriver.common.by import By

    other = browser_factory()
    pages = [(driver, QUESTION_A), (other, QUESTION_B)]
    for page, question in pages:
        _open(page, server)
        _type_question(page, question)
    # Click both Ask buttons as close together as the two drivers allow.
    barrier = threading.Barrier(len(pages))
    errors: list[BaseException] = []

    def ask(page: Any) -> None:
        try:
            button = page.find_element(By.ID, "ask")
            barrier.wait(timeout=30)
            button.click()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(page,)) for page, _ in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    deadline = time.monotonic() + 2 * ANSWER_S
    finals: list[dict[str, Any]] = []
    for page, _ in pages:
        while (final := _finished(page)) is None:
            if time.monotonic() > deadline:
                _fail_with_page(page, server, "both sessions did not finish their answers")
            _check_alive(page, server)
            time.sleep(0.2)
        finals.append(final)

    for (page, mine), final in zip(pages, finals, strict=True):
        theirs = QUESTION_B if mine == QUESTION_A else QUESTION_A
        if final["states"] != ["done"]:
            _fail_with_page(page, server, f"expected one 'done' answer, saw {final['states']}")
        assert final["text"].strip(), f"the answer to {mine!r} is empty"
        shown = page.execute_script(
            "return document.querySelector('#conversation').textContent;")
        assert len(page.find_elements(By.CSS_SELECTOR, "#conversation .turn")) == 1, shown
        assert mine in shown, f"{mine!r} missing from its own conversation: {shown[:500]!r}"
        assert theirs not in shown, f"the other session's question leaked: {shown[:500]!r}"
    assert finals[0]["text"] != finals[1]["text"], "both sessions show the same answer"


# Hostile transcripts on the page with the fake models (fast, deterministic): markup and
# Markdown in titles, speaker labels, transcript text and the question must show as text.
PWNED_IMG = '<img src=x onerror="window.__pwned=1">'
PWNED_SCRIPT = "<script>window.__pwned=1</script>"
PWNED_LINK = "[click](javascript:window.__pwned=1)"
PWNED_URL = "javascript:window.__pwned=1"
FAKE_MODELS = {"PODIUM_EMBEDDING__PROVIDER": "fake", "PODIUM_LLM__PROVIDER": "fake",
               "PODIUM_RETRIEVAL__MIN_SIMILARITY": "0.1",
               "PODIUM_RETRIEVAL__STRONG_SIMILARITY": "0.7",
               "PODIUM_RETRIEVAL__RESCORER": "none",
               "PODIUM_RETRIEVAL__RERANKER": "none"}  # as tests.conftest.fake_settings

# What of the payloads became live in the page: elements, handlers, links, the flag
# (arguments[0]: the beacon's URL).
INJECTED_JS = """
const src = e => e.getAttribute('src') || '';
return {
  pwned: typeof window.__pwned,
  img: [...document.querySelectorAll('img')].filter(e => src(e) === 'x' ||
         src(e).includes(arguments[0])).map(e => e.outerHTML),
  script: [...document.querySelectorAll('script')].filter(e =>
            e.textContent.includes('__pwned')).map(e => e.outerHTML),
  onerror: [...document.querySelectorAll('[onerror]')].map(e => e.outerHTML),
  link: [...document.querySelectorAll('a[href]')].filter(e =>
          /^\\s*javascript:/i.test(e.getAttribute('href'))).map(e => e.outerHTML),
};
"""


class Beacon:
    """An HTTP server on a free loopback port that records every request it gets."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Hostile:
    """The page over hostile transcripts, the beacon their URLs point at, and the payloads."""

    server: Server
    beacon: Beacon
    title: str
    speaker: str
    text: str
    question: str

    @property
    def payloads(self) -> list[str]:
        return [PWNED_IMG, PWNED_SCRIPT, f"![b]({self.beacon.url('md')})", PWNED_LINK,
                PWNED_URL]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """`podium ui` with the fake models over two JSONL transcripts carrying the payloads."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from podium.app import build_app
    from tests.conftest import fake_settings

    _require_browser()
    root = tmp_path_factory.mktemp("hostile")
    beacon = Beacon()
    image = f"![b]({beacon.url('md')})"
    every = f"{PWNED_IMG} {PWNED_SCRIPT} {image} {PWNED_LINK} {PWNED_URL}"
    title = f"Harbour lanterns {PWNED_IMG} {image}"
    speaker = f"MINISTER {PWNED_SCRIPT} {PWNED_LINK}"
    text = f"The harbour lanterns will be relit on Tuesday {every} as the minister promised."
    records = [
        {"id": "harbour-lanterns", "title": title, "speaker": speaker, "date": "2024-05-07",
         "text": f"{text}\n\nThe ferries run as usual.\n"},
        {"id": f"harbour-beacons {image}", "title": f"{PWNED_SCRIPT} Harbour beacons {PWNED_LINK}",
         "speaker": f"{PWNED_IMG} CAPTAIN", "date": "2024-05-08",
         "text": f"{PWNED_URL} The harbour beacons <img src=\"{beacon.url('html')}\"> {image} "
                 "are checked every night by the captain.\n"}]
    corpus = root / "hostile.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    app = build_app(fake_settings(root / "data"))
    try:
        assert len(app.ingest([corpus], progress=False).added) == 2
    finally:
        app.docstore.close()
        SharedSystemClient.clear_system_cache()  # the page process writes from now on
    env = {**_podium_env(), **FAKE_MODELS}
    try:
        with _serve(root / "data", root / "ui.log", env, root) as running:
            yield Hostile(running, beacon, title, speaker, text,
                          f"What did the minister say about the harbour lanterns {every}?")
    finally:
        beacon.close()


def _inner_text(driver: Any, css: str) -> str:
    return "\n".join(driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", css))


def _shown(driver: Any, css: str, words: str) -> str | None:
    """The text css shows once it holds words, else None."""
    text = _inner_text(driver, css)
    return text if words in text else None


def _nothing_ran(driver: Any, page: Hostile, where: str) -> None:
    time.sleep(0.5)  # let an injected <img> load or fail, were there one
    live = driver.execute_script(INJECTED_JS, page.beacon.url(""))
    live["fetched from the beacon"] = list(page.beacon.hits)
    pwned = live.pop("pwned")
    assert pwned == "undefined" and not any(live.values()), \
        f"a payload came alive in the {where}: typeof window.__pwned is {pwned}; {live}"


def test_hostile_transcripts_show_as_text_in_the_answer_viewer_and_sources(
        driver: Any, hostile: Hostile) -> None:
    from selenium.webdriver.common.by import By

    page = hostile
    _open(driver, page.server)
    _type_question(driver, page.question)
    _click(driver, driver.find_element(By.ID, "ask"))

    def finished() -> dict[str, Any] | None:
        _check_alive(driver, page.server)
        return _finished(driver)

    final = _wait("the answer", finished, ANSWER_S)
    if final["states"][-1] != "done":
        _fail_with_page(driver, page.server, f"the answer ended {final['states'][-1]!r}")
    _nothing_ran(driver, page, "answer")
    shown = _inner_text(driver, "#conversation")
    assert page.question in shown, shown
    assert page.text in shown, f"the quoted words are not shown as text: {shown}"
    best = driver.execute_script(
        "const b = document.querySelector('#conversation .answer .best .quote');"
        "return b && b.compareDocumentPosition(document.querySelector("
        "'#conversation .answer .text')) & Node.DOCUMENT_POSITION_FOLLOWING ? b.textContent : '';")
    assert best == page.text, f"the best passage is not shown, as text, above the answer: {best!r}"

    chip = _wait("the chip [1]", lambda: next(
        (c for c in driver.find_elements(By.CSS_SELECTOR, "#citations label")
         if c.text.strip().startswith("[1]")), None), 30)
    _click(driver, chip)
    mark = _wait("#viewer mark#podium-hl", lambda: next(
        iter(driver.find_elements(By.CSS_SELECTOR, "#viewer mark#podium-hl")), None), 30)
    _nothing_ran(driver, page, "viewer")
    assert driver.execute_script("return arguments[0].textContent;", mark) == page.text
    viewer = _inner_text(driver, "#viewer")
    for payload in [page.title, page.speaker, *page.payloads]:
        assert payload in viewer, f"{payload!r} is not shown as text in the viewer: {viewer}"

    opener = driver.find_element(
        By.XPATH, "//button[contains(@class, 'label-wrap')]"
                  "[contains(., 'Sources of the latest answer')]")
    _click(driver, opener)
    _wait("#sources to show the passages", lambda: page.text in _inner_text(driver, "#sources"),
          10)
    _nothing_ran(driver, page, "sources")
    sources = _inner_text(driver, "#sources")
    for payload in (page.title, page.speaker):
        assert payload in sources, f"{payload!r} is not shown as text in #sources: {sources}"


def test_hostile_transcripts_show_as_text_in_the_library(driver: Any, hostile: Hostile
                                                         ) -> None:
    from selenium.webdriver.common.by import By

    page = hostile
    _open(driver, page.server)
    tab = _wait("the Library tab", lambda: next(
        (t for t in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]")
         if t.text.strip() == "Library"), None), 10)
    _click(driver, tab)
    listing = _wait("the transcripts in #library",
                    lambda: _shown(driver, "#library", "harbour-lanterns"), 30)
    _nothing_ran(driver, page, "Library table")
    beacons_id = f"harbour-beacons ![b]({page.beacon.url('md')})"
    for payload in (page.title, page.speaker, beacons_id):
        assert payload in listing, f"{payload!r} is not shown as text in #library: {listing}"

    options, labels = _library_options(driver)
    assert f"{page.title} (2024-05-07)"[:100] in labels, labels
    _nothing_ran(driver, page, "Library picker")
    _click(driver, options[labels.index(f"{page.title} (2024-05-07)"[:100])])
    _click(driver, driver.find_element(By.ID, "lib-read"))
    read = _wait("the transcript in #lib-text", lambda: _shown(driver, "#lib-text", page.text),
                 30)
    _nothing_ran(driver, page, "Library reader")
    for payload in [page.title, page.speaker, *page.payloads]:
        assert payload in read, f"{payload!r} is not shown as text in #lib-text: {read}"
