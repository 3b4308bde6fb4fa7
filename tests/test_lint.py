"""The code base stays lint-clean (rules in pyproject.toml), so a maintainer's diff shows only their change."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is missing: it comes with the dev extra (pip install -e '.[dev]')"
    run = subprocess.run([ruff, "check", "coursekit", "tests", "benchmarks", "assignments", "book", "nbgrader_config.py",
                          "student/nbgrader_config.py"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
