"""The book's Sphinx extension: math as MathML, rendered by the browser with nothing fetched; the
reference's docstrings (the op index's autodoc entries) shown verbatim.

Sphinx's default math renderer loads MathJax from a CDN; this one converts each formula at build
time with the feedback pages' converter (`coursekit.grading.feedback.tex_to_mathml`).
"""
from __future__ import annotations

import html

from docutils import nodes
from sphinx.util import logging

from coursekit.grading.feedback import tex_to_mathml

logger = logging.getLogger(__name__)


def _convert(node, tex: str, display: str) -> str:
    try:
        return tex_to_mathml(tex, display)
    except Exception as e:  # noqa: BLE001 - one unreadable formula is shown as TeX, with a warning
        logger.warning(f"formula not converted to MathML ({type(e).__name__}: {e}): {tex!r}", location=node)
        return f'<code class="math-fallback">{html.escape(tex)}</code>'


def visit_math(self, node) -> None:
    self.body.append(_convert(node, node.astext(), "inline"))
    raise nodes.SkipNode


def visit_math_block(self, node) -> None:
    number = f'<span class="eqno">({node["number"]})</span>' if node.get("number") else ""
    ids = " ".join(node.get("ids", []))
    self.body.append(f'<span class="math-block" id="{ids}">{number}' if ids else f'<span class="math-block">{number}')
    for part in node.astext().split("\n\n"):  # docutils: blank-line separated equations
        if part.strip():
            self.body.append(_convert(node, part, "block"))
    self.body.append("</span>")
    raise nodes.SkipNode


def verbatim_docstring(app, what, name, obj, options, lines) -> None:
    """The reference's docstrings are plain text, not reStructuredText: shown as they are written."""
    if lines:
        lines[:] = ["::", "", *(f"    {line}" for line in lines), ""]


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    app.connect("autodoc-process-docstring", verbatim_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
