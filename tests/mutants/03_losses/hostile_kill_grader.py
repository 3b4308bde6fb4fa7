"""A forward that finds the nbgrader process among its ancestors and SIGKILLs it: stock nbgrader's run ends there, with no grade for anyone after. Here the code runs as the sandbox's unprivileged user: the kill is refused (PermissionError in the student's forward, which loses its cell and that of the backward checked with it), the attempt is reported, and everyone is graded. (Without the sandbox, --unsafe-same-user, the student gets 0 with the reason 'the grading process (nbgrader) was killed' and the others are graded in a new nbgrader run.)"""
# lose: test_mse_loss_forward test_mse_loss_backward
# flags: signal

# ---- mse_loss_forward
import os
import signal

import psutil

def mse_loss_forward(input, target, reduction="mean"):
    for p in psutil.Process().parents():
        if p.cmdline()[1:3] == ["-m", "nbgrader"]:
            os.kill(p.pid, signal.SIGKILL)
    return np.asarray(0.0), None
