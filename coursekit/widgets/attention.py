"""Chapter 08: the attention maps of a small transformer encoder, and one query among a few keys.

`AttentionExplorer` shows where every query position of a token string looks (the attention
weights, queries x keys) in one head of one layer of a stack of pre-norm encoder layers, with an
optional causal mask and padding. `QueryKeyPlayground` moves a 2-D query among a few 2-D keys and
shows the softmax weights, with and without the 1/sqrt(d) scale, and the output: the weighted mean
of the values. The pure helpers below compute everything that is drawn, with the reference ops of
`coursekit.reference.attention`; nothing here needs torch.

The model behind `AttentionExplorer` is an `EncoderStack`: the NumPy parameters of

    token ids (L,) -> embedding[ids] (+ positional_encoding(L, E)) -> encoder layer 0 -> ... [-> linear head]

where every encoder layer is `nn.TransformerEncoderLayer(norm_first=True, dropout=0.0,
batch_first=True)`, i.e. `reference.attention.transformer_encoder_layer_forward`. Build one with
`EncoderStack.random(seed=...)`, `EncoderStack.from_state_dict(model.state_dict(), ...)` (arrays or
tensors, named as PyTorch names them) or directly from arrays.
"""
from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..reference.attention import (
    ENCODER_PARAMS,
    layer_norm_forward,
    multi_head_attention_forward,
    positional_encoding,
    scaled_dot_product_attention_forward,
    transformer_encoder_layer_forward,
)
from ..reference.neurons import linear_forward
from .base import PlotWidget, check_int

DIGITS = tuple("0123456789")
EXAMPLES = ("31415926", "12345678", "00000000", "98765432", "11223344", "27182818")
MAX_TOKENS = 32  # AttentionExplorer draws at most this many tokens
ANNOTATE_UP_TO = 12  # write the weights into the cells up to this many tokens
TORCH_NAMES = ("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
               "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
               "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias")  # ENCODER_PARAMS, as torch names them


# ------------------------------------------------------------------ pure helpers

