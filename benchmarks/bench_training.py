"""Time to 97% test accuracy on scikit-learn's digits: the NumPy MLP (chapter 05) and the NumPy CNN
(chapter 06) vs the same networks in PyTorch.

MLP: 64-128-64-10 ReLU, Adam lr 1e-3, batch 32, raw pixels. CNN: conv 3x3 (16 channels, padding 1)
-> relu -> max pool 2 -> linear, Adam lr 3e-3, batch 32, standardised pixels. Each pair trains on
the same fixed split and is timed over training plus one test evaluation per epoch, until the test
accuracy first reaches the target. Run: `python benchmarks/bench_training.py [--target 0.97]`.

`--lectures` also times the NumPy training runs of the lectures as the notebooks run them (one BLAS
and one torch thread, as their first cell sets): chapter 06's CNN (15 epochs), chapter 07's char
LSTM (300 Adam steps, batch 32 x 50 characters, in float32 as the notebook trains it, and in float64;
its PyTorch twin in float32) and chapter 08's
GPT (300 steps, batch 16 x 32 characters, `gpt.CharRecipe`), training only.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
from report import one_thread

from coursekit import data
from coursekit.reference import cnn, gpt, rnn, train

SIZES = (64, 128, 64, 10)
CNN_CHANNELS, CNN_LR = 16, 3e-3


def _standardised():
    X_tr, X_te, y_tr, y_te = data.digits(seed=0)
    st = train.Standardizer().fit(X_tr)
    return st.transform(X_tr), st.transform(X_te), y_tr, y_te


def numpy_cnn_time_to(target, epochs, seed=0):
    X_tr, X_te, y_tr, y_te = _standardised()
    params = cnn.init_cnn(channels=CNN_CHANNELS, rng=seed)
    reached = {}

    def note(epoch, hist):
        if "time" not in reached and hist["test_acc"][-1] >= target:
            reached.update(time=hist["time"], epoch=epoch, acc=hist["test_acc"][-1])

    _, hist = train.fit(params, X_tr, y_tr,
                        train.Recipe(epochs=epochs, batch_size=32, optimizer="adam", hyper={"lr": CNN_LR}, seed=seed),
                        test=(X_te, y_te), callback=note, model=cnn.CNN)
    return reached or {"time": float("nan"), "epoch": None, "acc": max(hist["test_acc"])}


def torch_cnn(dtype):
    """The chapter's CNN in PyTorch: conv 3x3 pad 1 -> relu -> max pool 2 -> flatten -> linear."""
    import torch

    return torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)),
                               torch.nn.Conv2d(1, CNN_CHANNELS, 3, padding=1, dtype=dtype), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(CNN_CHANNELS * 16, 10, dtype=dtype))


def numpy_time_to(target, epochs, seed=0):
    X_tr, X_te, y_tr, y_te = data.digits(seed=0)
    params = train.init_mlp(SIZES, rng=seed)
    reached = {}

    def note(epoch, hist):
        if "time" not in reached and hist["test_acc"][-1] >= target:
            reached.update(time=hist["time"], epoch=epoch, acc=hist["test_acc"][-1])

    _, hist = train.fit(params, X_tr, y_tr,
                        train.Recipe(epochs=epochs, batch_size=32, optimizer="adam", hyper={"lr": 1e-3}, seed=seed),
                        test=(X_te, y_te), callback=note)
    return reached or {"time": float("nan"), "epoch": None, "acc": max(hist["test_acc"])}


def torch_time_to(target, epochs, seed=0, dtype="float32", model="mlp"):
    import torch

    X_tr, X_te, y_tr, y_te = data.digits(seed=0) if model == "mlp" else _standardised()
    dt = getattr(torch, dtype)
    Xtr, Xte = torch.tensor(X_tr, dtype=dt), torch.tensor(X_te, dtype=dt)
    ytr, yte = torch.tensor(y_tr), torch.tensor(y_te)
    torch.manual_seed(seed)
    if model == "mlp":
        layers = []
        for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
            layers.append(torch.nn.Linear(a, b, dtype=dt))
            if i < len(SIZES) - 2:
                layers.append(torch.nn.ReLU())
        net = torch.nn.Sequential(*layers)
    else:
        net = torch_cnn(dt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3 if model == "mlp" else CNN_LR)
    rng = np.random.default_rng(seed)
    spent = 0.0
    best = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.from_numpy(rng.permutation(len(y_tr)))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(Xtr[idx]), ytr[idx]).backward()
            opt.step()
        with torch.no_grad():
            acc = float((net(Xte).argmax(1) == yte).double().mean())
        spent += time.perf_counter() - start
        best = max(best, acc)
        if acc >= target:
            return {"time": spent, "epoch": epoch, "acc": acc}
    return {"time": float("nan"), "epoch": None, "acc": best}


def lecture_cnn(epochs=15):
    """Chapter 06's run: T.fit of the NumPy CNN, 15 epochs, Adam 3e-3, batch 32 (seconds, test accuracy)."""
    X_tr, X_te, y_tr, y_te = _standardised()
    _, hist = train.fit(cnn.init_cnn(channels=CNN_CHANNELS, rng=0), X_tr, y_tr,
                        train.Recipe(epochs=epochs, batch_size=32, optimizer="adam", hyper={"lr": CNN_LR}, seed=0),
                        test=(X_te, y_te), model=cnn.CNN)
    return {"time": hist["time"], "result": hist["test_acc"][-1]}


