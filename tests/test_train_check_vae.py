"""train_check on chapter 09's VAE: a small VAE trained with a student's reparameterize, gaussian_kl and
bernoulli_recon learns as with the reference's, in process and in the autograder's sandbox."""
from pathlib import Path

import numpy as np
import pytest

from coursekit.grading import regrade, train_check
from coursekit.grading.outcomes import Kind

SOLUTION = (Path(__file__).resolve().parents[1] / "assignments" / "src" / "09_generative" / "solution.py").read_text()
G = type("Solution", (), {})  # the answer key's functions (the reference's own would be forbidden calls)
_ns: dict = {}
exec(compile(SOLUTION, "<solution>", "exec"), _ns)
for _name, _f in _ns.items():
    if callable(_f) and _name.endswith(("_forward", "_backward")):
        setattr(G, _name, staticmethod(_f))
REFERENCE = {op: (getattr(G, f"{op}_forward"), getattr(G, f"{op}_backward"))
             for op in ("reparameterize", "gaussian_kl", "bernoulli_recon")}


def kl_sign_flipped_backward(dout, cache):
    dmu, dlogvar = G.gaussian_kl_backward(dout, cache)
    return -dmu, -dlogvar


def kl_no_minus_one_backward(dout, cache):  # dlogvar = exp(logvar) / 2: the -1 of the KL's derivative lost
    mu, _, _ = cache
    dmu, dlogvar = G.gaussian_kl_backward(dout, cache)
    return dmu, dlogvar + 0.5 * _g(dout, mu)


def _g(dout, mu):
    return np.asarray(dout) / len(mu) * np.ones_like(mu)  # the upstream factor of reduction="mean"


# (sigma = exp(logvar) in the KL, its gradient with it, trains a VAE within the margin on this 2-D latent:
#  check() catches that one, train_check need not)


def test_the_answer_key_passes_and_print_a_table(capsys):
    assert train_check("vae", REFERENCE).passed
    out = capsys.readouterr().out
    assert "train_check vae" in out and "-ELBO" in out and "reference" in out


@pytest.mark.parametrize("kl", [(G.gaussian_kl_forward, kl_sign_flipped_backward),
                                (G.gaussian_kl_forward, kl_no_minus_one_backward)],
                         ids=["sign flipped", "the -1 of dlogvar lost"])
def test_a_mistaken_kl_fails_with_a_message(kl):
    with pytest.raises(AssertionError, match="did not learn like the reference's") as e:
        train_check("vae", {**REFERENCE, "gaussian_kl": kl}, quiet=True)
    assert e.value.kind is Kind.WRONG


def test_a_function_calling_torch_or_crashing_fails_clearly():
    def reparameterize_forward(mu, logvar, eps):
        import torch

        return (torch.as_tensor(mu) + torch.exp(torch.as_tensor(logvar) / 2) * torch.as_tensor(eps)).numpy(), eps

    with pytest.raises(AssertionError, match="implement this yourself") as e:
        train_check("vae", {**REFERENCE, "reparameterize": (reparameterize_forward, G.reparameterize_backward)},
                    quiet=True)
    assert e.value.kind is Kind.FORBIDDEN_CALL

    def crashes(dout, cache):
        raise ValueError("boom")

    with pytest.raises(AssertionError, match="bernoulli_recon_backward raised ValueError: boom") as e:
        train_check("vae", {**REFERENCE, "bernoulli_recon": (G.bernoulli_recon_forward, crashes)}, quiet=True)
    assert e.value.kind is Kind.ERROR

    def returns_a_list(logits, target, reduction="mean"):
        return [1.0], None

    with pytest.raises(AssertionError, match="should return \\(out, cache\\)"):
        train_check("vae", {**REFERENCE, "bernoulli_recon": (returns_a_list, crashes)}, quiet=True)


def test_one_function_finds_the_others_beside_it():
    ns = {}
    exec(compile(SOLUTION, "<solution>", "exec"), ns)
    assert train_check("bernoulli_recon_backward", ns["bernoulli_recon_backward"], hidden=True, quiet=True).passed
    del ns["gaussian_kl_forward"]
    with pytest.raises(AssertionError, match="gaussian_kl_forward not defined"):
        train_check("bernoulli_recon_backward", ns["bernoulli_recon_backward"], quiet=True)
    with pytest.raises(TypeError, match="must be a dict"):
        train_check("vae", REFERENCE["gaussian_kl"])


def test_the_sandboxed_rerun_trains_the_vae():
    setup = ["import numpy as np\nfrom coursekit.grading import train_check"]
    tests = {"train": 'train_check("bernoulli_recon_backward", bernoulli_recon_backward)'}
    assert regrade(setup, [SOLUTION], tests, timeout=60)["train"].passed
    flipped = SOLUTION.replace("return mu * g, 0.5 * np.expm1(logvar) * g", "return -mu * g, -0.5 * np.expm1(logvar) * g")
    assert flipped != SOLUTION
    verdict = regrade(setup, [flipped], tests, timeout=60)["train"]
    assert not verdict.passed and verdict.kind is Kind.WRONG and "did not learn" in verdict.message
    torchy = SOLUTION.replace("    std = np.exp(0.5 * logvar)\n", "    import torch\n    std = torch.exp(logvar)\n")
    verdict = regrade(setup, [torchy], tests, timeout=60)["train"]
    assert not verdict.passed and verdict.kind is Kind.FORBIDDEN_CALL and "implement this yourself" in verdict.message
    died = SOLUTION.replace("    z, t, reduction = cache\n    n = z.shape[0]\n", "    import os\n    os._exit(3)\n")
    assert died != SOLUTION
    verdict = regrade(setup, [died], tests, timeout=60)["train"]
    assert not verdict.passed and verdict.kind is Kind.CRASH and "ended the grading process" in verdict.message
