"""The suite's sharing of expensive fixtures relies on `--dist loadgroup` keeping each xdist_group on one
worker (one hub, one pipeline per assignment): a pytest and xdist pair that breaks it fails here."""
import subprocess
import sys

TESTS = '''
import os, time, pytest
pytestmark = pytest.mark.xdist_group("module")
@pytest.mark.parametrize("i", [pytest.param(i, marks=pytest.mark.xdist_group("param")) for i in range(4)])
def test_param(i):
    time.sleep(0.2)
@pytest.mark.parametrize("i", range(4))
def test_module(i):
    time.sleep(0.2)
'''


def test_each_xdist_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_g.py").write_text(TESTS)
    run = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
                          "-p", "no:cacheprovider", "test_g.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    workers = {}
    for line in run.stdout.splitlines():
        if "PASSED" in line and line.startswith("[gw"):
            workers.setdefault(line.split("::")[1].split("[")[0], set()).add(line.split("]")[0][1:])
    assert workers.keys() == {"test_param", "test_module"}, run.stdout
    assert all(len(w) == 1 for w in workers.values()), workers
