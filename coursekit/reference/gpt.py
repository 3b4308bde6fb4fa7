"""Chapter 08 - a decoder-only (GPT-style) character model, composed of the reference ops.

    logits = head(LayerNorm_f(block_L(... block_1(tok_emb[idx] + pos_emb[0..T-1]))))
    block(x):  x = x + CausalSelfAttention(LayerNorm1(x));  x = x + Linear2(GELU(Linear1(LayerNorm2(x))))

A block is chapter 08's pre-norm encoder layer with GELU in place of relu and a causal mask: there
is no cross-attention (that belongs to the encoder-decoder, whose decoder also attends to the
encoder's output). Nothing here is new arithmetic: embeddings (chapter 07), layer norm and
multi-head attention (08), linear (01), GELU (02) and cross-entropy (03), forward and backward.

The parameters are a dict of arrays named as the state_dict of the PyTorch twin made of
`nn.Embedding`, `nn.TransformerEncoderLayer(norm_first=True, activation="gelu")`, `nn.LayerNorm`
and `nn.Linear` (see `PARAM_NAMES`), so one line copies them across. The number of heads is not
visible in the shapes, so the functions that run the model take `num_heads`, as nn.MultiheadAttention.

`compare_with_lstm` trains this model and chapter 07's `rnn.CharLSTM` on the same docstring text
with the same budget (`CharRecipe`) and reports loss per character and perplexity on held-out text.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import asdict, dataclass

import numpy as np

from . import init as I
from . import rnn
from ._validate import generator, indices, integer
from .activations import gelu_backward, gelu_forward
from .attention import (
    layer_norm_backward,
    layer_norm_forward,
    multi_head_attention_backward,
    multi_head_attention_forward,
)
from .losses import cross_entropy_backward, cross_entropy_forward
from .neurons import linear_backward, linear_forward
from .optim import Optimizer

__all__ = ["BLOCK_PARAMS", "CharRecipe", "causal_mask", "compare_with_lstm", "evaluate_chars", "gpt_backward",
           "gpt_forward", "gpt_loss", "init_gpt", "param_names", "sample", "train_chars"]

# one block's parameters, named as nn.TransformerEncoderLayer's (chapter 08's ENCODER_PARAMS, with dots)
BLOCK_PARAMS = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")


def param_names(num_layers):
    """The parameter names in order: tok_emb.weight, pos_emb.weight, blocks.{i}.<BLOCK_PARAMS>,
    ln_f.weight, ln_f.bias, head.weight, head.bias (the twin's state_dict keys)."""
    blocks = [f"blocks.{i}.{n}" for i in range(integer("num_layers", num_layers, 1)) for n in BLOCK_PARAMS]
    return ["tok_emb.weight", "pos_emb.weight", *blocks, "ln_f.weight", "ln_f.bias", "head.weight", "head.bias"]


def init_gpt(vocab_size, block_size=32, d_model=32, num_layers=2, d_ff=None, rng=None):
    """Parameters of a GPT as GPT-2 draws them: every weight and embedding N(0, 0.02^2)
    (`init.small_random`), the residual projections (attention out, linear2) with std
    0.02 / sqrt(2 num_layers), biases 0, layer norms weight 1 and bias 0.

    Shapes: tok_emb (V, E), pos_emb (block_size, E), in_proj (3E, E), out_proj (E, E), linear1
    (d_ff, E), linear2 (E, d_ff), head (V, E); d_ff defaults to 4 E. Returns a dict (`param_names`).
    """
    rng = generator(rng)
    v, e = integer("vocab_size", vocab_size, 2), integer("d_model", d_model, 1)
    block, layers = integer("block_size", block_size, 1), integer("num_layers", num_layers, 1)
    f = 4 * e if d_ff is None else integer("d_ff", d_ff, 1)
    shapes = {"tok_emb.weight": (v, e), "pos_emb.weight": (block, e), "ln_f.weight": (e,), "ln_f.bias": (e,),
              "head.weight": (v, e), "head.bias": (v,)}
    for i in range(layers):
        shapes.update({f"blocks.{i}.{n}": s for n, s in zip(BLOCK_PARAMS, [
            (3 * e, e), (3 * e,), (e, e), (e,), (f, e), (f,), (e, f), (e,), (e,), (e,), (e,), (e,)])})
    params = {}
    for name in param_names(layers):
        shape = shapes[name]
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "ln_f.weight":
            params[name] = np.ones(shape)
        elif len(shape) == 1:
            params[name] = I.zeros(shape)
        else:
            residual = name.endswith(("out_proj.weight", "linear2.weight"))
            params[name] = I.small_random(shape, std=0.02 / math.sqrt(2 * layers) if residual else 0.02, rng=rng)
    return params


def causal_mask(length):
    """(length, length) boolean, True above the diagonal: where query t may NOT attend (keys after t),
    nn.MultiheadAttention's convention (`nn.Transformer.generate_square_subsequent_mask` as booleans)."""
    length = integer("length", length, 1)
    return np.triu(np.ones((length, length), dtype=bool), k=1)


def _layers(params):
    """The number of blocks of a parameter dict, after checking that every name is there."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays (see init_gpt), got {type(params).__name__}")
    n = 0
    while f"blocks.{n}.norm1.weight" in params:
        n += 1
    missing = [k for k in param_names(max(n, 1)) if k not in params]
    if missing:
        raise ValueError(f"params lacks {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
    return n


# ------------------------------------------------------------------ forward and backward

def _block_forward(x, params, prefix, mask, num_heads):
    """One pre-norm decoder block on x (N, T, E): x + attn(LN1(x)), then + MLP(LN2(.)). Out and a cache."""
    p = {n: params[prefix + n] for n in BLOCK_PARAMS}
    a, c_n1 = layer_norm_forward(x, p["norm1.weight"], p["norm1.bias"])
    (sa, _), c_att = multi_head_attention_forward(
        a, a, a, p["self_attn.in_proj_weight"], p["self_attn.in_proj_bias"], p["self_attn.out_proj.weight"],
        p["self_attn.out_proj.bias"], attn_mask=mask, num_heads=num_heads)
    h = x + sa
    b, c_n2 = layer_norm_forward(h, p["norm2.weight"], p["norm2.bias"])
    z, c_l1 = linear_forward(b, p["linear1.weight"], p["linear1.bias"])
    g, c_gelu = gelu_forward(z)
    f, c_l2 = linear_forward(g, p["linear2.weight"], p["linear2.bias"])
    return h + f, (c_n1, c_att, c_n2, c_l1, c_gelu, c_l2)


def _block_backward(dout, cache, prefix):
    """Gradients of `_block_forward`: dx and {prefix + name: gradient}; residuals add their gradients."""
    c_n1, c_att, c_n2, c_l1, c_gelu, c_l2 = cache
    dg, dw2, db2 = linear_backward(dout, c_l2)
    db, dw1, db1 = linear_backward(gelu_backward(dg, c_gelu), c_l1)
    dh_norm, dn2w, dn2b = layer_norm_backward(db, c_n2)
    dh = dout + dh_norm
    p = c_att[1][3]  # the attention weights (N, heads, L, S): their own upstream gradient is 0
    dq, dk, dv, dwi, dbi, dwo, dbo = multi_head_attention_backward(
        dh, np.zeros(p.shape[:1] + p.shape[2:], dtype=dh.dtype), c_att)
    dx_norm, dn1w, dn1b = layer_norm_backward(dq + dk + dv, c_n1)
    grads = (dwi, dbi, dwo, dbo, dw1, db1, dw2, db2, dn1w, dn1b, dn2w, dn2b)
    return dh + dx_norm, {prefix + n: g for n, g in zip(BLOCK_PARAMS, grads)}


def gpt_forward(params, idx, num_heads=1):
    """Logits (N, T, V) of the next character at every position of idx (N, T) integer indices,
    T <= block_size; position t sees positions 0..t only (causal mask). Returns logits and a cache."""
    layers = _layers(params)
    idx = indices("idx", idx, "character indices")
    if idx.ndim != 2:
        raise ValueError(f"idx must be 2-D (N, T), got shape {idx.shape}")
    block = params["pos_emb.weight"].shape[0]
    if not 1 <= idx.shape[1] <= block:
        raise ValueError(f"idx has {idx.shape[1]} positions; pos_emb.weight {params['pos_emb.weight'].shape} "
                         f"holds 1 to {block} (block_size)")
    tok, c_tok = rnn.embedding_forward(idx, params["tok_emb.weight"])
    pos, c_pos = rnn.embedding_forward(np.arange(idx.shape[1]), params["pos_emb.weight"])
    x, mask, c_blocks = tok + pos, causal_mask(idx.shape[1]), []
    for i in range(layers):
        x, c = _block_forward(x, params, f"blocks.{i}.", mask, num_heads)
        c_blocks.append(c)
    h, c_ln = layer_norm_forward(x, params["ln_f.weight"], params["ln_f.bias"])
    logits, c_head = linear_forward(h, params["head.weight"], params["head.bias"])
    return logits, (list(params), c_tok, c_pos, c_blocks, c_ln, c_head)


def gpt_backward(dlogits, cache):
    """Gradients of `gpt_forward` for an upstream gradient dlogits (N, T, V): a dict like params.

    The position table's gradient sums over the batch; a character's embedding row sums over every
    place it occurs (embedding_backward)."""
    names, c_tok, c_pos, c_blocks, c_ln, c_head = cache
    grads = {}
    dh, grads["head.weight"], grads["head.bias"] = linear_backward(dlogits, c_head)
    dx, grads["ln_f.weight"], grads["ln_f.bias"] = layer_norm_backward(dh, c_ln)
    for i in reversed(range(len(c_blocks))):
        dx, g = _block_backward(dx, c_blocks[i], f"blocks.{i}.")
        grads.update(g)
    grads["tok_emb.weight"] = rnn.embedding_backward(dx, c_tok)
    grads["pos_emb.weight"] = rnn.embedding_backward(dx.sum(axis=0), c_pos)
    return {n: grads[n] for n in names}


def gpt_loss(params, idx, target, num_heads=1):
    """Mean next-character cross-entropy (nats) over idx (N, T) with targets (N, T): (loss, grads dict)."""
    logits, cache = gpt_forward(params, idx, num_heads)
    target = indices("target", target, "character indices")
    if target.shape != idx.shape:
        raise ValueError(f"target must have idx's shape {idx.shape}, got {target.shape}")
    v = logits.shape[2]
    loss, c_ce = cross_entropy_forward(logits.reshape(-1, v), target.reshape(-1))
    dlogits = cross_entropy_backward(np.ones_like(loss), c_ce).reshape(logits.shape)
    return float(loss), gpt_backward(dlogits, cache)


# ------------------------------------------------------------------ sampling

def _sampling_args(vocab_size, prompt_ids, n, temperature, top_k):
    """The checked (prompt list, n, temperature, top_k); ValueError naming a bad one."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not math.isfinite(
            temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral)
                              or not 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be None or an int from 1 to the vocabulary size {vocab_size}, got {top_k!r}")
    prompt = [int(i) for i in np.asarray(prompt_ids).reshape(-1)] if np.size(prompt_ids) else []
    if not prompt or np.asarray(prompt_ids).dtype.kind not in "iu":
        raise ValueError(f"prompt_ids must be a non-empty sequence of character indices, got {prompt_ids!r}")
    if min(prompt) < 0 or max(prompt) >= vocab_size:
        raise ValueError(f"prompt_ids must lie in 0..{vocab_size - 1} (the vocabulary), got {min(prompt)} "
                         f"to {max(prompt)}")
    try:
        n = integer("n", n, 0)
    except TypeError as err:
        raise ValueError(str(err)) from None
    return prompt, n, float(temperature), top_k


