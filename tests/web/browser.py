"""Harness for the real-browser test: Loa's web server as its own process, Debian's chromium under
Playwright, screenshots as test artifacts.

The server is `loa web` (waitress) against this run's PostgreSQL test database, so what the test
commits is what the browser sees, exactly as in production; pytest-django's live_server would run
the pages in a thread of the test process instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from tests.processes import ROOT

CHROMIUM = "/usr/bin/chromium"  # Debian's build: the tests never download a browser
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def artifacts_dir() -> Path:
    path = Path(os.environ.get("LOA_ARTIFACTS") or ROOT / "var" / "test-artifacts" / "browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServer:
    """`loa web` on a free loopback port, in its own process group, logging to `log_path`."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "ab")
        cmd = [sys.executable, "-m", "bot.cli.main", "web", "--host", "127.0.0.1", "--port", str(self.port),
               "--threads", "4"]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout: float = 30.0) -> "WebServer":
        """Poll the health check until it answers (there is no event to wait on across processes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"loa web exited ({self.proc.returncode}):\n{self.output()[-3000:]}")
            try:
                # The first request loads the URL map and every view: seconds on a busy machine.
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"loa web did not answer within {timeout}s:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def chromium():
    """A headless chromium (Debian's) under Playwright's sync API."""
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does, as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Numbered screenshots of each step: 01-login.png, 02-compose.png, ..."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        for old in [*folder.glob("[0-9][0-9]-*.png"), *folder.glob("zz-*.png")]:
            old.unlink()  # a previous run's pictures would be mistaken for this run's

    def take(self, page, name: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form[action='/login/'] button[type=submit]").click()


def log_out(page) -> None:
    with page.expect_navigation():
        page.locator("form[action='/logout/'] button").click()


def tab_until(page, selector: str, *, limit: int = 100) -> int:
    """Press Tab from where the focus is until `selector` has it; the number of presses.
    Fails when the element is never reached by the keyboard."""
    target = page.locator(selector)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{selector} not reached after {limit} presses of Tab")
