"""The course website (`make book`) in real Chromium: every page offline, math rendered, plots and
widgets on every chapter, search, links; and no solution or hidden test anywhere in it.

Run by `make test-book` (after `make book`), not by `make test` (marker `book`). The session fixture
runs book/build.py once, which re-executes only the notebooks whose code changed (jupyter-cache);
BOOK_JS names the npm packages' folder when it is not .venv/node-book/node_modules. The site is served
by `python -m http.server` on a free local port. A screenshot of chapter 02 is kept at
book/_build/artifacts/02_activations.png.
Needs Debian's chromium at /usr/bin/chromium (never `playwright install`).
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from browser import chromium_page, free_port, wait_for_server

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "book" / "_build"
SITE = BUILD / "html"
ARTIFACTS = BUILD / "artifacts"
LECTURES = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]


@pytest.fixture(scope="session")
def site():
    """The built site's folder; built (incrementally) once per session."""
    js = os.environ.get("BOOK_JS", str(ROOT / ".venv" / "node-book" / "node_modules"))
    run = subprocess.run([sys.executable, str(ROOT / "book" / "build.py"), "--js", js], cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    return SITE


@pytest.fixture(scope="session")
def served(site, tmp_path_factory):
    """The base URL of the site, served on localhost."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "http.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(site)], stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_for_server(base + "index.html", proc, log)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to it (not the theme's templates in _static/)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)


# what one page shows once loaded: its math, output images, widgets and every URL it refers to
PAGE_FACTS = r"""() => {
    const article = document.querySelector('article') || document.body;
    const prose = article.cloneNode(true);
    prose.querySelectorAll('pre, code, script, style, .highlight, .cell_output, math').forEach(e => e.remove());
    const maths = [...article.querySelectorAll('math')];
    return {
        math: maths.length,
        flat_math: maths.filter(m => m.checkVisibility() && m.getBoundingClientRect().height === 0).length,
        raw_tex: (prose.textContent.match(/\$\$|\\(frac|begin\{|mathbf|sum_|\(|\[)|\$[^\s$][^$\n]*\$/g) || []).slice(0, 5),
        plots: [...article.querySelectorAll('.cell_output img')].map(i => [i.getAttribute('src'), i.naturalWidth]),
        views: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
        widgets: article.querySelectorAll('.cell_output .widget-subarea > .jupyter-widgets').length,
        sliders: [...article.querySelectorAll('.widget-slider, .widget-dropdown, .widget-toggle-buttons')]
            .filter(s => s.checkVisibility()).length,
        widget_images: [...article.querySelectorAll('.jupyter-widgets img')].map(i => i.naturalWidth),
        urls: [...document.querySelectorAll('a[href], link[href], img[src], script[src]')]
            .map(e => e.href || e.src),
    };
}"""
WIDGETS_RENDERED = """() => document.querySelectorAll('.cell_output .widget-subarea > .jupyter-widgets').length >=
    document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length"""


@pytest.fixture(scope="session")
def visits(served, site):
    """page -> {facts (PAGE_FACTS), errors (console), external (requests not to localhost)}; every page once."""
    found = {}
    with chromium_page() as page:
        log = {"errors": [], "external": []}
        page.on("console", lambda m: log["errors"].append(f"{m.text} ({m.location.get('url')})")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        page.on("request", lambda r: None if _local(r.url, served) else log["external"].append(r.url))
        for rel in pages(site):
            log["errors"], log["external"] = [], []
            page.goto(served + rel, wait_until="networkidle")
            if rel.startswith("lectures/"):
                page.wait_for_function(WIDGETS_RENDERED, timeout=60_000)
                page.wait_for_load_state("networkidle")
            if rel == "lectures/02_activations.html":
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.locator(".cell_output .widget-subarea > .jupyter-widgets").first.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "02_activations.png"))
            found[rel] = {"facts": page.evaluate(PAGE_FACTS), "errors": list(log["errors"]),
                          "external": list(log["external"])}
    return found


def _local(url: str, base: str) -> bool:
    return url.startswith((base, "data:", "blob:" + base.rstrip("/"), "about:"))


def test_every_page_loads_offline_without_console_errors(visits):
    assert len(visits) > 20 and all(f"lectures/{s}.html" in visits for s in LECTURES)
    assert {p: v["external"] for p, v in visits.items() if v["external"]} == {}
    assert {p: v["errors"] for p, v in visits.items() if v["errors"]} == {}


def test_math_is_rendered_as_mathml(visits):
    for stem in LECTURES:
        assert visits[f"lectures/{stem}.html"]["facts"]["math"] > 10, f"{stem}: no rendered formula"
    assert {p: v["facts"]["flat_math"] for p, v in visits.items() if v["facts"]["flat_math"]} == {}
    assert {p: v["facts"]["raw_tex"] for p, v in visits.items() if v["facts"]["raw_tex"]} == {}


def test_each_chapter_has_its_plots(visits):
    for stem in LECTURES:
        plots = visits[f"lectures/{stem}.html"]["facts"]["plots"]
        assert len(plots) >= 1, f"{stem}: no plot"
        assert [src for src, width in plots if width == 0] == [], f"{stem}: plots that did not load"


def test_each_chapter_renders_a_widget_from_saved_state(visits):
    for stem in LECTURES:
        facts = visits[f"lectures/{stem}.html"]["facts"]
        assert facts["views"] >= 1 and facts["widgets"] >= facts["views"], f"{stem}: {facts['views']} widget " \
            f"views saved, {facts['widgets']} rendered"
        assert facts["sliders"] >= 1, f"{stem}: no control of a widget is visible"
        assert facts["widget_images"] and min(facts["widget_images"]) > 0, f"{stem}: a widget's plot is missing"


def test_the_screenshot_is_stored(visits):
    shot = ARTIFACTS / "02_activations.png"
    assert shot.is_file() and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")


def test_search_finds_chapter_02_for_softmax(served):
    with chromium_page(timeout_ms=60_000) as page:
        page.goto(served + "search.html?q=softmax")
        page.wait_for_selector("#search-results a[href*='02_activations']")


def test_a_slider_moves_but_the_plot_stays_as_saved(served):
    """What "live" means without a kernel: a control changes its value, the plot does not redraw."""
    with chromium_page(timeout_ms=60_000) as page:
        page.goto(served + "lectures/02_activations.html", wait_until="networkidle")
        page.wait_for_function(WIDGETS_RENDERED)
        widget = page.locator(".cell_output .widget-subarea > .jupyter-widgets").first
        readout = widget.locator(".widget-slider .widget-readout").first
        image = widget.locator("img").first
        before = (readout.inner_text(), image.get_attribute("src"), image.evaluate("i => i.naturalWidth"))
        widget.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("([r, v]) => r.innerText !== v", arg=[readout.element_handle(), before[0]])
        assert image.get_attribute("src") == before[1] and image.evaluate("i => i.naturalWidth") == before[2]


def broken_links(site: Path, base: str, urls_by_page: dict) -> list[str]:
    """'page -> url' for each local URL whose file, or whose #fragment in that file, does not exist."""
    broken, ids = [], {}
    for rel, urls in urls_by_page.items():
        for url in {u for u in urls if u.startswith(base)}:
            parts = urllib.parse.urlsplit(url)
            path = site / urllib.parse.unquote(parts.path[len(urllib.parse.urlsplit(base).path):])
            path = path / "index.html" if path.is_dir() else path
            if not path.is_file():
                broken.append(f"{rel} -> {url}")
            elif parts.fragment and path.suffix == ".html":
                if path not in ids:
                    ids[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
                if html.unescape(urllib.parse.unquote(parts.fragment)) not in {html.unescape(i) for i in ids[path]}:
                    broken.append(f"{rel} -> {url}")
    return sorted(broken)


def test_no_broken_internal_link(visits, served, site):
    urls = {rel: v["facts"]["urls"] for rel, v in visits.items()}
    assert sum(len(u) for u in urls.values()) > 1000  # the pages were read
    assert broken_links(site, served, urls) == []


def test_the_link_check_finds_a_missing_file_and_anchor(tmp_path):
    (tmp_path / "a.html").write_text('<p id="here">x</p>')
    base = "http://127.0.0.1:1/"
    urls = {"a.html": [base + "a.html#here", base + "a.html#gone", base + "b.html", "https://elsewhere/x"]}
    assert broken_links(tmp_path, base, urls) == [f"a.html -> {base}a.html#gone", f"a.html -> {base}b.html"]


# ---------------------------------------------------------------- no solutions, no hidden tests

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _normal(text: str) -> str:
    return " ".join(text.split())


def public_text() -> str:
    """Everything the site may show: the reference and the rest of coursekit, the lectures, the
    assignments' public prose and rules."""
    files = [*(ROOT / "coursekit").rglob("*.py"), *(ROOT / "notebooks").glob("*.ipynb"),
             *(ROOT / "assignments" / "src").glob("*/assignment.md"), ROOT / "assignments" / "src" / "rules.md"]
    return _normal("\n".join(f.read_text(encoding="utf-8") for f in files).replace('\\"', '"').replace("\\n", "\n"))


def secrets() -> dict[str, str]:
    """text -> where it comes from: each distinctive line of a solution (in no public file), each
    hidden-only case label of the registry, each mutant's file name."""
    from coursekit import ops

    public = public_text()
    found = {}
    for solution in sorted((ROOT / "assignments" / "src").glob("*/solution.py")):
        for line in solution.read_text().splitlines():
            line = _normal(line)
            if len(line) >= 24 and not line.startswith("#") and line not in public:
                found[line] = solution.relative_to(ROOT).as_posix()
    for spec in [*ops.REGISTRY.values(), *ops.STEPS.values()]:
        visible = {c.label for c in spec.make_cases()}
        for case in spec.make_cases(hidden=True):
            if case.hidden and case.label not in visible and len(case.label) >= 16 and case.label not in public:
                found[case.label] = f"a hidden case of {spec.name}"
    for mutant in (ROOT / "tests" / "mutants").rglob("*.py"):
        found[mutant.stem] = "tests/mutants/"
    return found


def leaks(site: Path, secret: dict) -> list[str]:
    """'file: what' for each marker or secret text found in any file of `site` (HTML read as its text)."""
    found = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        if b"\0" in raw[:4096]:
            continue  # images, fonts
        text = raw.decode("utf-8", errors="replace")
        text = _normal(html.unescape(re.sub(r"<[^>]+>", "", text)) + "\n" + text.replace('\\"', '"'))
        hits = [m for m in MARKERS if m in text] + [f"{where}: {s!r}" for s, where in secret.items() if s in text]
        found += [f"{path.relative_to(site)}: {h}" for h in hits]
    return found


def test_no_solution_and_no_hidden_test_appears_on_the_site(site):
    secret = secrets()
    assert sum(where.endswith("solution.py") for where in secret.values()) > 100  # the solutions were read
    assert leaks(site, secret) == []


def test_the_leak_check_finds_a_planted_solution(site, tmp_path):
    secret = secrets()
    line = next(s for s, where in secret.items() if where.endswith("solution.py"))
    copy = tmp_path / "site"
    shutil.copytree(site / "lectures", copy)
    page = next(copy.glob("*.html"))
    page.write_text(page.read_text() + f"<pre><span>{html.escape(line[:10])}</span>{html.escape(line[10:])}</pre>"
                    "<!-- ### BEGIN HIDDEN TESTS -->")
    found = leaks(copy, secret)
    assert any(line in f for f in found) and any("BEGIN HIDDEN TESTS" in f for f in found), found
