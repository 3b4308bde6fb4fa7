"""Right answers, and a test cell deleted: the restored cell is scored, full marks."""
# flags: cell missing

# ---- delete test_linear_backward
