"""Diagnoses that need no catalogue: what a wrong answer has in common with the right one.

check() tries them, in this order, when no known mistake of the op (`OpSpec.mistakes`) matches:
a constant factor (-1, 2, N, ...), transposed axes or another permutation, NaN or inf only at large
inputs, wrong only where the inputs sit on a kink or tie, and right on the visible cases but wrong
on hidden ones. Each is a fact checked on every failing case at the grading tolerance, and none
shows a hidden case's inputs or values.

A failing case is `Seen(case, got, want)`: the student's named arrays and the reference's.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..compare import compare

LARGE = 50.0  # |input| above which exp() and friends overflow in a naive formula


@dataclass(frozen=True)
class Seen:
    case: object  # ops.Case
    got: dict  # name -> the student's array
    want: dict  # name -> the reference's array


@dataclass(frozen=True)
class Clue:
    name: str
    explanation: str


def generic(failing: list, passing: list, atol: float, rtol: float) -> Clue | None:
    """The first generic diagnosis true of every case in `failing` (`passing`: the cases that pass)."""
    for find in (_factor, _permuted, _unstable, _kinks):
        clue = find(failing, passing, atol, rtol)
        if clue:
            return clue
    return _only_hidden(failing, passing)


def _close(got, want, atol, rtol) -> bool:
    return isinstance(got, np.ndarray) and compare(got, want, atol=atol, rtol=rtol).ok


def _factors(case) -> dict:
    """Named candidate factors of a case: -1, 2, 1/2, and its batch size, element count and last
    dimension (of its first array) and their inverses."""
    first = next((v for v in case.inputs.values() if isinstance(v, np.ndarray) and v.ndim), None)
    named = {"-1": -1.0, "2": 2.0, "1/2": 0.5}
    if first is not None:
        for what, inverse, n in (("N (the batch size)", "1/N (one over the batch size)", first.shape[0]),
                                 ("the number of elements", "one over the number of elements", first.size),
                                 ("the last dimension's size", "one over the last dimension's size", first.shape[-1])):
            if n >= 2:
                named.setdefault(what, float(n))
                named.setdefault(inverse, 1.0 / n)
    return named


def _factor(failing, passing, atol, rtol) -> Clue | None:
    """The same named factor times the right answer, on every failing case."""
    found = set()
    for s in failing:
        names = None
        for key, want in s.want.items():
            got = s.got.get(key)
            if not isinstance(got, np.ndarray) or got.shape != np.shape(want) or not np.any(want):
                continue
            here = {n for n, c in _factors(s.case).items() if _close(got, c * np.asarray(want), atol, rtol)}
            names = here if names is None else names & here
        if not names:
            return None
        found = names if not found else found & names
        if not found:
            return None
    what = sorted(found, key=len)[0]
    if what == "-1":
        return Clue("the sign flipped", "your answer is exactly the negative of the right one on every failing "
                    "case: look for a subtraction in the wrong order (a - b for b - a) or a minus sign lost.")
    return Clue(f"off by a factor {what}", f"your answer is the right one times {what} on every failing case: "
                "look for a mean taken as a sum (or the reverse), a factor of a derivative left out or counted "
                "twice, or a normalisation by the wrong count.")


def _permutation(got, want, atol, rtol):
    """"swap" (the last two axes), another permutation of want's axes that gives `got`, or None."""
    want = np.asarray(want)
    if not isinstance(got, np.ndarray) or got.ndim != want.ndim or not 2 <= want.ndim <= 5:
        return None
    for p in itertools.permutations(range(want.ndim)):
        if p != tuple(range(want.ndim)) and got.shape == tuple(want.shape[i] for i in p) \
                and _close(got, np.transpose(want, p), atol, rtol):
            swap = p[:-2] == tuple(range(want.ndim - 2)) and p[-2:] == (want.ndim - 1, want.ndim - 2)
            return "swap" if swap else p
    return None


