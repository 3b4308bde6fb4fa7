"""RNN sequence without calling the cell: the input projection of all steps in one matmul, dW_ih by einsum over time."""

# ---- rnn_forward
def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    N, T, _ = x.shape
    H = weight_hh.shape[0]
    xw = x @ weight_ih.T + (0.0 if bias_ih is None else bias_ih) + (0.0 if bias_hh is None else bias_hh)
    hs = np.empty((N, T + 1, H))
    hs[:, 0] = 0.0 if h0 is None else h0
    for t in range(T):
        hs[:, t + 1] = np.tanh(xw[:, t] + hs[:, t] @ weight_hh.T)
    out = hs[:, 1:].copy()
    return (out, out[:, -1].copy()), dict(x=x, hs=hs, w_ih=weight_ih, w_hh=weight_hh, h0=h0 is not None,
                                          b=(bias_ih is not None, bias_hh is not None))

# ---- rnn_backward
def rnn_backward(dout, dh_n, cache):
    x, hs, w_ih, w_hh = cache["x"], cache["hs"], cache["w_ih"], cache["w_hh"]
    N, T, _ = x.shape
    da = np.zeros((N, T, w_hh.shape[0]))
    carry = dh_n
    for t in range(T - 1, -1, -1):
        da[:, t] = (dout[:, t] + carry) * (1.0 - hs[:, t + 1] ** 2)
        carry = da[:, t] @ w_hh
    dx = da @ w_ih
    dw_ih = np.einsum("nth,ntd->hd", da, x)
    dw_hh = np.einsum("nth,ntk->hk", da, hs[:, :-1])
    db = da.sum(axis=(0, 1))
    has_ih, has_hh = cache["b"]
    return dx, carry if cache["h0"] else None, dw_ih, dw_hh, db if has_ih else None, db if has_hh else None
