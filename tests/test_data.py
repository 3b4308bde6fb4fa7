"""coursekit.data: shapes, dtypes, determinism, argument checks, IDX round trip."""
import gzip

import numpy as np
import pytest

from coursekit import data

TOY = sorted(data.TOY_SETS)


@pytest.mark.parametrize("name", TOY)
@pytest.mark.parametrize("n", [3, 4, 101])
def test_toy_shapes_and_dtypes(name, n):
    X, y = data.toy(name, n=n, seed=1)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.isfinite(X).all()
    assert y.min() >= 0


@pytest.mark.parametrize("name", TOY)
def test_toy_deterministic_by_seed(name):
    X1, y1 = data.toy(name, seed=3)
    X2, y2 = data.toy(name, seed=3)
    X3, _ = data.toy(name, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", TOY)
def test_toy_has_both_classes(name):
    _, y = data.toy(name, n=200)
    assert set(np.unique(y)) >= {0, 1}


def test_linear_is_separable_with_margin():
    X, y = data.linear(n=300, margin=0.1, seed=5)
    # a perceptron (with bias) converges on a separable set
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(3)
    for _ in range(1000):
        wrong = np.flatnonzero((Xb @ w > 0) != (y == 1))
        if wrong.size == 0:
            break
        i = wrong[0]
        w += (1 if y[i] == 1 else -1) * Xb[i]
    assert ((Xb @ w > 0) == (y == 1)).all()


def test_class_counts():
    _, y = data.spirals(n=10, classes=3)
    assert sorted(np.bincount(y)) == [3, 3, 4]
    _, y = data.blobs(n=9, centers=3)
    assert np.bincount(y).tolist() == [3, 3, 3]
    _, y = data.moons(n=11)
    assert np.bincount(y).tolist() == [5, 6]


def test_xor_labels_follow_signs_without_noise():
    X, y = data.xor(n=500, noise=0.0)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


def test_moons_without_noise_lies_on_circles():
    X, y = data.moons(n=100, noise=0.0)
    r0 = np.hypot(*X[y == 0].T)
    r1 = np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5)
    np.testing.assert_allclose(r0, 1.0)
    np.testing.assert_allclose(r1, 1.0)


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: data.moons(n=1), "n", ValueError),
    (lambda: data.moons(n=2.5), "n", TypeError),
    (lambda: data.moons(n=True), "n", TypeError),
    (lambda: data.moons(noise=-0.1), "noise", ValueError),
    (lambda: data.xor(noise=float("nan")), "noise", ValueError),
    (lambda: data.xor(seed=1.5), "seed", TypeError),
    (lambda: data.spirals(classes=1), "classes", ValueError),
    (lambda: data.spirals(n=3, classes=4), "classes", ValueError),
    (lambda: data.blobs(centers=1), "centers", ValueError),
    (lambda: data.blobs(std="big"), "std", ValueError),
    (lambda: data.linear(margin=0.6), "margin", ValueError),
    (lambda: data.toy("circles"), "name", ValueError),
    (lambda: data.digits(test_size=0.0), "test_size", ValueError),
    (lambda: data.digits(test_size=1.2), "test_size", ValueError),
    (lambda: data.digits(seed="a"), "seed", TypeError),
])
def test_bad_arguments_name_the_argument(call, arg, exc):
    """A wrong value is a ValueError, a wrong type a TypeError; both name the argument."""
    with pytest.raises(exc, match=arg):
        call()


def test_digits():
    X_tr, X_te, y_tr, y_te = data.digits(test_size=0.25, seed=0)
    assert X_tr.shape == (1347, 64) and X_te.shape == (450, 64)
    assert X_tr.dtype == X_te.dtype == np.float64
    assert y_tr.dtype == y_te.dtype == np.int64
    assert X_tr.min() >= 0.0 and X_tr.max() == 1.0
    assert set(np.unique(y_tr)) == set(range(10))
    again = data.digits(test_size=0.25, seed=0)
    np.testing.assert_array_equal(X_tr, again[0])
    np.testing.assert_array_equal(y_te, again[3])
    other = data.digits(test_size=0.25, seed=1)
    assert not np.array_equal(y_te, other[3])


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5).astype(np.uint8)
    pi, pl = tmp_path / f"img-idx3-ubyte{suffix}", tmp_path / f"lab-idx1-ubyte{suffix}"
    data.write_idx(pi, images)
    data.write_idx(pl, labels)
    X, y = data.load_mnist_idx(pi, pl)
    assert X.shape == (5, 28, 28) and X.dtype == np.float64
    assert y.shape == (5,) and y.dtype == np.int64
    np.testing.assert_array_equal(X * 255, images)
    np.testing.assert_array_equal(y, labels)


