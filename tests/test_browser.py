"""The app in a real browser: `streamlit run` plus headless Chromium driven over the DevTools protocol.

It asks a scenario, corrects one fact of "What I understood" in its select box (the verdict flips),
then answers a clarifying question with one click, all with real mouse and keyboard events.

Chromium must be installed (`make test` installs it): when it is missing this test fails, it never
skips, so a CI run without a browser cannot look green.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import websocket

from assistant.config import PROJECT_DIR, Settings

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
QUESTION = "We sell an AI crawler that collects every face it finds on social media into a searchable face database. Is that allowed?"
VAGUE = "we use ai on images, is that ok?"
HAND_IN = "images the people themselves hand in"  # a value label of the `source` slot
LAST_REPLY = "[...document.querySelectorAll('[data-testid=\"stChatMessage\"]')].at(-1)"
PNG = b"\x89PNG\r\n\x1a\n"
# True once Streamlit has finished a run: no running icon, no element left over from the last run,
# and the sidebar drawn (the app draws it last, with the corpus version).
SETTLED = (
    "!document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
    " && document.body.innerText.includes('Corpus version')"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll until `check` returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if value := check():
                return value
        except (OSError, ValueError, websocket.WebSocketException):
            pass  # not up yet
        time.sleep(0.25)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.read()


def page_socket(debug_port: int) -> str | None:
    targets = json.loads(http_get(f"http://127.0.0.1:{debug_port}/json"))
    return next((t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"), None)


class DevTools:
    """A minimal Chrome DevTools Protocol client: send a command, wait for its reply."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.last_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:  # anything else is an event we did not ask for
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self) -> None:
        self.socket.close()


class Page:
    """The app's page: read it, wait for runs to settle, and act with real input events."""

    def __init__(self, tools: DevTools) -> None:
        self.tools = tools

    def text(self, scope: str = "document.body") -> str:
        return self.tools.evaluate(f"({scope})?.innerText") or ""

    def settle(self, what: str) -> None:
        wait_for(lambda: self.tools.evaluate(SETTLED), 60, what)

    def ask(self, question: str) -> None:
        textarea = "document.querySelector('[data-testid=\"stChatInputTextArea\"]')"
        self.tools.evaluate(f"{textarea}.focus()")
        self.tools.call("Input.insertText", text=question)
        for kind in ("keyDown", "keyUp"):
            self.tools.call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                            **({"text": "\r"} if kind == "keyDown" else {}))

    def click(self, element: str, what: str) -> None:
        """A real mouse click in the middle of the element the JavaScript expression finds."""
        box = wait_for(lambda: self.tools.evaluate(
            f"(() => {{ const e = {element}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        ), 30, what)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.tools.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def choose(self, label: str, option: str) -> None:
        """Open the last reply's select box with this label and pick an option."""
        field = f"{LAST_REPLY}.querySelector('input[aria-label=\"{label}\"]')"
        self.click(f"{field}?.parentElement.querySelector('button')", f"the select box {label!r}")
        self.click(f"[...document.querySelectorAll('[role=\"option\"]')].find(o => o.innerText.trim() === {json.dumps(option)})",
                   f"the option {option!r}")

    def press(self, label: str) -> None:
        """Click the last reply's button with this label."""
        self.click(f"[...{LAST_REPLY}.querySelectorAll('button')].find(b => b.innerText.trim() === {json.dumps(label)})",
                   f"the button {label!r}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def test_the_app_answers_corrects_and_clarifies_a_scenario_in_a_real_browser(real_settings: Settings, tmp_path: Path) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make test` (scripts/ensure-chromium) or `apt-get install chromium`"
    app_port, debug_port = free_port(), free_port()
    processes: list[subprocess.Popen] = []
    tools: DevTools | None = None
    log = (tmp_path / "streamlit.log").open("w")
    try:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.address", "127.0.0.1",
             "--server.port", str(app_port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_DIR, env={**os.environ, "REDLINES_DATA_DIR": str(real_settings.data_dir)},
            stdout=log, stderr=subprocess.STDOUT,
        ))
        wait_for(lambda: http_get(f"http://127.0.0.1:{app_port}/_stcore/health") == b"ok", 60, "streamlit to answer HTTP")
        processes.append(subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp_path / 'chromium'}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        tools = DevTools(wait_for(lambda: page_socket(debug_port), 30, "chromium's DevTools endpoint"))
        tools.call("Emulation.setDeviceMetricsOverride", width=1280, height=1600, deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", url=f"http://127.0.0.1:{app_port}/")
        page = Page(tools)

        wait_for(lambda: tools.evaluate("!!document.querySelector('[data-testid=\"stChatInputTextArea\"]')"), 600,
                 "the chat input (the app opens the index and the fact reader first)")
        page.settle("the first run to finish")
        page.ask(QUESTION)

        # The answer, as rendered from escaped Markdown: no stray backslashes may show.
        wait_for(lambda: "Prohibited —" in page.text(LAST_REPLY), 60, "the verdict in the page")
        page.settle("the script run to finish")
        text = page.text()
        for label in ("What I understood", "Where the images come from", "from your words: “We sell an AI crawler",
                      "Placing on the market", "facial recognition database", "untargeted scraping", "internet or CCTV"):
            assert label in text
        assert text.count("Populated through AI tools for untargeted scraping") == 1  # the panel, not the text again
        assert "Legal information, not legal advice" in text and "Corpus version" in text
        assert "\\[" not in text and "\\:" not in text
        png = base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"])

        # A correction in "What I understood" asks again and flips the verdict.
        page.choose("Where the images come from", HAND_IN)
        wait_for(lambda: "Not prohibited —" in page.text(LAST_REPLY), 60, "the corrected verdict")
        page.settle("the corrected run to finish")
        reply = page.text(LAST_REPLY)
        assert "before, the verdict was: Prohibited" in reply and "set by you" in reply
        assert "not met" in reply and "changed" in reply

        # A clarifying question answered with one click, in a new conversation (the corrected
        # source would carry over into a follow-up).
        page.click("[...document.querySelectorAll('[data-testid=\"stSidebar\"] button')]"
                   ".find(b => b.innerText.includes('New conversation'))", "the New conversation button")
        wait_for(lambda: not page.text(LAST_REPLY), 60, "the conversation to be cleared")
        page.settle("the cleared run to finish")
        page.ask(VAGUE)
        wait_for(lambda: "Insufficient facts —" in page.text(LAST_REPLY), 60, "the clarifying questions")
        page.settle("the vague question's run to finish")
        assert "Where do the facial images come from" in page.text(LAST_REPLY)
        page.press(HAND_IN)
        wait_for(lambda: "Not prohibited —" in page.text(LAST_REPLY), 60, "the verdict after one click")
        page.settle("the clarified run to finish")
        assert "set by you" in page.text(LAST_REPLY) and "Where do the facial images come from" not in page.text(LAST_REPLY)
    except AssertionError as exc:
        log.flush()
        raise AssertionError(f"{exc}\n--- streamlit log ---\n{(tmp_path / 'streamlit.log').read_text()[-3000:]}") from None
    finally:
        if tools is not None:
            tools.close()
        for process in reversed(processes):
            stop(process)
        log.close()

    (tmp_path / "app.png").write_bytes(png)
    if target := os.environ.get("REDLINES_SCREENSHOT"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(png)
    assert png.startswith(PNG) and len(png) > 10_000