def _float_array(name, a, shape=None):
    if hasattr(a, "detach"):  # a torch tensor (duck-typed: no torch import here)
        a = a.detach().cpu().double().numpy()
    try:
        x = np.array(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be an array of numbers, got {type(a).__name__}") from e
    if shape is not None and x.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must hold finite numbers")
    return x


class EncoderStack:
    """A token encoder in NumPy: embedding (+ sinusoidal positions) -> pre-norm encoder layers [-> linear head].

    embedding: (V, E), row v is the vector of token vocab[v]; layers: one sequence per layer of the
    12 arrays named in `reference.attention.ENCODER_PARAMS` (in_proj_weight (3E, E), in_proj_bias (3E,),
    out_proj_weight (E, E), out_proj_bias (E,), linear1_weight (F, E), linear1_bias (F,),
    linear2_weight (E, F), linear2_bias (E,), norm1/norm2 weight and bias (E,)), or a dict with those
    names; num_heads: divides E; vocab: the V tokens (strings; one character each lets a string be
    split into characters); head_weight (K, E) and head_bias (K,): an optional final linear layer
    (logits per position); positional: add `positional_encoding(L, E)` to the embedded tokens.
    Everything is stored as float64.
    """

    def __init__(self, embedding, layers, num_heads, vocab=DIGITS, head_weight=None, head_bias=None,
                 positional=True):
        self.vocab = tuple(vocab)
        if not self.vocab or not all(isinstance(t, str) and t and not t.isspace() for t in self.vocab):
            raise ValueError(f"vocab must be a non-empty sequence of non-blank strings, got {vocab!r}")
        if len(set(self.vocab)) != len(self.vocab):
            raise ValueError(f"vocab has repeated tokens: {vocab!r}")
        self.embedding = _float_array("embedding", embedding)
        if self.embedding.ndim != 2 or self.embedding.shape[0] != len(self.vocab):
            raise ValueError(f"embedding must be (V, E) with V = len(vocab) = {len(self.vocab)}, "
                             f"got shape {self.embedding.shape}")
        E = self.embedding.shape[1]
        self.num_heads = check_int("num_heads", num_heads, 1, E)
        if E % self.num_heads:
            raise ValueError(f"num_heads {num_heads} must divide the model width E = {E}")
        if not isinstance(layers, (list, tuple)) or not layers:
            raise ValueError("layers must be a non-empty list, one entry (12 arrays, see ENCODER_PARAMS) per layer")
        self.layers = tuple(self._layer(i, p, E) for i, p in enumerate(layers))
        if (head_weight is None) != (head_bias is None):
            raise ValueError("head_weight and head_bias go together: pass both or neither")
        self.head_weight = self.head_bias = None
        if head_weight is not None:
            self.head_weight = _float_array("head_weight", head_weight)
            if self.head_weight.ndim != 2 or self.head_weight.shape[1] != E:
                raise ValueError(f"head_weight must be (K, E) = (K, {E}), got shape {self.head_weight.shape}")
            self.head_bias = _float_array("head_bias", head_bias, (self.head_weight.shape[0],))
        self.positional = bool(positional)

    @staticmethod
    def _layer(i, params, E):
        if isinstance(params, dict):
            missing = [n for n in ENCODER_PARAMS if n not in params]
            if missing:
                raise ValueError(f"layers[{i}] lacks {', '.join(missing)}")
            params = [params[n] for n in ENCODER_PARAMS]
        if not isinstance(params, (list, tuple)) or len(params) != len(ENCODER_PARAMS):
            raise ValueError(f"layers[{i}] must hold the {len(ENCODER_PARAMS)} arrays of ENCODER_PARAMS, "
                             f"in that order")
        p = {n: _float_array(f"layers[{i}].{n}", a) for n, a in zip(ENCODER_PARAMS, params)}
        ff = p["linear1_weight"].shape[0] if p["linear1_weight"].ndim == 2 else -1
        want = {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,), "out_proj_weight": (E, E),
                "out_proj_bias": (E,), "linear1_weight": (ff, E), "linear1_bias": (ff,), "linear2_weight": (E, ff),
                "linear2_bias": (E,), "norm1_weight": (E,), "norm1_bias": (E,), "norm2_weight": (E,),
                "norm2_bias": (E,)}
        for n, shape in want.items():
            if p[n].shape != shape:
                raise ValueError(f"layers[{i}].{n} must have shape {shape} for E = {E}, got {p[n].shape}")
        return tuple(p[n] for n in ENCODER_PARAMS)

    # -- constructors --------------------------------------------------------------------------
    @classmethod
    def random(cls, vocab=DIGITS, d_model=16, num_heads=2, num_layers=2, dim_feedforward=32, num_classes=None,
               seed=0):
        """Random parameters from `seed`: N(0, 1) embeddings, N(0, 1/fan_in) weights, N(0, 0.1^2) biases,
        layer-norm weights 1 + N(0, 0.1^2); a head to `num_classes` outputs when given."""
        d_model = check_int("d_model", d_model, 1, 4096)
        num_layers = check_int("num_layers", num_layers, 1, 64)
        ff = check_int("dim_feedforward", dim_feedforward, 1, 65536)
        rng = np.random.default_rng(seed)
        E = d_model

        def w(rows, cols):
            return rng.standard_normal((rows, cols)) / np.sqrt(cols)

        def b(n):
            return 0.1 * rng.standard_normal(n)

        layers = [[w(3 * E, E), b(3 * E), w(E, E), b(E), w(ff, E), b(ff), w(E, ff), b(E),
                   1 + b(E), b(E), 1 + b(E), b(E)] for _ in range(num_layers)]
        embedding = rng.standard_normal((len(vocab), E))
        head = (None, None) if num_classes is None else (w(check_int("num_classes", num_classes, 1, 1 << 20), E),
                                                         b(num_classes))
        return cls(embedding, layers, num_heads, vocab, *head)

    @classmethod
    def from_state_dict(cls, state, vocab, num_heads, embedding="embed.weight", layers="encoder.layers",
                        head="head", positional=True):
        """From a mapping name -> array or tensor named as PyTorch names them (`model.state_dict()`):
        `embedding` (the nn.Embedding's weight), `{layers}.{i}.self_attn.in_proj_weight` ... for
        i = 0, 1, ... (an nn.TransformerEncoder's layers), and `{head}.weight`, `{head}.bias` when present
        (head=None: no head)."""
        if embedding not in state:
            raise ValueError(f"state has no {embedding!r} (the embedding weight); it has {', '.join(state)}")
        stack, i = [], 0
        while f"{layers}.{i}.{TORCH_NAMES[0]}" in state:
            stack.append([state[f"{layers}.{i}.{n}"] for n in TORCH_NAMES])
            i += 1
        if not stack:
            raise ValueError(f"state has no {layers!r}.0.{TORCH_NAMES[0]}: no encoder layers under layers={layers!r}")
        hw = hb = None
        if head is not None and f"{head}.weight" in state:
            hw, hb = state[f"{head}.weight"], state[f"{head}.bias"]
        return cls(state[embedding], stack, num_heads, vocab, hw, hb, positional)

    # -- properties ----------------------------------------------------------------------------
    @property
    def d_model(self) -> int:
        return self.embedding.shape[1]

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def __repr__(self):
        head = "" if self.head_weight is None else f", head {self.head_weight.shape[0]} outputs"
        return (f"EncoderStack({len(self.vocab)} tokens, E={self.d_model}, {self.num_layers} layers, "
                f"{self.num_heads} heads{head})")