def _permuted(failing, passing, atol, rtol) -> Clue | None:
    """The right values with their axes in another order (the same on every failing case)."""
    found = {_permutation(s.got.get(k), w, atol, rtol) for s in failing for k, w in s.want.items()}
    if len(found) != 1 or None in found:
        return None
    p = found.pop()
    if p == "swap":
        return Clue("transposed", "your answer holds the right values with its last two axes swapped: "
                    "a .T too many (or too few), or the factors of a matrix product in the wrong order.")
    return Clue("the axes in another order", f"your answer holds the right values with its axes in the order "
                f"{p} of the right one's: check the axes of each transpose, reshape and einsum against the "
                "shapes the docstring gives.")


def _largest(*arrays) -> float:
    """The largest finite |value| among the float arrays given (0 for none)."""
    return max((float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in arrays
                if isinstance(a, np.ndarray) and a.dtype.kind == "f"), default=0.0)


def _magnitude(case) -> float:
    return _largest(*case.inputs.values())


def _unstable(failing, passing, atol, rtol) -> Clue | None:
    """NaN or inf where the answer is finite, only on cases with large inputs."""
    def blows_up(s):
        return any(isinstance(g, np.ndarray) and g.dtype.kind == "f" and not np.all(np.isfinite(g))
                   and np.all(np.isfinite(np.asarray(s.want[k]))) for k, g in s.got.items())

    if not all(blows_up(s) and _magnitude(s.case) > LARGE for s in failing):
        return None
    if not any(_magnitude(c) <= LARGE for c in passing):
        return None
    return Clue("not numerically stable", "your answer turns into NaN or inf only on the cases with large "
                "inputs, where the right one is finite: an exp() or a square overflows, or inf - inf and "
                "inf / inf appear. Rewrite it in a stable form (subtract the maximum before exp, use log1p, "
                "logaddexp or a piecewise formula).")


def _kinks(failing, passing, atol, rtol) -> Clue | None:
    """Wrong only on the cases whose inputs sit on a kink or tie (`Case.smooth` False)."""
    if any(s.case.smooth for s in failing) or not any(c.smooth for c in passing):
        return None
    return Clue("wrong only at kinks and ties", "your answer is right everywhere except on the cases whose inputs "
                "sit exactly on a kink or a tie (exact zeros, equal values): decide what your function does "
                "exactly there, as PyTorch does (x > 0 or x >= 0? which of two equal maxima?).")


def _features(case) -> set:
    """What a case is like, without its values: its arguments' ranks, sizes of one, keyword names."""
    out = set()
    for name, v in case.inputs.items():
        if v is None:
            out.add(f"{name} is None")
        elif isinstance(v, np.ndarray):
            out.add(f"{name} has {v.ndim} dimension{'s' * (v.ndim != 1)}")
            if 1 in v.shape:
                out.add(f"{name} has a dimension of size 1")
            if v.ndim == 2 and v.shape[0] != v.shape[1]:
                out.add(f"{name} is not square")
            if _largest(v) > LARGE:
                out.add(f"{name} holds large values")
    out |= {f"the keyword {k} is set" for k in case.kwargs}
    return out


def _only_hidden(failing, passing) -> Clue | None:
    """Right on every visible case, wrong on hidden ones: what the failing cases have in common."""
    if not failing or not all(s.case.hidden for s in failing) or not any(not c.hidden for c in passing):
        return None
    common = set.intersection(*(_features(s.case) for s in failing))
    common -= set().union(*(_features(c) for c in passing if not c.hidden))
    kwargs = {k for s in failing for k in s.case.kwargs}
    if not common and kwargs:
        common = {f"other values of {', '.join(sorted(kwargs))}"}
    hint = "; ".join(sorted(common)) if common else "other shapes or arguments than the visible ones"
    return Clue("right on the examples only", "your function passes every visible case but not the hidden ones: "
                f"it works on the examples but not in general. Think about what the failing cases have in "
                f"common: {hint}. Avoid hard-coded shapes, axes and default values.")
