"""Sphinx configuration of the course book (`make book`; book/build.py stages the sources it reads).

Sphinx + myst-nb: pure Python, offline, notebooks executed at build time through jupyter-cache (a
rebuild re-executes only the notebooks whose code changed), Sphinx's own client-side search.
"""
import os
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
sys.path.insert(0, str(BOOK.parent))  # coursekit and book.ext (and autodoc of coursekit.reference)

project = "Deep learning from the ground up"
author = "the course"
copyright = "the course authors"
language = "en"
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.viewcode", "book.ext"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

html_math_renderer = "mathml"  # book/ext.py: MathML at build time, no MathJax
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # `$$...$$` inside a paragraph, as Jupyter reads it
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = os.environ.get("BOOK_CACHE", str(BOOK / "_build" / "jupyter_cache"))
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True
# the widget embed scripts, from _static/widgets/ (book/build.py copies them from the npm registry's packages)
# (assets-path.js first: the fonts the bundle loads lie beside it, not under a CDN's @jupyter-widgets/)
nb_ipywidgets_js = {"widgets/assets-path.js": {}, "widgets/require.min.js": {}, "widgets/embed-amd.js": {}}

autodoc_typehints = "none"
suppress_warnings = ["misc.highlighting_failure"]  # 05's mermaid diagram source is shown as text
html_theme = "sphinx_book_theme"
html_title = "Deep learning from the ground up"
html_static_path = [os.environ.get("BOOK_STATIC", str(BOOK / "_build" / "static"))]
html_css_files = ["book.css"]
html_favicon = "favicon.svg"
html_theme_options = {"show_toc_level": 2, "use_download_button": False, "use_fullscreen_button": False}
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # else the theme logs an error on a first visit