def sample(params, prompt_ids, n, temperature=1.0, top_k=None, rng=None, *, num_heads=1):
    """Sample `n` character indices after `prompt_ids`, one at a time, each fed back in.

    The context is the last block_size indices. The next index is drawn from softmax(z / temperature)
    of the last position's logits z, restricted to the top_k largest (None: all; 1: greedy argmax).
    Returns a list of n ints. ValueError for temperature <= 0 or top_k outside 1..V.
    """
    _layers(params)
    v, block = params["head.weight"].shape[0], params["pos_emb.weight"].shape[0]
    ids, n, temperature, top_k = _sampling_args(v, prompt_ids, n, temperature, top_k)
    rng, out = generator(rng), []
    for _ in range(n):
        logits, _ = gpt_forward(params, np.asarray([ids[-block:]], dtype=np.int64), num_heads)
        z = logits[0, -1] / temperature
        if top_k is not None:  # keep exactly k: a stable sort puts the first of tied maxima first, as argmax
            dropped = np.argsort(-z, kind="stable")[top_k:]
            z = z.copy()
            z[dropped] = -np.inf
        p = np.exp(z - z.max())
        nxt = int(rng.choice(v, p=p / p.sum()))
        ids.append(nxt)
        out.append(nxt)
    return out


# ------------------------------------------------------------------ training, evaluation, GPT vs LSTM