def _char_ids():
    text = data.stdlib_text()
    vocab = data.char_vocab(text)
    ids = data.encode(text, vocab)
    return ids[:int(0.9 * len(ids))], len(vocab)


def lecture_lstm(steps=300, seq=50, batch=32, dtype="float32"):
    """Chapter 07's run: rnn.CharLSTM (hidden 128, embed 32), Adam 3e-3, clip 5, in `dtype` (the notebook
    trains in float32) (seconds, last loss)."""
    from coursekit.reference.optim import Optimizer

    ids, vocab = _char_ids()
    starts = np.random.default_rng(0).integers(0, len(ids) - seq - 1, size=(steps, batch))
    params = [p.astype(dtype) for p in rnn.init_char_lstm(vocab, hidden_size=128, embed_size=32, rng=0)]
    opt, spent, loss = Optimizer("adam", lr=3e-3), 0.0, float("nan")
    for s in starts:
        start = time.perf_counter()
        w = ids[s[:, None] + np.arange(seq + 1)]
        loss, grads, _ = rnn.CharLSTM.loss(params, w[:, :-1], w[:, 1:])
        grads, _ = rnn.clip_grad_norm(grads, 5.0)
        params = opt.step(params, grads)
        spent += time.perf_counter() - start
    return {"time": spent, "result": loss}


def lecture_lstm_torch(steps=300, seq=50, batch=32):
    """The PyTorch twin of chapter 07's run (float32): embedding -> nn.LSTM -> linear, same batches."""
    import torch

    ids, vocab = _char_ids()
    starts = np.random.default_rng(0).integers(0, len(ids) - seq - 1, size=(steps, batch))
    torch.manual_seed(0)
    embed, lstm, head = torch.nn.Embedding(vocab, 32), torch.nn.LSTM(32, 128, batch_first=True), \
        torch.nn.Linear(128, vocab)
    net = torch.nn.ModuleList([embed, lstm, head])
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    start = time.perf_counter()
    for s in starts:
        w = torch.from_numpy(ids[s[:, None] + np.arange(seq + 1)])
        logits = head(lstm(embed(w[:, :-1]))[0])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), w[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
    return {"time": time.perf_counter() - start, "result": loss.item()}


def lecture_gpt(steps=300):
    """Chapter 08's run: the NumPy GPT (d_model 32, 2 layers, 2 heads) by gpt.train_chars (seconds, last loss)."""
    ids, vocab = _char_ids()
    recipe = gpt.CharRecipe(steps=steps, batch_size=16, seq_len=32, lr=3e-3)
    params = gpt.init_gpt(vocab, block_size=32, d_model=32, num_layers=2, rng=0)
    _, hist = gpt.train_chars(lambda p, x, y: gpt.gpt_loss(p, x, y, 2), params, ids, recipe)
    return {"time": hist["time"], "result": hist["loss"][-1]}


def lectures(scale=1.0):
    """The lectures' training runs, one BLAS and one torch thread as in the notebooks; `scale` < 1
    shortens each (a smoke test). Returns {name: {"time": s, "result": accuracy or last loss}}."""
    with one_thread():
        steps = max(1, int(300 * scale))
        return {"06 cnn numpy float64 (15 epochs)": lecture_cnn(max(1, int(15 * scale))),
                "07 char lstm numpy float32 (300 steps, as the notebook)": lecture_lstm(steps),
                "07 char lstm numpy float64 (300 steps)": lecture_lstm(steps, dtype="float64"),
                "07 char lstm torch float32 (300 steps)": lecture_lstm_torch(steps),
                "08 gpt numpy float64 (300 steps)": lecture_gpt(steps)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=0.97)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--lectures", action="store_true", help="also time the lectures' NumPy training runs")
    args = ap.parse_args(argv)
    import torch

    rows = {"mlp numpy float64": numpy_time_to(args.target, args.epochs),
            "mlp torch float32": torch_time_to(args.target, args.epochs),
            "mlp torch float64": torch_time_to(args.target, args.epochs, dtype="float64"),
            "cnn numpy float64": numpy_cnn_time_to(args.target, args.epochs),
            "cnn torch float32": torch_time_to(args.target, args.epochs, model="cnn"),
            "cnn torch float64": torch_time_to(args.target, args.epochs, dtype="float64", model="cnn")}
    print(f"time to {args.target:.0%} test accuracy on digits (torch threads: {torch.get_num_threads()}): "
          f"MLP {'-'.join(map(str, SIZES))}, Adam lr 1e-3, batch 32; CNN conv3x3x{CNN_CHANNELS}-relu-maxpool2-linear, "
          f"Adam lr {CNN_LR:g}, batch 32, standardised pixels")
    print(f"{'model':<18} {'epochs':>6} {'test acc':>8} {'seconds':>8} {'ratio to torch f32':>18}")
    for name, r in rows.items():
        base = rows[name.split()[0] + " torch float32"]["time"]
        print(f"{name:<18} {str(r['epoch']):>6} {r['acc']:>8.4f} {r['time']:>8.3f} {r['time'] / base:>18.2f}")
    if args.lectures:
        runs = lectures()
        print("\nthe lectures' training runs (1 thread, as in the notebooks; result: test accuracy or last loss)")
        for name, r in runs.items():
            print(f"{name:<40} {r['time']:>8.2f} s {r['result']:>8.4f}")
        rows = {**rows, "lectures": runs}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