def test_idx_matches_the_mnist_byte_layout(tmp_path):
    # hand-written bytes, as in the MNIST spec: magic 0x00000803, N, rows, cols, pixels row-major
    raw = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    raw += bytes(range(12))
    (tmp_path / "i").write_bytes(raw)
    with gzip.open(tmp_path / "l.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + bytes([7, 3]))
    X, y = data.load_mnist_idx(tmp_path / "i", tmp_path / "l.gz")
    np.testing.assert_array_equal(X * 255, np.arange(12).reshape(2, 2, 3))
    assert y.tolist() == [7, 3]


def test_idx_errors(tmp_path):
    data.write_idx(tmp_path / "img", np.zeros((3, 2, 2), np.uint8))
    data.write_idx(tmp_path / "lab", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="path_labels"):
        data.load_mnist_idx(tmp_path / "img", tmp_path / "lab")
    (tmp_path / "junk").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="path_images.*magic"):
        data.load_mnist_idx(tmp_path / "junk", tmp_path / "lab")
    raw = (tmp_path / "img").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-1])
    with pytest.raises(ValueError, match="path_images.*bytes"):
        data.load_mnist_idx(tmp_path / "short", tmp_path / "lab")
    with pytest.raises(ValueError, match="path_images.*3-D"):
        data.load_mnist_idx(tmp_path / "lab", tmp_path / "lab")
    with pytest.raises(ValueError, match="dtype"):
        data.write_idx(tmp_path / "x", np.zeros(3, np.complex128))


# ---------------------------------------------------------------- text: stdlib_text, char_vocab, encode, decode

@pytest.fixture(scope="module")
def corpus():
    return data.stdlib_text()


def _stdlib_text_in_a_fresh_process(hash_seed, max_chars):
    import os
    import subprocess
    import sys

    code = f"import sys; from coursekit import data; sys.stdout.write(data.stdlib_text(max_chars={max_chars}))"
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return run.stdout


def test_stdlib_text_is_deterministic():
    """The same corpus on every call and in every process (string hashing is randomised per process)."""
    first = data.stdlib_text()
    assert data.stdlib_text() == first
    assert data.stdlib_text(max_chars=5000) == first[:5000]
    assert _stdlib_text_in_a_fresh_process(1, 50_000) == _stdlib_text_in_a_fresh_process(2, 50_000) == first[:50_000]


def test_stdlib_text_is_english_ascii_prose(corpus):
    assert isinstance(corpus, str) and 50_000 < len(corpus) <= 200_000
    assert corpus.isascii()
    assert not set(corpus) & set("\t\r\x0b\x0c\x00")  # only newline among the control characters
    for word in (" the ", " and ", " of ", " is ", " return "):
        assert corpus.count(word) >= 20, word
    assert "\n\n" in corpus  # docstrings are separated by blank lines
    words = corpus.split()
    assert sum(w.isalpha() and w.islower() for w in words) > 0.5 * len(words)  # mostly ordinary words


@pytest.mark.parametrize("max_chars", [1, 100, 12_345])
def test_stdlib_text_honours_the_length_cap(max_chars):
    text = data.stdlib_text(max_chars=max_chars)
    assert len(text) == max_chars


def test_stdlib_text_modules_choose_the_sources():
    only_json = data.stdlib_text(modules=("json",))
    assert "JSON" in only_json and 500 < len(only_json) < 50_000
    assert "argparse" not in only_json.lower()
    both = data.stdlib_text(modules=("json", "csv"))
    assert both.startswith(only_json.split("\n\n")[0])  # the json module's own docstring comes first
    assert "CSV" in both and len(both) > len(only_json.split("\n\n")[0])


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError),
                                      ("100", TypeError)])
