"""`make lab`, as a student runs it: the server starts, prints its token URL, Chromium opens the course.

Runs `make -o .venv/.installed lab` (the Makefile's own command line, LAB_ARGS; `-o` so that make
never reinstalls) from the repository root with JUPYTER_PORT set to a free port, in a session of
its own; reads the `http://127.0.0.1:PORT/lab?token=...` URL from what it prints, waits for /lab in
headless Chromium, opens notebooks/01_neurons.ipynb and looks for its first heading and for the absence
of nbgrader's Validate toolbar button (a lecture, not an assignment); opens nbgrader's Assignments
panel (menu Nbgrader > Assignment List) and looks for the course id and an assignment released to
the exchange; then stops the whole process group (make, jupyter and the kernel it started) and checks
that the port is closed and that nothing was written in the repository (no .ipynb_checkpoints,
notebooks unchanged, no new top-level names).
The exchange the panel reads is a real one: 01_neurons released by `coursekit release --exchange`
from a copy of the course into the test's tmp dir, which $COURSEKIT_EXCHANGE (read by the course's
nbgrader_config.py, through the root nbgrader_config.py) points the server to.
Lab's settings, workspaces, runtime files and the checkpoint JupyterLab writes of a notebook it
opens go to the test's tmp dir (the command line stays make's own: only the environment differs). Needs Debian's chromium at
/usr/bin/chromium (`make test` installs it through tools/sysdeps).
"""
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from browser import chromium_page, free_port, wait_for_server
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/01_neurons.ipynb"
ASSIGNMENT = "01_neurons"  # released to the test's exchange, listed in the Assignments panel
# names at the top of the repository that other tests may create meanwhile (all in .gitignore)
CACHES = {".pytest_cache", ".hypothesis", ".ruff_cache", "__pycache__"}
# what a Jupyter server or JupyterLab writes beside the notebooks it serves, when it writes
JUPYTER_LITTER = {".ipynb_checkpoints", ".virtual_documents", ".jupyter"}