def tokenize(text, vocab=DIGITS, max_len=MAX_TOKENS) -> np.ndarray:
    """The token ids (L,) int64 of `text`: its characters when every token of `vocab` is one character
    (spaces ignored), else its whitespace-separated words.

    ValueError naming `text` for a non-string, an empty string, more than `max_len` tokens, or a token
    not in the vocabulary.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string of tokens, got {type(text).__name__}")
    vocab = tuple(vocab)
    single = all(len(t) == 1 for t in vocab)
    tokens = [c for c in text if not c.isspace()] if single else text.split()
    if not tokens:
        raise ValueError("text must hold at least one token, got an empty string")
    if max_len is not None and len(tokens) > max_len:
        raise ValueError(f"text must have at most {max_len} tokens, got {len(tokens)}")
    index = {t: i for i, t in enumerate(vocab)}
    for k, t in enumerate(tokens):
        if t not in index:
            raise ValueError(f"text has the token {t!r} at position {k}, which is not in the vocabulary "
                             f"{''.join(vocab) if single else vocab!r}")
    return np.array([index[t] for t in tokens], dtype=np.int64)


def attention_masks(length, causal=False, pad=0):
    """nn.MultiheadAttention's masks for one sequence of `length` tokens (boolean, True = may NOT attend):
    (src_mask (L, L) or None: the causal mask, True above the diagonal; key_padding_mask (1, L) or None:
    True at the last `pad` positions, which are padding)."""
    length = check_int("length", length, 1, 1 << 20)
    pad = check_int("pad", pad, 0, length)
    src_mask = np.triu(np.ones((length, length), dtype=bool), 1) if causal else None
    kpm = None
    if pad:
        kpm = np.zeros((1, length), dtype=bool)
        kpm[0, length - pad:] = True
    return src_mask, kpm


def blocked(length, causal=False, pad=0) -> np.ndarray:
    """(L, L) bool: True where query i may NOT attend to key j (causal: j > i; padding: j among the last `pad`)."""
    src_mask, kpm = attention_masks(length, causal, pad)
    out = np.zeros((length, length), dtype=bool)
    if src_mask is not None:
        out |= src_mask
    if kpm is not None:
        out |= kpm
    return out


def _check_model(model):
    if not isinstance(model, EncoderStack):
        raise ValueError(f"model must be an EncoderStack (see coursekit.widgets.attention), got {type(model).__name__}")
    return model


def encoder_forward(model, tokens, causal=False, pad=0):
    """Run `model` (an `EncoderStack`) on one token string with the reference ops.

    tokens: a string (see `tokenize`) or ids (L,). x = embedding[ids] (+ positional_encoding(L, E)),
    then for every layer: its attention weights are `multi_head_attention_forward(a, a, a, ...,
    average_attn_weights=False)` on a = LayerNorm1(x), as inside the pre-norm block, and
    x = transformer_encoder_layer_forward(x, ...) with the same masks (`attention_masks`).
    Returns (out, maps): out = the logits (L, K) when the model has a head, else the final x (L, E);
    maps = one (heads, L, L) array of attention weights per layer (rows: queries, columns: keys).
    """
    model = _check_model(model)
    if isinstance(tokens, str):
        ids = tokenize(tokens, model.vocab)
    else:
        ids = np.asarray(tokens)
        if ids.ndim != 1 or len(ids) == 0 or ids.dtype.kind not in "iu" or ids.min() < 0 \
                or ids.max() >= len(model.vocab):
            raise ValueError(f"tokens must be a string or ids (L,) in [0, {len(model.vocab)}), got {tokens!r}")
    L = len(ids)
    src_mask, kpm = attention_masks(L, causal, pad)
    x = model.embedding[ids][None]  # (1, L, E): the batch of one sequence
    if model.positional:
        x = x + positional_encoding(L, model.d_model)
    maps = []
    for p in model.layers:
        params = dict(zip(ENCODER_PARAMS, p))
        a, _ = layer_norm_forward(x, params["norm1_weight"], params["norm1_bias"])
        (_, w), _ = multi_head_attention_forward(a, a, a, params["in_proj_weight"], params["in_proj_bias"],
                                                 params["out_proj_weight"], params["out_proj_bias"],
                                                 key_padding_mask=kpm, attn_mask=src_mask,
                                                 num_heads=model.num_heads, average_attn_weights=False)
        maps.append(w[0])
        x, _ = transformer_encoder_layer_forward(x, *p, src_key_padding_mask=kpm, src_mask=src_mask,
                                                 num_heads=model.num_heads)
    out = x[0]
    if model.head_weight is not None:
        out, _ = linear_forward(out, model.head_weight, model.head_bias)
    return out, maps


def attention_maps(model, tokens, causal=False, pad=0) -> list:
    """The attention weights of every layer of `model` for `tokens`: a list of (heads, L, L) arrays
    (see `encoder_forward`)."""
    return encoder_forward(model, tokens, causal, pad)[1]


def score_factor(d=2, scaled=True) -> float:
    """The factor that multiplies the 2-D dot products q·k in `QueryKeyPlayground`.

    The 2-D points stand for d-dimensional vectors: a dot product of d terms has a spread about
    sqrt(d / 2) times that of 2 terms, so the raw score is sqrt(d / 2) q·k; the scale 1/sqrt(d) of
    scaled dot-product attention brings it back to q·k / sqrt(2), whatever d. Returns
    sqrt(d / 2) / sqrt(d) = 1/sqrt(2) when `scaled`, else sqrt(d / 2) (1 at d = 2).
    """
    d = check_int("d", d, 1, 1 << 20)
    spread = np.sqrt(d / 2.0)
    return float(spread / np.sqrt(d)) if scaled else float(spread)


def _points(name, a, n=None):
    x = _float_array(name, a)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) < 1 or (n is not None and len(x) != n):
        want = "(n, 2)" if n is None else f"({n}, 2), one per key"
        raise ValueError(f"{name} must be 2-D points of shape {want}, got shape {x.shape}")
    return x


def query_key_attention(query, keys, values=None, d=2, scaled=True) -> dict:
    """One query against a few keys, in 2-D: the reference `scaled_dot_product_attention_forward` with
    scale = `score_factor(d, scaled)`.

    query: (2,); keys: (n, 2); values: (n, 2), default the keys. Returns a dict: "factor", "scores" (n,)
    = keys @ query * factor, "weights" (n,) = softmax(scores), "output" (2,) = weights @ values.
    """
    q = _float_array("query", query)
    if q.shape != (2,):
        raise ValueError(f"query must be a 2-D point, shape (2,), got shape {q.shape}")
    k = _points("keys", keys)
    v = k if values is None else _points("values", values, len(k))
    factor = score_factor(d, scaled)
    out, cache = scaled_dot_product_attention_forward(q[None], k, v, scale=factor)
    return {"factor": factor, "scores": (k @ q) * factor, "weights": cache[3][0], "output": out[0]}


def softmax_entropy(weights) -> float:
    """The entropy in bits of a probability vector (0: one-hot, log2(n): uniform)."""
    p = np.asarray(weights, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


# ------------------------------------------------------------------ AttentionExplorer

class AttentionExplorer(PlotWidget):
    """Where each position looks: the attention weights of one head of one layer, queries x keys.

    model: an `EncoderStack` (default: `EncoderStack.random(seed=seed)`, digits, 2 layers, 2 heads).
    Controls: `text` (type a token string or pick an example), `layer`, `head`, `causal` (query i
    sees keys 0..i only), `pad` (the last `pad` positions are padding: no query may attend to them).
    Masked cells are drawn grey; their weight is exactly 0, and a query with no key left gets a row
    of zeros (as `F.scaled_dot_product_attention`; nn.MultiheadAttention would give NaN).
    State after each change: `tokens` (list of str), `ids` (L,), `maps` (one (heads, L, L) per layer),
    `weights` (L, L) the map shown, `mask` (L, L) True where masked, `out` (`encoder_forward`'s out),
    `error` ("" or the message of a rejected text; the previous map stays).
    """

    def __init__(self, model=None, text=None, layer=0, head=0, causal=False, pad=0, examples=None, seed=0):
        self.model = EncoderStack.random(seed=seed) if model is None else _check_model(model)
        if examples is None:
            examples = EXAMPLES if set("".join(EXAMPLES)) <= set(self.model.vocab) else ()
        examples = tuple(examples)
        if text is None:
            if not examples:
                raise ValueError("text is required when the vocabulary is not the digits (or pass examples)")
            text = examples[0]
        ids = tokenize(text, self.model.vocab)
        for e in examples:
            tokenize(e, self.model.vocab)  # a bad example fails here, naming it
        layer = check_int("layer", layer, 0, self.model.num_layers - 1)
        head = check_int("head", head, 0, self.model.num_heads - 1)
        pad = check_int("pad", pad, 0, len(ids))
        self.error = ""
        style = {"description_width": "50px"}
        controls = {
            "text": W.Combobox(value=text, options=list(examples), ensure_option=False, continuous_update=False,
                               description="tokens", layout=W.Layout(width="230px"), style=style),
            "layer": W.Dropdown(options=[(f"layer {i}", i) for i in range(self.model.num_layers)], value=layer,
                                description="layer", layout=W.Layout(width="160px"), style=style),
            "head": W.Dropdown(options=[(f"head {h}", h) for h in range(self.model.num_heads)], value=head,
                               description="head", layout=W.Layout(width="150px"), style=style),
            "causal": W.Checkbox(value=bool(causal), description="causal mask", indent=False,
                                 layout=W.Layout(width="120px")),
            "pad": W.IntSlider(value=pad, min=0, max=len(ids), description="pad last", style=style,
                               layout=W.Layout(width="230px")),
        }
        super().__init__(controls, figsize=(6.4, 5.2), title=f"Attention explorer: {self.model!r}")

    def _changed(self, change) -> None:
        if change.owner is self.controls["text"]:  # a new length: the padding slider follows it
            try:
                n = len(tokenize(change.new, self.model.vocab))
            except ValueError:
                n = None
            if n is not None:
                with self.quiet():
                    pad = self.controls["pad"]
                    pad.value = min(pad.value, n)
                    pad.max = n
        self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    def setup(self):
        import matplotlib

        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="0.82")
        self.im = self.ax.imshow(np.zeros((1, 1)), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
        self.fig.colorbar(self.im, ax=self.ax, shrink=0.8, label="attention weight")
        self.ax.set_xlabel("key position j (attended to)")
        self.ax.set_ylabel("query position i (looking)")
        self.texts = []

    def update(self):
        try:
            ids = tokenize(self.value("text"), self.model.vocab)
            pad = check_int("pad", int(self.value("pad")), 0, len(ids))
        except ValueError as e:
            self.show_error(str(e))
            return
        self.error = ""
        self.ids, self.tokens = ids, [self.model.vocab[i] for i in ids]
        self.layer, self.head = int(self.value("layer")), int(self.value("head"))
        self.causal, self.pad = bool(self.value("causal")), pad
        self.out, self.maps = encoder_forward(self.model, ids, self.causal, pad)
        self.weights = self.maps[self.layer][self.head]
        self.mask = blocked(len(ids), self.causal, pad)
        L = len(ids)

        self.im.set_data(np.ma.masked_array(self.weights, mask=self.mask))
        self.im.set_extent((-0.5, L - 0.5, L - 0.5, -0.5))
        labels = [f"{t}\n{j}" for j, t in enumerate(self.tokens)] if L <= 16 else self.tokens
        self.ax.set_xticks(range(L), labels, fontsize=8 if L <= 16 else 6)
        self.ax.set_yticks(range(L), [f"{i} {t}" for i, t in enumerate(self.tokens)], fontsize=8 if L <= 16 else 6)
        for ticks in (self.ax.get_xticklabels(), self.ax.get_yticklabels()):
            for j, t in enumerate(ticks):
                t.set_color("0.6" if j >= L - pad else "black")
        for t in self.texts:
            t.remove()
        self.texts = []
        if L <= ANNOTATE_UP_TO:
            for i in range(L):
                for j in range(L):
                    if not self.mask[i, j]:
                        v = self.weights[i, j]
                        self.texts.append(self.ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                                                       color="black" if v > 0.6 else "white"))
        masks = [m for m, on in (("causal", self.causal), (f"last {pad} padded", pad)) if on]
        self.ax.set_title(f"layer {self.layer}, head {self.head}" + (f" ({', '.join(masks)})" if masks else ""),
                          fontsize=10)
        dead = [i for i in range(L) if self.mask[i].all()]
        looks = ", ".join(f"{i}→{int(np.argmax(self.weights[i]))}" for i in range(L) if i not in dead)
        pred = ""
        if self.model.head_weight is not None:  # the argmax per position, as tokens when the head has V outputs
            same = len(self.model.head_weight) == len(self.model.vocab)
            words = [self.model.vocab[c] if same else str(c) for c in self.out.argmax(axis=1)]
            joined = "".join(words) if all(len(w) == 1 for w in words) else " ".join(words)
            pred = f" &nbsp; model output: <b>{html.escape(joined)}</b>"
        note = (f" &nbsp; rows {dead} fully masked: all weights 0 (SDPA's convention; nn.MultiheadAttention gives NaN)"
                if dead else "")
        self.status.value = (f"{html.escape(' '.join(self.tokens))} &nbsp; strongest key per query (i→j): {looks}"
                             f"{pred}{note}")


# ------------------------------------------------------------------ QueryKeyPlayground

KEYS = ((2.0, 0.5), (0.5, 2.0), (-1.5, 1.0), (-1.0, -2.0), (1.5, -1.5))
D_OPTIONS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def _default_values(n):
    angle = np.pi / 2 + 2 * np.pi * np.arange(n) / n  # the corners of a regular polygon
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


class QueryKeyPlayground(PlotWidget):
    """One query, a few keys: the softmax of the (scaled) dot products, and the weighted mean of the values.

    keys: (n, 2), default `KEYS`; values: (n, 2), default the corners of a regular n-gon (so the output's
    position shows the mix). Controls: `qx`, `qy` (the query), `d` (the "dimension" the 2-D picture
    stands for: it multiplies the raw scores' spread by sqrt(d / 2)), `scaled` (the 1/sqrt(d) scale).
    Panels: the keys and the query (arrow), the weights as bars, the values and the output (star).
    State after each change: `query` (2,), `factor`, `scores` (n,), `weights` (n,) = softmax(scores),
    `output` (2,) = weights @ values, `entropy` (bits).
    """

    def __init__(self, keys=KEYS, values=None, query=(1.0, 0.5), d=2, scaled=True):
        self.keys = _points("keys", keys)
        self.values = _default_values(len(self.keys)) if values is None else _points("values", values, len(self.keys))
        q = _float_array("query", query)
        if q.shape != (2,) or np.abs(q).max() > 3:
            raise ValueError(f"query must be a 2-D point with coordinates in [-3, 3], got {query!r}")
        if d not in D_OPTIONS:
            raise ValueError(f"d must be one of {D_OPTIONS}, got {d!r}")
        style = {"description_width": "60px"}
        controls = {
            "qx": W.FloatSlider(value=float(q[0]), min=-3.0, max=3.0, step=0.05, description="query x",
                                style=style, layout=W.Layout(width="260px")),
            "qy": W.FloatSlider(value=float(q[1]), min=-3.0, max=3.0, step=0.05, description="query y",
                                style=style, layout=W.Layout(width="260px")),
            "d": W.SelectionSlider(options=list(D_OPTIONS), value=d, description="dim d", style=style,
                                   layout=W.Layout(width="260px")),
            "scaled": W.Checkbox(value=bool(scaled), description="scale by 1/√d", indent=False,
                                 layout=W.Layout(width="130px")),
        }
        super().__init__(controls, ncols=3, figsize=(12.0, 3.9), title="Query-key playground")

    def setup(self):
        a_k, a_w, a_v = self.axes
        n = len(self.keys)
        self.colors = [f"C{j % 10}" for j in range(n)]
        lim = max(3.2, float(np.abs(self.keys).max()) + 0.5)
        for j, (k, c) in enumerate(zip(self.keys, self.colors)):
            a_k.scatter(*k, s=80, color=c, zorder=3)
            a_k.annotate(f"k{j}", k, xytext=(5, 5), textcoords="offset points", fontsize=9)
        self.query_arrow = a_k.annotate("", xy=(1, 0), xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=2))
        (self.query_dot,) = a_k.plot([], [], "kx", ms=10, mew=2, label="query q")
        a_k.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title="keys and the query")
        a_k.axhline(0, color="0.85", lw=0.8, zorder=0)
        a_k.axvline(0, color="0.85", lw=0.8, zorder=0)
        a_k.legend(loc="lower left", fontsize=8)
        self.bars = a_w.bar(range(n), np.zeros(n), color=self.colors)
        a_w.set(ylim=(0, 1.05), xticks=range(n), xticklabels=[f"k{j}" for j in range(n)], ylabel="softmax weight")
        self.bar_text = [a_w.text(j, 0, "", ha="center", va="bottom", fontsize=8) for j in range(n)]
        vlim = max(1.3, float(np.abs(self.values).max()) + 0.3)
        for j, (v, c) in enumerate(zip(self.values, self.colors)):
            a_v.scatter(*v, s=80, marker="s", color=c, zorder=3)
            a_v.annotate(f"v{j}", v, xytext=(5, 5), textcoords="offset points", fontsize=9)
        (self.out_dot,) = a_v.plot([], [], "k*", ms=16, label="output Σ w_j v_j")
        a_v.set(xlim=(-vlim, vlim), ylim=(-vlim, vlim), aspect="equal", title="values and the output")
        a_v.legend(loc="lower left", fontsize=8)

    def update(self):
        self.query = np.array([float(self.value("qx")), float(self.value("qy"))])
        self.d, self.scaled = int(self.value("d")), bool(self.value("scaled"))
        r = query_key_attention(self.query, self.keys, self.values, self.d, self.scaled)
        self.factor, self.scores, self.weights, self.output = r["factor"], r["scores"], r["weights"], r["output"]
        self.entropy = softmax_entropy(self.weights)
        a_k, a_w, a_v = self.axes
        self.query_arrow.xy = tuple(self.query)
        self.query_dot.set_data([self.query[0]], [self.query[1]])
        for bar, t, w in zip(self.bars, self.bar_text, self.weights):
            bar.set_height(w)
            t.set_position((bar.get_x() + bar.get_width() / 2, w + 0.01))
            t.set_text(f"{w:.2f}")
        scale = "× 1/√d" if self.scaled else "(no scale)"
        a_w.set_title(f"softmax(q·k × {self.factor:.3g}): max {self.weights.max():.2f}, "
                      f"entropy {self.entropy:.2f} bits", fontsize=9)
        self.out_dot.set_data([self.output[0]], [self.output[1]])
        scores = ", ".join(f"{s:.2f}" for s in self.scores)
        self.status.value = (f"d = {self.d}: raw scores √(d/2) q·k, {scale} → factor {self.factor:.3g}; "
                             f"scores [{scores}] &nbsp; output ({self.output[0]:.2f}, {self.output[1]:.2f})")
