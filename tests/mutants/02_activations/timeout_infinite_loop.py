"""An endless loop in the last backward: that cell times out (0), every other cell keeps its points."""
# lose: test_log_softmax_backward
# flags: timeout

# ---- log_softmax_backward
def log_softmax_backward(dout, cache):
    while True:
        pass
