"""Tries to overwrite the source notebook and the release (../../../source, ../../../release) with its own tests, then solves the task."""
# flags: forbidden path

# ---- linear_forward
for path in ("../../../source/01_neurons/01_neurons.ipynb", "../../../release/01_neurons/01_neurons.ipynb",
             "../../../nbgrader_config.py"):
    try:
        with open(path, "w") as f:
            f.write("{}")
        print("overwrote", path)
    except OSError as e:
        print(path, type(e).__name__)

def linear_forward(x, weight, bias=None):
    out = x @ weight.T
    if bias is not None:
        out = out + bias
    return out, (x, weight, bias)
