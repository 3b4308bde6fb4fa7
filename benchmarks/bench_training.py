"""Time to 97% test accuracy on scikit-learn's digits: the NumPy MLP of chapter 05 vs PyTorch.

Both train a 64-128-64-10 ReLU MLP with Adam (lr 1e-3, batch 32) on the same fixed split, and
both are timed over training plus one test evaluation per epoch, until the test accuracy first
reaches the target. Run: `python benchmarks/bench_training.py [--target 0.97] [--epochs 40]`.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from coursekit import data
from coursekit.reference import train

SIZES = (64, 128, 64, 10)


def numpy_time_to(target, epochs, seed=0):
    X_tr, X_te, y_tr, y_te = data.digits(seed=0)
    params = train.init_mlp(SIZES, rng=seed)
    reached = {}

    def note(epoch, hist):
        if "time" not in reached and hist["test_acc"][-1] >= target:
            reached.update(time=hist["time"], epoch=epoch, acc=hist["test_acc"][-1])

    _, hist = train.fit(params, X_tr, y_tr, epochs=epochs, batch_size=32, optimizer="adam", hyper={"lr": 1e-3},
                        X_test=X_te, y_test=y_te, seed=seed, callback=note)
    return reached or {"time": float("nan"), "epoch": None, "acc": max(hist["test_acc"])}


def torch_time_to(target, epochs, seed=0, dtype="float32"):
    import torch

    X_tr, X_te, y_tr, y_te = data.digits(seed=0)
    dt = getattr(torch, dtype)
    Xtr, Xte = torch.tensor(X_tr, dtype=dt), torch.tensor(X_te, dtype=dt)
    ytr, yte = torch.tensor(y_tr), torch.tensor(y_te)
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=dt))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
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

    rows = {"numpy float64": numpy_time_to(args.target, args.epochs),
            "torch float32": torch_time_to(args.target, args.epochs),
            "torch float64": torch_time_to(args.target, args.epochs, dtype="float64")}
    print(f"time to {args.target:.0%} test accuracy on digits, MLP {'-'.join(map(str, SIZES))}, Adam lr 1e-3, "
          f"batch 32 (torch threads: {torch.get_num_threads()})")
    print(f"{'model':<15} {'epochs':>6} {'test acc':>8} {'seconds':>8} {'ratio to torch f32':>18}")
    base = rows["torch float32"]["time"]
    for name, r in rows.items():
        print(f"{name:<15} {str(r['epoch']):>6} {r['acc']:>8.4f} {r['time']:>8.3f} {r['time'] / base:>18.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return rows


if __name__ == "__main__":
    main()
