"""How often check() names the mistake a wrong answer embodies, per assignment (issue: feedback that
names the mistake). The figures of tests/test_mistakes.py, as a table: every grade cell a mutant
(tests/mutants/<assignment>/mutant_*.py) loses is checked with the hidden cases; a cell is named
right (the mutant's `# names:` line), named wrongly (goal 0: a wrong name is worse than none) or
not named; and every grade cell of the valid answers must pass with no name (goal 0 named).

Run: `python benchmarks/bench_mistakes.py [--json FILE]`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from report import print_table, write_json  # noqa: E402
from test_mistakes import CHAPTERS, answers_of, cells_of, measure, namespace, run_check  # noqa: E402

GOAL_RIGHT = 0.8  # of the failing cells whose mutant embodies a catalogued mistake


def _valid_named(assignment) -> tuple:
    """(grade cells of valid answers that fail or get a name, grade cells of valid answers)."""
    cells, bad, n = cells_of(assignment), 0, 0
    for answer in answers_of(assignment, "valid"):
        ns = namespace(assignment, answer)
        for name, forward in cells.items():
            passed, named, _ = run_check(name, ns, forward)
            bad += not passed or named is not None
            n += 1
    return bad, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    rows, result = [], {}
    for a in CHAPTERS:
        m = measure(a)
        counted = [r for r in m if r[2] is not None]
        right = sum(r[3] is not None and r[3] == r[2] for r in m)
        wrong = sum(r[3] is not None and r[3] != r[2] for r in m)
        bad, n_valid = _valid_named(a)
        share = right / len(counted) if counted else float("nan")
        result[a] = {"cells": len(m), "with_counterpart": len(counted), "named_right": right, "named_wrongly": wrong,
                     "unnamed": sum(r[3] is None for r in m), "valid_cells": n_valid, "valid_named_or_failed": bad}
        mark = "" if share >= GOAL_RIGHT and wrong == 0 and bad == 0 else "  (goal missed)"
        rows.append((a, len(m), len(counted), f"{right} ({share:.0%}){mark}", wrong, result[a]["unnamed"],
                     f"{bad} of {n_valid}"))
    print("Named mistakes: failing grade cells of the mutants, with the hidden cases "
          f"(goal: >= {GOAL_RIGHT:.0%} of those with a catalogued counterpart named right, 0 named wrongly, "
          "0 valid cells named)\n")
    print_table(("assignment", "failing cells", "with a counterpart", "named right", "named wrongly", "unnamed",
                 "valid cells failed or named"), rows)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
