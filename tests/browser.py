"""What the browser tests share: Debian's headless Chromium, a free port, waiting for a server.

Needs Debian's chromium at /usr/bin/chromium (`make test` installs it through tools/sysdeps);
never `playwright install`.
"""
from __future__ import annotations

import contextlib
import socket
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url, proc, log, timeout=90):
    """Until `url` answers 200; fails the test with the end of `log` if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0] if isinstance(proc.args, list) else proc.args} exited with "
                        f"{proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"nothing answered {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def chromium_page(timeout_ms: int = 120_000):
    """A page of headless Chromium, 1400x1000; the browser is closed afterwards. The default
    timeout suits a loaded 2-core runner (the pipeline tests run beside the browser tests)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (tools/sysdeps, which `make test` "
                    "runs, does); never `playwright install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            browser.close()
