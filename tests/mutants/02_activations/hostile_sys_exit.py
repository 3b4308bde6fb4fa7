"""sys.exit() inside the sigmoid forward: its two cells score 0, every other cell keeps its points."""
# lose: test_sigmoid_forward test_sigmoid_backward

# ---- sigmoid_forward
import sys

def sigmoid_forward(x):
    sys.exit("done")
