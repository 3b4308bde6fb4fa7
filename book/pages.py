"""The book's sources, staged into one folder for Sphinx: the lecture notebooks (as committed, no
outputs), and pages generated from the course's own tables:

* index.md: the chapters, each with the first paragraph of its lecture, and how to start (`make lab`);
* glossary.md: every chapter's EN/中文 glossary rows merged, each term linked to its chapters;
* ops.md: for each op of THE REGISTRY (coursekit.ops), its reference source, its PyTorch counterpart,
  its chapter and the assignment section where students write it;
* assignments/<NN_name>.md: the public prose of each assignment (assignment.md's markdown cells; no
  answer, no test cell: solution.py is never read).

A file is rewritten only when its text changes, so Sphinx re-reads only what changed.
"""
from __future__ import annotations

import importlib.util
import inspect
import shutil
from pathlib import Path

import nbformat

from coursekit.glossary import glossary_cell, glossary_rows

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ASSIGNMENTS = ROOT / "assignments"


def _build_sources():
    """assignments/build_sources.py (not a package), for its parser of assignment.md."""
    spec = importlib.util.spec_from_file_location("build_sources", ASSIGNMENTS / "build_sources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lectures() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def chapter_intro(nb) -> tuple[str, str]:
    """(title, first paragraph) of a lecture: its `# ` heading and the first paragraph that is not
    the italic line under it."""
    lines = nb.cells[0].source.split("\n")
    title = lines[0].lstrip("# ").strip()
    paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
    intro = next(p for p in paragraphs if not p.startswith("*") or p.startswith("**"))
    return title, " ".join(intro.split())


def index_page(chapters: list[tuple[str, str, str]], assignments: list[str]) -> str:
    """The landing page; `chapters`: (stem, title, intro)."""
    out = ["# Deep learning from the ground up", "",
           "Nine chapters that build the ops of a neural network in NumPy, check each one against PyTorch, "
           "and let you play with it in a widget. Every chapter ends with a glossary (EN · 中文) and a "
           "中文小结; each has an assignment, graded with nbgrader.", "",
           "## How to start", "",
           "Read the chapters here. To run them, and do the assignments, clone the repository and run", "",
           "```bash", "make lab", "```", "",
           "which sets up a virtual environment and opens the course in JupyterLab (the README has the "
           "details). The widgets on these pages show the state they were saved in; in JupyterLab they "
           "redraw as you move them.", "", "## Chapters", ""]
    for stem, title, intro in chapters:
        out += [f"### [{title}](lectures/{stem}.ipynb)", "", intro, ""]
    out += ["## Reference", "", "* [Glossary · 术语表](glossary.md): every chapter's terms, English and Chinese",
            "* [Op index](ops.md): each op's reference code, its PyTorch counterpart, its chapter and assignment",
            "* Assignments: " + ", ".join(f"[{a}](assignments/{a}.md)" for a in assignments), ""]
    out += _toctree("Chapters", [f"lectures/{stem}" for stem, _, _ in chapters])
    out += _toctree("Reference", ["glossary", "ops"])
    out += _toctree("Assignments", [f"assignments/{a}" for a in assignments])
    return "\n".join(out)


def _toctree(caption: str, entries: list[str]) -> list[str]:
    return ["```{toctree}", ":hidden:", f":caption: {caption}", ":maxdepth: 1", "", *entries, "```", ""]


def glossary_page(nbs: dict) -> str:
    """Every glossary row of the lectures `nbs` (stem -> notebook), one row per English term, with the
    chapters that use it (a link to each one's glossary)."""
    terms: dict[str, dict] = {}
    for stem, nb in nbs.items():
        for term, zh, meaning in (row[:3] for row in glossary_rows(glossary_cell(nb))):
            entry = terms.setdefault(term, {"zh": zh, "meaning": meaning, "chapters": []})
            entry["chapters"].append(stem)
    out = ["# Glossary · 术语表", "",
           f"The {len(terms)} terms of the chapters' glossaries, English and 中文, with the chapters that "
           "define them (a link goes to that chapter's glossary).", "",
           "| term | 中文 | meaning | chapters |", "|---|---|---|---|"]
    for term in sorted(terms, key=str.lower):
        e = terms[term]
        links = ", ".join(f"[{s[:2]}](lectures/{s}.ipynb#glossary)" for s in e["chapters"])
        out.append(f"| {term} | {e['zh']} | {e['meaning']} | {links} |")
    return "\n".join(out) + "\n"


def assignment_page(name: str, build_sources) -> str:
    """The public prose of assignment `name`; each answer cell becomes a labelled line naming the
    function students write there (the op index links to it)."""
    out = []
    for cell in build_sources.parse((ASSIGNMENTS / "src" / name / "assignment.md").read_text()):
        if cell.kind == "markdown":
            out += [cell.text, ""]
        elif cell.kind == "answer":
            out += [f"({_label(cell.name)})=", "", f"*Here you write `{cell.name}`.*", ""]
    out += ["---", "", f"To do this assignment: `make lab`, then Nbgrader › Assignment List › fetch `{name}`.", ""]
    return "\n".join(out)


def _label(function: str) -> str:
    return f"answer-{function.replace('_', '-')}"


def answers(build_sources) -> dict[str, str]:
    """function name -> the assignment whose answer cell it is."""
    return {cell.name: name for name in build_sources.names()
            for cell in build_sources.parse((ASSIGNMENTS / "src" / name / "assignment.md").read_text())
            if cell.kind == "answer"}


def _torch_counterpart(fn) -> str:
    """The source of a registry's PyTorch adapter, with the values its closure was made with."""
    closure = inspect.getclosurevars(fn).nonlocals
    made = f" (made with {', '.join(f'{k}={v!r}' for k, v in closure.items())})" if closure else ""
    where = f"`{fn.__module__}.{fn.__qualname__.split('.<locals>')[0]}`{made}"
    return "\n".join([f"PyTorch counterpart, {where}:", "", "```python", inspect.getsource(fn).rstrip(), "```", ""])


def op_section(spec, titles: dict, assigned: dict) -> list[str]:
    """One op's entry of the op index: chapter, assignment, reference, PyTorch."""
    functions = [spec.step] if hasattr(spec, "step") else [spec.forward, spec.backward]
    written = [(f.__name__, assigned[f.__name__]) for f in functions if f.__name__ in assigned]
    where = ", ".join(f"{{ref}}`{a} › {n} <{_label(n)}>`" for n, a in written) or "none (the lecture only)"
    out = [f"### {spec.name}", "",
           f"* chapter: [{titles[spec.chapter]}](lectures/{spec.chapter}.ipynb)", f"* assignment: {where}",
           "* NumPy reference (its docstring; [source] shows the code):", ""]
    for f in functions:
        out += ["```{eval-rst}", f".. autofunction:: {f.__module__}.{f.__name__}", "```", ""]
    out.append(_torch_counterpart(spec.torch_optimizer if hasattr(spec, "step") else spec.torch))
    return out


def ops_page(titles: dict, assigned: dict) -> str:
    """The op index: every op and update rule of the registry, by chapter (`titles`: stem -> title)."""
    from coursekit import ops

    specs = list(ops.REGISTRY.values()) + list(ops.STEPS.values())
    out = ["# Op index", "",
           "Every op of the course's registry (`coursekit/ops/`), by chapter: the chapter that teaches it, the "
           "assignment section where you write it, its NumPy reference (`coursekit/reference/`, with a link to "
           "the source) and the PyTorch code the tests compare it with.", ""]
    for chapter, title in titles.items():
        mine = [s for s in specs if s.chapter == chapter]
        if mine:
            out += [f"## {title}", ""]
            for spec in mine:
                out += op_section(spec, titles, assigned)
    return "\n".join(out)


def write(path: Path, text: str) -> None:
    """Write `text` to `path` unless it already holds it (Sphinx re-reads only changed files)."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def copy(src: Path, dst: Path) -> None:
    """Copy a file, metadata included, unless `dst` already has its bytes."""
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def stage(src: Path) -> None:
    """Write the book's sources into `src`: lectures/, assignments/ and the generated pages; files
    that no longer belong there are removed."""
    build_sources = _build_sources()
    nbs = {p.stem: nbformat.read(p, as_version=4) for p in lectures()}
    intros = {stem: chapter_intro(nb) for stem, nb in nbs.items()}
    names = build_sources.names()
    pages = {"index.md": index_page([(s, *intros[s]) for s in nbs], names),
             "glossary.md": glossary_page(nbs),
             "ops.md": ops_page({s: t for s, (t, _) in intros.items()}, answers(build_sources))}
    pages.update({f"assignments/{a}.md": assignment_page(a, build_sources) for a in names})
    for rel, text in pages.items():
        write(src / rel, text)
    for p in lectures():
        copy(p, src / "lectures" / p.name)
    keep = {src / rel for rel in pages} | {src / "lectures" / p.name for p in lectures()}
    for old in [p for p in src.rglob("*") if p.is_file() and p not in keep]:
        old.unlink()
