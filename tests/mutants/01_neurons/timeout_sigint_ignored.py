"""An endless loop that ignores SIGINT: nbgrader cannot interrupt it; the student gets 0 with the reason."""
# failed: ignored the interrupt
# flags: timeout

# ---- linear_backward
import signal

def linear_backward(dout, cache):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