def first_heading(path: Path) -> str:
    """The text of the notebook's first markdown heading, without its #s."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    raise AssertionError(f"{path} has no markdown heading")


def repo_state() -> dict:
    """What `make lab` must leave as it found it: top-level names, every file under notebooks/ with
    its hash, and any Jupyter litter anywhere in the repository (.venv and .git excluded)."""
    top = sorted(p.name for p in ROOT.iterdir() if p.name not in CACHES)
    notebooks = {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
                 for p in sorted((ROOT / "notebooks").rglob("*")) if p.is_file()}
    litter = []
    for dirpath, dirnames, _ in os.walk(ROOT):
        if dirpath == str(ROOT):
            dirnames[:] = [d for d in dirnames if d not in {".venv", ".git"}]
        litter += [os.path.join(dirpath, d) for d in dirnames if d in JUPYTER_LITTER]
    return {"top": top, "notebooks": notebooks, "litter": sorted(litter)}


def course_id() -> str:
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "assignments")).load_config().CourseDirectory.course_id


def release_to_exchange(tmp_path: Path) -> Path:
    """An exchange in tmp_path holding ASSIGNMENT, released from a copy of the course (config and that
    source) by the real `coursekit release --exchange`."""
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    (course / "source").mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSEKIT_EXCHANGE": str(exchange)}
    run = subprocess.run([sys.executable, "-m", "coursekit", "--course", str(course), "release", ASSIGNMENT,
                          "--exchange"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (exchange / course_id() / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file(), run.stdout
    return exchange


def check_no_validate_button(page) -> None:
    """nbgrader's Validate toolbar button, which its Lab extension puts on every notebook, is turned off
    for `make lab` (tools/jupyter/labconfig/page_config.json); the toolbar itself is there."""
    from playwright.sync_api import expect

    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert "@jupyter/nbgrader:validate-assignment" in config["disabledExtensions"], config["disabledExtensions"]
    toolbar = page.locator(".jp-NotebookPanel-toolbar").first
    expect(toolbar.locator(".jp-Toolbar-item").first).to_be_visible()
    assert toolbar.locator(".validate-button").count() == 0
    assert toolbar.get_by_text("Validate", exact=True).count() == 0


def check_assignments_panel(page, tmp_path: Path) -> None:
    """Nbgrader > Assignment List: the course of the exchange, no error, the released assignment."""
    from playwright.sync_api import expect

    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(".lm-Menu-item", has_text="Assignment List").click()
    panel = page.locator("#nbgrader-assignment-list")
    course = panel.locator("#course_list_default")  # "Loading, please wait..." until the server answers
    expect(course).not_to_have_text("Loading, please wait...")
    page.screenshot(path=str(tmp_path / "assignments-panel.png"))  # what a failure below looked like
    assert "Error fetching courses" not in panel.inner_text(), panel.inner_text()
    assert course.inner_text().strip() == course_id()
    expect(panel.locator("#released_assignments_list")).to_contain_text(ASSIGNMENT)
    page.screenshot(path=str(tmp_path / "assignments-panel.png"))


def lab_env(tmp_path: Path, port: int, exchange: Path) -> dict:
    settings = tmp_path / "lab-settings"
    for plugin, values in {
        # no update check or news: the machines of CI have no network
        "apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
        # never save the notebook (the kernel's metadata can make it dirty)
        "docmanager-extension/plugin": {"autosave": False},
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    # JupyterLab writes a checkpoint of each notebook it opens (.ipynb_checkpoints/ beside it): keep
    # them here. A config dir of our own also keeps the developer's ~/.jupyter out of the test.
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"FileCheckpoints": {"checkpoint_dir": str(tmp_path / "checkpoints")}}))
    env = {k: v for k, v in os.environ.items()
           # a `make test` above us passes its flags and variables down: this make is a new one
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(JUPYTER_PORT=str(port),
               JUPYTER_CONFIG_DIR=str(config),
               JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               COURSEKIT_EXCHANGE=str(exchange),  # the course's exchange, for this server only
               BROWSER="true")  # jupyter "opens" its URL with `true`: no window on a developer's screen
    return env


def read_token_url(proc, log: Path, port: int, timeout=120) -> str:
    pattern = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=[0-9a-f]+")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = pattern.search(log.read_text())
        if m:
            assert int(m.group(1)) == port, f"jupyter ignored JUPYTER_PORT={port}: {m.group(0)}"
            return m.group(0)
        if proc.poll() is not None:
            pytest.fail(f"make lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    pytest.fail(f"make lab printed no token URL within {timeout} s:\n{log.read_text()[-3000:]}")


def stop(proc) -> list:
    """SIGTERM to make's process group (jupyter shuts its kernels down on it), SIGKILL to what of
    make's process tree (kernels included: they run in sessions of their own) is left after 30 s;
    returns the processes that had to be killed."""
    try:
        tree = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    _, alive = psutil.wait_procs(tree, timeout=30)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    proc.wait(timeout=10)
    return alive


def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_make_lab_serves_the_course_in_chromium(tmp_path):
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.fail("no .venv/bin/jupyter: run `make .venv/.installed` first")
    from playwright.sync_api import expect

    heading = first_heading(ROOT / NOTEBOOK)
    started = time.perf_counter()
    exchange = release_to_exchange(tmp_path)
    before = repo_state()
    port = free_port()
    log = tmp_path / "make-lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "-o", ".venv/.installed", "lab"], cwd=ROOT,
                                env=lab_env(tmp_path, port, exchange),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    killed = []
    try:
        url = read_token_url(proc, log, port)
        first = log.read_text().splitlines()[0]
        assert first.startswith(".venv/bin/jupyter lab "), f"make ran something else first: {first!r}"
        assert "pip install" not in log.read_text()
        wait_for_server(url, proc, log)
        base = f"http://127.0.0.1:{port}"
        with chromium_page() as page:
            page.goto(url)  # the token logs the browser in (a cookie)
            page.wait_for_url(f"{base}/lab**")
            page.wait_for_selector("#jp-main-dock-panel")
            page.goto(f"{base}/lab/tree/{NOTEBOOK}")
            title = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h1", has_text=heading).first
            expect(title).to_be_visible(timeout=120_000)
            check_no_validate_button(page)
            page.screenshot(path=str(tmp_path / "lab.png"))
            check_assignments_panel(page, tmp_path)
    finally:
        killed = stop(proc)
    assert port_is_closed(port), f"port {port} still answers after make lab was stopped"
    assert not killed, f"still running 30 s after SIGTERM, killed: {killed}\n{log.read_text()[-3000:]}"
    assert repo_state() == before, "make lab left files in the repository"
    print(f"make lab test: {time.perf_counter() - started:.1f} s")
