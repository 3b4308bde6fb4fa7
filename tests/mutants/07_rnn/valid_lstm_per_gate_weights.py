"""LSTM cell with one weight slice per gate, sigmoid as (1 + tanh(z / 2)) / 2, a dict cache; noisy prints."""

# ---- lstm_cell_forward
import sys

def lstm_cell_forward(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    print("lstm step", x.shape, h.shape)
    H = h.shape[1]
    sig = lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))
    pre = {}
    for k, name in enumerate("ifgo"):
        rows = slice(k * H, (k + 1) * H)
        z = x @ weight_ih[rows].T + h @ weight_hh[rows].T
        if bias_ih is not None:
            z = z + bias_ih[rows]
        if bias_hh is not None:
            z = z + bias_hh[rows]
        pre[name] = z
    gates = {"i": sig(pre["i"]), "f": sig(pre["f"]), "g": np.tanh(pre["g"]), "o": sig(pre["o"])}
    c_next = gates["f"] * c + gates["i"] * gates["g"]
    h_next = gates["o"] * np.tanh(c_next)
    return (h_next, c_next), {"x": x, "h": h, "c": c, "c_next": c_next, "gates": gates, "w_ih": weight_ih,
                              "w_hh": weight_hh, "has": (bias_ih is not None, bias_hh is not None)}

# ---- lstm_cell_backward
def lstm_cell_backward(dh_next, dc_next, cache):
    print("lstm backward", dh_next.shape, file=sys.stderr)
    gt = cache["gates"]
    tc = np.tanh(cache["c_next"])
    dc = dc_next + dh_next * gt["o"] * (1.0 - tc * tc)
    d = {"i": dc * gt["g"] * gt["i"] * (1.0 - gt["i"]), "f": dc * cache["c"] * gt["f"] * (1.0 - gt["f"]),
         "g": dc * gt["i"] * (1.0 - gt["g"] ** 2), "o": dh_next * tc * gt["o"] * (1.0 - gt["o"])}
    da = np.hstack([d[k] for k in "ifgo"])
    has_ih, has_hh = cache["has"]
    return (da @ cache["w_ih"], da @ cache["w_hh"], dc * gt["f"], da.T @ cache["x"], da.T @ cache["h"],
            da.sum(0) if has_ih else None, da.sum(0) if has_hh else None)