@dataclass(frozen=True)
class CharRecipe:
    """The budget of a character-model run: `steps` Adam steps (`lr`), each on `batch_size` random
    windows of `seq_len` + 1 characters (inputs, and targets shifted by one), the gradient's global
    norm clipped to `clip` (None: no clipping). The same recipe and seed give the same windows, so two
    models trained with one recipe see exactly the same characters: steps * batch_size * seq_len."""

    steps: int = 600
    batch_size: int = 16
    seq_len: int = 32
    lr: float = 3e-3
    clip: float | None = 5.0
    seed: int = 0

    def __post_init__(self):
        for name in ("steps", "batch_size", "seq_len", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < (name != "seed"):
                raise ValueError(f"{name} must be an int >= {int(name != 'seed')}, got {v!r}")
        for name in ("lr", "clip"):
            v = getattr(self, name)
            if not (v is None and name == "clip") and not (isinstance(v, numbers.Real) and 0 < v < math.inf):
                raise ValueError(f"{name} must be a number > 0{' or None' if name == 'clip' else ''}, got {v!r}")


def _windows(ids, starts, seq_len):
    """Inputs ids[s : s + seq_len] and targets ids[s + 1 : s + seq_len + 1] for each start: two (B, seq_len)."""
    w = ids[np.asarray(starts)[:, None] + np.arange(seq_len + 1)]
    return w[:, :-1], w[:, 1:]


def _ids(ids, seq_len):
    ids = indices("ids", ids, "character indices")
    if ids.ndim != 1 or len(ids) <= seq_len + 1:
        raise ValueError(f"ids must be 1-D and longer than seq_len + 1 = {seq_len + 1}, got shape {ids.shape}")
    return ids


def train_chars(loss_fn, params, ids, recipe=CharRecipe(), callback=None):
    """Train a character model on the index stream ids (n,) with Adam, by `recipe`.

    loss_fn(params, x, y) -> (mean loss, grads like params), x and y (batch_size, seq_len); params a
    list (rnn.CharLSTM) or a dict (GPT). callback(step, loss) after each step (a live plot, say).
    Returns (new params, history): "loss" and "grad_norm" (before clipping) per step, "time" (s).
    """
    ids = _ids(ids, recipe.seq_len)
    names = list(params) if isinstance(params, dict) else None
    flat = [params[k] for k in names] if names else list(params)
    starts = np.random.default_rng(recipe.seed).integers(0, len(ids) - recipe.seq_len,
                                                         size=(recipe.steps, recipe.batch_size))
    opt, hist, start = Optimizer("adam", lr=recipe.lr), {"loss": [], "grad_norm": [], "time": 0.0}, time.perf_counter()
    for step, s in enumerate(starts):
        loss, grads = loss_fn(dict(zip(names, flat)) if names else flat, *_windows(ids, s, recipe.seq_len))
        grads = [grads[k] for k in names] if names else list(grads)
        clipped, norm = rnn.clip_grad_norm(grads, recipe.clip if recipe.clip is not None else math.inf)
        flat = opt.step(flat, clipped)
        hist["loss"].append(float(loss))
        hist["grad_norm"].append(norm)
        if callback is not None:
            callback(step, float(loss))
    hist["time"] = time.perf_counter() - start
    return (dict(zip(names, flat)) if names else flat), hist


def evaluate_chars(logits_fn, params, ids, seq_len=32, chunk=256):
    """Mean next-character cross-entropy on the stream ids (n,): cut into consecutive windows of
    seq_len inputs, each read from a fresh start (no context carried over), so every character
    after the first is predicted once. logits_fn(params, x (B, seq_len)) -> logits (B, seq_len, V).

    Returns {"nats", "bits" (= nats / ln 2), "perplexity" (= e^nats), "chars"} per character.
    """
    ids = _ids(ids, integer("seq_len", seq_len, 1))
    starts = np.arange(0, len(ids) - seq_len, seq_len)
    total, count = 0.0, 0
    for i in range(0, len(starts), integer("chunk", chunk, 1)):
        x, y = _windows(ids, starts[i:i + chunk], seq_len)
        logits = logits_fn(params, x)
        total += float(cross_entropy_forward(logits.reshape(-1, logits.shape[2]), y.reshape(-1), "sum")[0])
        count += y.size
    nats = total / count
    return {"nats": nats, "bits": nats / math.log(2), "perplexity": math.exp(nats), "chars": count}


def compare_with_lstm(ids, vocab_size, recipe=CharRecipe(), gpt=None, lstm=None, held_out=0.1):
    """Chapter 07's char LSTM against the GPT, one run each with the same budget on the same text.

    ids: the text as character indices (n,) (e.g. data.encode(data.stdlib_text(), vocab)); the last
    `held_out` fraction is held out. Both models train with `recipe` (the same steps, windows, Adam
    and clipping: the same characters seen); gpt: keywords of init_gpt plus num_heads (default
    d_model 32, 2 layers, 2 heads, d_ff 128: 32,736 parameters for V = 96), lstm: of rnn.init_char_lstm
    (default hidden 70, embed 16: 32,992 for V = 96, the same size within 1 %).
    Returns {"gpt": row, "lstm": row, "chars_seen": ...} with row: "n_params", "train_loss" (mean
    of the last tenth of the steps), held-out "nats", "bits", "perplexity", "time" (s, training),
    "history" and the trained "params".
    """
    ids = indices("ids", ids, "character indices")
    if not isinstance(held_out, numbers.Real) or not 0 < held_out < 1:
        raise ValueError(f"held_out must be a fraction between 0 and 1, got {held_out!r}")
    split = int((1 - float(held_out)) * len(ids))
    train, test = _ids(ids[:split], recipe.seq_len), _ids(ids[split:], recipe.seq_len)
    g = {"d_model": 32, "num_layers": 2, "num_heads": 2, **(gpt or {})}
    heads = g.pop("num_heads")
    models = {
        "lstm": (rnn.init_char_lstm(vocab_size, **{"hidden_size": 70, "embed_size": 16, **(lstm or {}),
                                                   "rng": recipe.seed}),
                 lambda p, x, y: rnn.CharLSTM.loss(p, x, y)[:2], lambda p, x: rnn.CharLSTM.forward(p, x)[0]),
        "gpt": (init_gpt(vocab_size, block_size=recipe.seq_len, rng=recipe.seed, **g),
                lambda p, x, y: gpt_loss(p, x, y, heads), lambda p, x: gpt_forward(p, x, heads)[0]),
    }
    out = {"chars_seen": recipe.steps * recipe.batch_size * recipe.seq_len, "recipe": asdict(recipe),
           "train_chars": len(train), "held_out_chars": len(test)}
    for name, (params, loss_fn, logits_fn) in models.items():
        n_params = int(sum(p.size for p in (params.values() if isinstance(params, dict) else params)))
        params, hist = train_chars(loss_fn, params, train, recipe)
        tail = hist["loss"][-max(1, recipe.steps // 10):]
        out[name] = {"n_params": n_params, "train_loss": float(np.mean(tail)), "time": hist["time"],
                     **evaluate_chars(logits_fn, params, test, recipe.seq_len), "history": hist, "params": params}
    return out
