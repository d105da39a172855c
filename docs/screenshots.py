#!/usr/bin/env python
"""Screenshots of the Dagster UI after a run of the reference pipeline (headless Chromium).

Run from the repository root with the project's python::

    .venv/bin/python docs/screenshots.py

In a temporary directory it runs ``python -m definitions`` (small batches), starts
``dagster dev -w workspace.yaml`` on that Dagster home and registry in its own process
group, waits for the code location, then asks Debian's ``chromium`` (``apt-get install
chromium``) in headless mode for

- ``docs/curated_batches.png``: ``curated_batches``' checks (the schema check's result and
  report);
- ``docs/cell_type_classifier.png``: ``cell_type_classifier``'s latest materialization
  (accuracy, loss, confusion matrix);
- ``docs/cell_type_classifier_plots.png``: its metrics plotted over the two runs;

and checks, in the rendered DOM, that the pages show the lamin metadata expected
(the check's name, ``lamin/uid``, ``accuracy``). Dagster's "join the community" dialog is
marked seen first (GraphQL ``setNuxSeen``). It stops the whole process group after.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
#: page → (path in the UI, PNG, texts the rendered page must contain, button to click first)
PAGES: dict[str, tuple[str, str | None, tuple[str, ...], str | None]] = {
    "curated_batches": (
        "/assets/curated_batches?view=checks",
        "curated_batches.png",
        ("single_cell_batch_schema",),
        None,
    ),
    "curated_batches_events": (
        "/assets/curated_batches?view=events",
        None,
        ("lamin/uid",),
        None,
    ),
    "cell_type_classifier": (
        "/assets/cell_type_classifier?view=events",
        "cell_type_classifier.png",
        ("accuracy",),
        None,
    ),
    # The metadata's Plots view is a toggle of the Overview tab (no URL of its own).
    "cell_type_classifier_plots": (
        "/assets/cell_type_classifier?view=overview",
        "cell_type_classifier_plots.png",
        ("accuracy", "loss"),
        "Plots",
    ),
}


#: Chromium's options for every page: headless, as root, a fixed window.
_HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--window-size=1280,800",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("No chromium found: apt-get install -y chromium")


def _wait(port: int, process: subprocess.Popen[bytes], timeout: float = 240) -> None:
    query = json.dumps({"query": "{ workspaceOrError { __typename } }"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("dagster dev exited early")
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=query,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                if b"Workspace" in response.read():
                    time.sleep(5)  # the location loads after the server answers
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    sys.exit(f"dagster dev did not answer in {timeout} s")


def _devtools(chromium: str, url: str, png: Path, click: str, expected: tuple[str, ...]) -> str:
    """Open ``url``, click the button labelled ``click``, save a PNG; the page's text.

    Headless Chromium driven over its DevTools protocol (a websocket), for a view that
    only a click shows.
    """
    from websockets.sync.client import connect

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = subprocess.Popen(
            [
                chromium,
                *_HEADLESS,
                f"--remote-debugging-port={port}",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with connect(_page_socket(port), max_size=None) as socket_:
                ids = iter(range(1, 1_000_000))

                def call(method: str, **params: object) -> dict:
                    number = next(ids)
                    socket_.send(json.dumps({"id": number, "method": method, "params": params}))
                    while True:
                        message = json.loads(socket_.recv(timeout=60))
                        if message.get("id") == number:
                            if "error" in message:
                                raise RuntimeError(f"{method}: {message['error']}")
                            return dict(message.get("result", {}))

                def text() -> str:
                    got = call("Runtime.evaluate", expression="document.body.innerText")
                    return str(got.get("result", {}).get("value", ""))

                def settle(ready: object, seconds: float = 30) -> None:
                    deadline = time.monotonic() + seconds
                    while time.monotonic() < deadline and not ready():  # type: ignore[operator]
                        time.sleep(0.5)

                call(
                    "Emulation.setDeviceMetricsOverride",
                    width=1280,
                    height=800,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                call("Page.navigate", url=url)
                settle(lambda: all(t in text() for t in expected))
                pressed = call(
                    "Runtime.evaluate",
                    expression=(
                        "(() => { const b = [...document.querySelectorAll('button')]"
                        f".find(e => e.textContent.trim() === {json.dumps(click)});"
                        " if (b) { b.click(); b.scrollIntoView({block: 'start'}); }"
                        " return !!b; })()"
                    ),
                )
                if not pressed.get("result", {}).get("value"):
                    return ""
                settle(lambda: False, seconds=3)  # the charts draw after the click
                shot = call("Page.captureScreenshot", format="png")
                png.write_bytes(base64.b64decode(shot["data"]))
                return text()
        finally:
            browser.kill()
            browser.wait(timeout=15)


def _page_socket(port: int, timeout: float = 30) -> str:
    """The DevTools websocket of the browser's first page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [p for p in json.loads(r.read()) if p.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    sys.exit(f"headless chromium did not open its DevTools port {port}")


def _nux_seen(port: int) -> None:
    """Mark Dagster's first-visit dialog seen, so it does not cover the screenshots."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "mutation { setNuxSeen }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def _browser(chromium: str, *args: str) -> subprocess.CompletedProcess[str]:
    common = [chromium, *_HEADLESS, "--virtual-time-budget=20000"]
    return subprocess.run(
        [*common, *args], capture_output=True, text=True, timeout=180, check=False
    )


def main() -> int:
    chromium = _chromium()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lamin-pipes-shots-") as tmp:
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LAMIN_PIPES_DB": f"sqlite:///{tmp}/lamin.db",
            "LAMIN_PIPES_STORAGE": f"{tmp}/storage",
            "LAMIN_PIPES_INBOX": f"{tmp}/inbox",
            "DAGSTER_HOME": str(home),
        }
        env.pop("LAMIN_PIPES_EXECUTOR", None)
        small = ["--cells", "300", "--genes", "60"]
        for _ in range(2):  # twice: the plots get two points
            subprocess.run(
                [sys.executable, "-m", "definitions", *small], cwd=tmp, env=env, check=True
            )
        port = _free_port()
        log = open(Path(tmp) / "dagster-dev.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(port)],
            cwd=tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        missing: list[str] = []
        try:
            _wait(port, process)
            _nux_seen(port)
            for name, (path, png, expected, click) in PAGES.items():
                url = f"http://127.0.0.1:{port}{path}"
                if click is not None and png is not None:
                    dom = _devtools(chromium, url, DOCS / png, click, expected)
                    if not dom:
                        missing.append(f"{name}: no {click!r} button")
                else:
                    dom = _browser(chromium, "--dump-dom", url).stdout
                    if png is not None:
                        _browser(chromium, f"--screenshot={DOCS / png}", url)
                lacking = [text for text in expected if text not in dom]
                if lacking:
                    missing.append(f"{name}: {lacking}")
                if png is not None and (DOCS / png).exists():
                    print(f"{DOCS / png}: {(DOCS / png).stat().st_size:,} bytes")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
    if missing:
        print("Pages lacking the expected metadata: " + "; ".join(missing), file=sys.stderr)
        return 1
    print("The pages show the check, the artifact uids and the model's accuracy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
