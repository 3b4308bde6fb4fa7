"""The real thing: JupyterLab in headless Chromium runs 02_activations, a person moves the slider.

Starts this venv's `jupyter lab` on a free local port (no token, no browser, no network calls)
over a temporary copy of notebooks/, opens 02_activations.ipynb, runs all cells from the Run
menu, waits for the ActivationExplorer, presses the arrow key on its `scale` slider, and checks
that the plot image and the status line change. Screenshots are saved in the test's tmp dir.
Needs Debian's chromium at /usr/bin/chromium (never `playwright install`).
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import chromium_page, free_port, wait_for_server

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "02_activations.ipynb"


@contextlib.contextmanager
def lab_server(tmp_path):
    """A JupyterLab server over a copy of notebooks/; yields its base URL; stopped afterwards."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp_path / "lab-settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    # render every cell (no virtual scrolling), so the widget is in the DOM wherever it is
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("MPLBACKEND", None)
    port = free_port()
    log = tmp_path / "jupyter-lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
                                start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status", proc, log)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own session: the server and its kernels
            proc.wait(timeout=10)


RUN_STARTED = "() => [...document.querySelectorAll('.jp-InputPrompt')].some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
ALL_CODE_CELLS_DONE = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_lab_runs_the_notebook_and_the_slider_redraws_the_plot(tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    started = time.perf_counter()
    with lab_server(tmp_path) as lab, chromium_page() as page:
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        # kernel ready, then Run > Run All Cells
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               state="attached", timeout=180_000)
        # a click that lands while lab is still settling can be lost: retry until a prompt shows [*] or [n]
        for _ in range(4):
            page.keyboard.press("Escape")
            page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            try:
                page.wait_for_function(RUN_STARTED, timeout=30_000)
                break
            except PlaywrightTimeoutError:
                continue
        else:
            pytest.fail("Run > Run All Cells did not start the notebook in 4 tries")

        explorer = page.locator(".widget-vbox", has_text="Activation explorer").first
        explorer.wait_for(state="visible", timeout=400_000)
        page.wait_for_function(ALL_CODE_CELLS_DONE, timeout=400_000)
        image = explorer.locator("img.widget-image")
        status = explorer.locator(".widget-html", has_text="saturated")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        explorer.scroll_into_view_if_needed()

        src_before = image.get_attribute("src")
        status_before = status.inner_text()
        shot_before = image.screenshot(path=str(tmp_path / "before.png"))
        page.screenshot(path=str(tmp_path / "page-before.png"))
        assert "saturated" in status_before and "0.0%" in status_before

        # move the `scale` slider: focus its handle, press the right arrow a few times
        slider = explorer.locator(".widget-slider", has_text="scale")
        handle = slider.locator(".noUi-handle")
        handle.click()
        for _ in range(10):
            handle.press("ArrowRight")
        readout = slider.locator(".widget-readout")
        page.wait_for_function("el => parseFloat(el.textContent) > 2", arg=readout.element_handle(),
                               timeout=30_000)
        page.wait_for_function(
            "([img, old]) => img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0",
            arg=[image.element_handle(), src_before], timeout=60_000)
        page.wait_for_function("([el, old]) => el.innerText !== old",
                               arg=[status.element_handle(), status_before], timeout=60_000)
        page.wait_for_timeout(500)  # let the last queued redraw land
        shot_after = image.screenshot(path=str(tmp_path / "after.png"))
        page.screenshot(path=str(tmp_path / "page-after.png"))
        status_after = status.inner_text()

        assert shot_after != shot_before, "the plot looks the same after moving the slider"
        assert status_after != status_before
        assert "0.0%" not in status_after.split("dead")[0], status_after  # sigmoid now saturates
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
    print(f"browser test: {time.perf_counter() - started:.1f} s, server start included")
