"""The tanh approximation of GELU instead of the exact erf form (errors up to ~1e-3)."""
# lose: test_gelu_forward
# names: the tanh approximation

# ---- gelu_forward
def gelu_forward(x):
    inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1.0 + np.tanh(inner)), x
