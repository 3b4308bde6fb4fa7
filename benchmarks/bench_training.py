"""Time to 97% test accuracy on scikit-learn's digits: the NumPy MLP (chapter 05) and the NumPy CNN
(chapter 06) vs the same networks in PyTorch.

MLP: 64-128-64-10 ReLU, Adam lr 1e-3, batch 32, raw pixels. CNN: conv 3x3 (16 channels, padding 1)
-> relu -> max pool 2 -> linear, Adam lr 3e-3, batch 32, standardised pixels. Each pair trains on
the same fixed split and is timed over training plus one test evaluation per epoch, until the test
accuracy first reaches the target. Run: `python benchmarks/bench_training.py [--target 0.97]`.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from coursekit import data
from coursekit.reference import cnn, train

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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=0.97)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--json", help="write the results to this file")
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
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
