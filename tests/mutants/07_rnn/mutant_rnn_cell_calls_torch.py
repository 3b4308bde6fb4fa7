"""The RNN cell through torch.rnn_tanh_cell: right values, no credit (rnn_forward calls it too)."""
# lose: test_rnn_cell_forward test_rnn_cell_backward test_rnn_forward test_rnn_backward
# flags: forbidden call

# ---- rnn_cell_forward
def rnn_cell_forward(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    import torch
    t = lambda a: None if a is None else torch.from_numpy(a)
    h_next = torch.rnn_tanh_cell(t(x), t(h), t(weight_ih), t(weight_hh), t(bias_ih), t(bias_hh)).numpy()
    return h_next, (x, h, weight_ih, weight_hh, bias_ih is not None, bias_hh is not None, h_next)
