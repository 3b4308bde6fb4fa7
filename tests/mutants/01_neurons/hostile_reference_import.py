"""Imports the reference implementation under the expected names."""
# lose: test_linear_forward test_linear_backward
# flags: forbidden call

# ---- linear_forward
from coursekit.reference.neurons import linear_forward

# ---- linear_backward
from coursekit.reference.neurons import linear_backward
