"""sigmoid(x) = (1 + tanh(x / 2)) / 2: stable without any branch."""

# ---- sigmoid_forward
def sigmoid_forward(x):
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out, out
