"""Build the course book, a static website, into book/_build/html (`make book`).

    python book/build.py [--out book/_build] [--js .venv/node-book/node_modules] [--jobs 2]

Stages the sources (book/pages.py) into <out>/src, copies the widget embed scripts (npm's
@jupyter-widgets/html-manager and requirejs, which `make book` installs into --js) into
<out>/static/widgets, then runs Sphinx (book/conf.py). Notebooks are executed through jupyter-cache in
<out>/jupyter_cache: a rebuild re-executes only those whose code changed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
ROOT = BOOK.parent
sys.path.insert(0, str(ROOT))

from book.pages import copy, stage, write  # noqa: E402

CSS = """\
.math-block { display: flex; justify-content: center; align-items: center; gap: 1em; margin: 1em 0;
              overflow-x: auto; flex-wrap: wrap; }
.math-block .eqno { order: 2; }
math[display="block"] { font-size: 1.1em; }
.cell_output .widget-image, .cell_output img { max-width: 100%; height: auto; }
"""

# where the widget bundle finds its fonts: the folder this script (and embed-amd.js) is served from. The
# bundle's modules take their asset path from their require.js URL, hence the `paths` entry.
ASSETS_PATH = """\
var here = new URL('.', document.currentScript.src).href;
window.__jupyter_widgets_assets_path__ = here;
var require = {paths: {'@jupyter-widgets': here.slice(0, -1)}};
"""


def widget_scripts(node_modules: Path, static: Path) -> None:
    """The html-manager's embed bundle (with the fonts it loads beside it) and require.js into static/widgets."""
    dist = node_modules / "@jupyter-widgets" / "html-manager" / "dist"
    require = node_modules / "requirejs" / "require.js"
    if not (dist / "embed-amd.js").is_file() or not require.is_file():
        sys.exit(f"book: the widget scripts are missing under {node_modules}: run `make book` (it installs "
                 "@jupyter-widgets/html-manager and requirejs there with npm)")
    out = static / "widgets"
    for f in dist.iterdir():
        if f.suffix in {".woff", ".woff2", ".ttf", ".eot", ".svg"} or f.name == "embed-amd.js":
            copy(f, out / f.name)
    copy(require, out / "require.min.js")
    write(out / "assets-path.js", ASSETS_PATH)


def sphinx(out: Path, jobs: int) -> int:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               BOOK_CACHE=str(out / "jupyter_cache"), BOOK_STATIC=str(out / "static"))
    env.pop("MPLBACKEND", None)  # the notebooks' %matplotlib inline
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(BOOK), "-j", str(jobs), "-q",
           str(out / "src"), str(out / "html")]
    return subprocess.run(cmd, env=env, cwd=ROOT).returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=BOOK / "_build")
    ap.add_argument("--js", type=Path, default=ROOT / ".venv" / "node-book" / "node_modules")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--clean", action="store_true", help="remove <out> first (cache included)")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if args.clean:
        shutil.rmtree(out, ignore_errors=True)
    stage(out / "src")
    widget_scripts(args.js.resolve(), out / "static")
    write(out / "static" / "book.css", CSS)
    rc = sphinx(out, args.jobs)
    if rc == 0:
        print(f"book: {out / 'html' / 'index.html'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
