"""A backward that allocates 128 MB after 128 MB for ever: the memory limit (on data memory, reserved or touched) turns it into a MemoryError, the cell scores 0 with that reason, the machine and the other students are untouched. (np.empty: reserving is enough to meet the limit, and filling pages costs seconds on a loaded machine, past the short cell timeout of the tests.)"""
# lose: test_mse_loss_backward
# flags: memory limit

# ---- mse_loss_backward
def mse_loss_backward(dout, cache):
    hog = []
    while True:  # 128 MB more each turn, for ever
        hog.append(np.empty(2**24))