def test_stdlib_text_bad_max_chars_names_it(bad, exc):
    with pytest.raises(exc, match="max_chars"):
        data.stdlib_text(max_chars=bad)


def test_char_vocab_encode_decode_round_trip(corpus):
    vocab = data.char_vocab(corpus)
    assert vocab == sorted(set(corpus)) and len(vocab) == len(set(vocab))
    assert "\n" in vocab and " " in vocab and "e" in vocab
    ids = data.encode(corpus, vocab)
    assert ids.shape == (len(corpus),) and ids.dtype == np.int64
    assert ids.min() >= 0 and ids.max() == len(vocab) - 1
    assert data.decode(ids, vocab) == corpus
    assert data.decode(ids.tolist()[:50], vocab) == corpus[:50]  # a list of ints works too
    small = data.char_vocab("hello world")
    assert small == [" ", "d", "e", "h", "l", "o", "r", "w"]
    np.testing.assert_array_equal(data.encode("hello", small), [3, 2, 4, 4, 5])
    assert data.decode(np.array([7, 5, 6, 4, 1]), small) == "world"
    assert data.encode("", small).shape == (0,) and data.decode([], small) == ""


def test_text_errors_are_clear():
    vocab = data.char_vocab("abc")
    with pytest.raises(KeyError, match="'z'"):
        data.encode("abz", vocab)
    with pytest.raises(KeyError, match="not in the vocabulary"):
        data.encode("é", vocab)
    with pytest.raises(ValueError, match="text must be a non-empty string"):
        data.char_vocab("")
    with pytest.raises(ValueError, match="text"):
        data.char_vocab(["a", "b"])


def test_split_parts_are_disjoint_stratified_and_repeatable():
    X, y = data.moons(n=1240, noise=0.25, seed=0)
    rows = np.arange(len(y))                       # split the row numbers alongside, to check disjointness
    parts = data.split(np.c_[X, rows], y, (40, 200, 1000), seed=0)
    assert [len(yp) for _, yp in parts] == [40, 200, 1000]
    seen = np.concatenate([Xp[:, 2] for Xp, _ in parts]).astype(int)
    assert len(np.unique(seen)) == len(seen) == 1240
    for Xp, yp in parts:                           # each row keeps its own label; classes stay balanced
        np.testing.assert_array_equal(yp, y[Xp[:, 2].astype(int)])
        assert abs(np.mean(yp) - np.mean(y)) <= 1 / len(yp)
    again = data.split(np.c_[X, rows], y, (40, 200, 1000), seed=0)
    other = data.split(np.c_[X, rows], y, (40, 200, 1000), seed=1)
    for (Xa, ya), (Xb, yb) in zip(parts, again):
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(parts[0][0], other[0][0])


def test_split_leaves_the_rest_out_and_works_without_stratify():
    X_tr, _, y_tr, _ = data.digits()
    (Xa, ya), (Xv, yv) = data.split(X_tr, y_tr, (150, 300), seed=0)
    assert Xa.shape == (150, 64) and Xv.shape == (300, 64)
    assert np.bincount(ya).tolist() == [15] * 10
    (Xs, ys), = data.split(X_tr, y_tr, (len(y_tr),), seed=0, stratify=False)   # a permutation
    assert sorted(ys.tolist()) == sorted(y_tr.tolist())


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: data.split(np.zeros((5, 2)), np.zeros(5, int), (3, 3)), "sizes", ValueError),
    (lambda: data.split(np.zeros((5, 2)), np.zeros(5, int), (0, 3)), "sizes", ValueError),
    (lambda: data.split(np.zeros((5, 2)), np.zeros(5, int), (2.5,)), "sizes", TypeError),
    (lambda: data.split(np.zeros((5, 2)), np.zeros(5, int), 3), "sizes", TypeError),
    (lambda: data.split(np.zeros((5, 2)), np.zeros(4, int), (2,)), "X", ValueError),
    (lambda: data.split(np.zeros((5, 2)), np.zeros(5, int), (2,), seed=-1), "seed", ValueError),
    (lambda: data.split(*data.digits()[::2], (5, 100)), "sizes", ValueError),   # 5 < 10 classes
])
def test_split_bad_arguments_name_the_argument(call, arg, exc):
    with pytest.raises(exc, match=arg):
        call()
