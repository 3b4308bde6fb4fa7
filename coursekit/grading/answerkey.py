"""The answer key's text, and a scan that keeps it out of what students receive.

The key is every line of the course's source notebooks (all assignments, released or not) that
stands between `### BEGIN SOLUTION` / `### END SOLUTION` or `### BEGIN HIDDEN TESTS` / `### END
HIDDEN TESTS`, less the lines that a student sees anyway (the rest of the notebooks, the
lectures, the reference code in `coursekit.reference`, the registry's hints) and lines too short
to be telling. `redact()` replaces each occurrence of a key line in a text (also
HTML-, JSON- or repr-escaped) and every region marker. It is the second line of defence behind
the sandbox (`coursekit.grading.isolation`): feedback is redacted before it is written (the `RedactAnswerKey`
preprocessor in the course's nbgrader_config.py), and the integrity report flags a submission
whose outputs carry the key.
"""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

MIN_CHARS = 16  # shorter lines ("return out, cache") are not telling, and students write them too
MARKERS = re.compile(r"#+ *(BEGIN|END) +(SOLUTION|HIDDEN TESTS)")
REDACTED = "[redacted by the autograder: text of the course's solutions or hidden tests]"
_REGION = re.compile(r"^[ \t]*#+ *BEGIN (SOLUTION|HIDDEN TESTS).*?^[ \t]*#+ *END \1[^\n]*$", re.DOTALL | re.MULTILINE)


def split_key(source: str) -> tuple:
    """(key lines, public lines) of one cell's source."""
    key = [ln for m in _REGION.finditer(source) for ln in m.group(0).splitlines()[1:-1]]
    public = _REGION.sub("", source).splitlines()
    return key, public


@lru_cache(maxsize=8)
def _key_of(paths: tuple) -> tuple:
    key, public = set(), set()
    for path, _mtime in paths:
        try:
            cells = json.loads(Path(path).read_text()).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            src = cell.get("source", "")
            k, p = split_key("".join(src) if isinstance(src, list) else src)
            key.update(ln.strip() for ln in k)
            public.update(ln.strip() for ln in p)
    seen = _public_text()
    return tuple(sorted(ln for ln in key - public if len(ln) >= MIN_CHARS and ln not in seen))


@lru_cache(maxsize=1)
def _public_text() -> str:
    """What every student can read: the reference code, the registry's hints, the lectures."""
    from .. import ops

    pkg = Path(__file__).resolve().parents[1]
    parts = [p.read_text() for p in sorted((pkg / "reference").glob("*.py"))]
    parts += [h for spec in [*ops.REGISTRY.values(), *ops.STEPS.values()] for h in spec.hints.values()]
    for nb in sorted((pkg.parent / "notebooks").glob("*.ipynb")):
        try:
            parts += ["".join(c.get("source", "")) for c in json.loads(nb.read_text()).get("cells", [])]
        except (OSError, ValueError):
            continue
    return "\n".join(parts)


def key_lines(course_root) -> tuple:
    """The answer key of the course at `course_root` (its source/*/*.ipynb), as stripped lines."""
    paths = sorted(Path(course_root, "source").glob("*/*.ipynb"))
    return _key_of(tuple((str(p), p.stat().st_mtime) for p in paths))


def _forms(line: str) -> set:
    return {line, html.escape(line, quote=False), html.escape(line), json.dumps(line)[1:-1], repr(line)[1:-1]}


def redact(text: str, key, own=frozenset()) -> tuple:
    """`text` with every key line (but those in `own`, the student's own lines) and every region
    marker replaced; returns (text, number of key lines replaced)."""
    n = 0
    for line in key:
        if line in own or line[:8] not in text and html.escape(line[:8]) not in text:
            continue  # (a quick test first: most key lines are not in most texts)
        for form in _forms(line):
            if form in text:
                n += text.count(form)
                text = text.replace(form, REDACTED)
    return MARKERS.sub(REDACTED, text), n


def _texts(output: dict):
    """(container, key) of every text field of a notebook output."""
    for k in ("text", "evalue"):
        if k in output:
            yield output, k
    for i in range(len(output.get("traceback", []))):
        yield output["traceback"], i
    for k in list(output.get("data", {})):
        if k.startswith("text/") or k in ("application/json",):
            yield output["data"], k


def redact_outputs(cells, key, own=frozenset()) -> int:
    """Redact the key from the outputs of notebook `cells` in place; the number of replacements."""
    total = 0
    for cell in cells:
        for output in cell.get("outputs", []):
            for box, k in _texts(output):
                value = box[k]
                text = "".join(value) if isinstance(value, list) else value
                if not isinstance(text, str):
                    continue
                new, n = redact(text, key, own)
                if new != text:
                    box[k] = new
                    total += n
    return total


def own_lines(cells) -> frozenset:
    """The lines a student wrote: the code and text of every cell that is not locked by the course."""
    lines = set()
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or meta.get("grade") and not meta.get("solution"):
            continue
        src = cell.get("source", "")
        lines.update(ln.strip() for ln in ("".join(src) if isinstance(src, list) else src).splitlines())
    return frozenset(lines)


NBSP = "\u00a0"


def defuse_markers(cells) -> None:
    """In the student's own cells, region markers written as text (`"BEGIN HIDDEN TESTS" in s`)
    get a no-break space: nbgrader's ClearHiddenTests would take them for a region and fail the
    whole feedback ("No end hidden tests statement found")."""
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") or (meta.get("grade") and not meta.get("solution")):
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if MARKERS.search(src) or "HIDDEN TESTS" in src or "SOLUTION" in src:
            cell["source"] = re.sub(r"(BEGIN|END) (HIDDEN TESTS|SOLUTION)", rf"\1{NBSP}\2", src)
