"""The feedback HTML, readable offline (wired in assignments/nbgrader_config.py).

nbgrader's feedback template loads MathJax from a CDN, so without a network its formulas show as
raw `$$...$$`. `FeedbackExporter` writes them as MathML instead (`latex2mathml`), which browsers
render natively, and drops the CDN's script: the page needs nothing but itself.
"""
from __future__ import annotations

import html
import re

from nbconvert.exporters import HTMLExporter

# what is never math: code, outputs (<pre>), scripts, styles
_VERBATIM = re.compile(r"(<(pre|code|script|style|textarea)\b.*?</\2\s*>)", flags=re.S | re.I)
_MATHJAX = re.compile(r"<!--[^>]*mathjax[^>]*-->|<script[^>]*\bsrc=\"[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>"
                      r"|<script type=\"text/x-mathjax-config\">.*?</script>", flags=re.S | re.I)
_MATH = re.compile(r"\$\$(?P<block>.+?)\$\$|\\\[(?P<bracket>.+?)\\\]"
                   r"|(?<![\\$\w])\$(?!\s)(?P<inline>[^$\n]+?)(?<![\s\\])\$(?!\w)", flags=re.S)


def tex_to_mathml(tex: str, display: str = "inline") -> str:
    """One TeX formula as a `<math>` element (display "inline" or "block"); raises if it cannot read it.
    The course book's math renderer (book/ext.py) uses it too."""
    from latex2mathml.converter import convert

    return convert(tex.strip(), display=display)


def _mathml(m: re.Match) -> str:
    tex = html.unescape(m.group("inline") or m.group("block") or m.group("bracket"))
    try:
        return tex_to_mathml(tex, "inline" if m.group("inline") else "block")
    except Exception:  # noqa: BLE001 - a formula it cannot read stays readable as TeX
        return f"<code>{html.escape(tex)}</code>"


def offline_math(page: str) -> str:
    """`page` with its TeX formulas as MathML and without MathJax's scripts."""
    parts = _VERBATIM.split(_MATHJAX.sub("", page))
    out = []
    for i in range(0, len(parts), 3):  # text, then (verbatim element, its tag name) pairs
        out.append(_MATH.sub(_mathml, parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML with its math rendered offline (`offline_math`)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        page, resources = super().from_notebook_node(nb, resources, **kw)
        return offline_math(page), resources
