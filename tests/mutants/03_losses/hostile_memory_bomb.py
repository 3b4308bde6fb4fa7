"""A backward that allocates until memory runs out: the memory limit turns it into a MemoryError, the cell scores 0 with that reason, the machine and the other students are untouched."""
# lose: test_mse_loss_backward
# flags: memory limit

# ---- mse_loss_backward
def mse_loss_backward(dout, cache):
    hog = []
    while True:  # 128 MB more each turn, for ever: without a limit the machine swaps, then OOM-kills
        hog.append(np.ones(2**24))
