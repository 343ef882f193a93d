"""Compute-optimal allocation: how to split a FLOPs budget between parameters and tokens.

Training compute is C = 6 N D (Kaplan et al. 2020). For a law of the Chinchilla form the
optimum is N_opt = G (C/6)^a, D_opt = G^-1 (C/6)^b with a = beta/(alpha+beta),
b = alpha/(alpha+beta) and G = (alpha A / (beta B))^(1/(alpha+beta)) (Hoffmann et al. 2022,
eq. 4). `law` may also be a number r, the fixed rule "r tokens per parameter". For
'kaplan' the allocation functions (chinchilla_n, chinchilla_d, chinchilla_compute) follow
Kaplan et al. 2020's own compute-efficient frontier (Table 6, N_opt = 1.3e9 Cmin^0.73, Cmin
= C/2 in PF-days); the functions that optimise over the loss use the law's own optimum (see
planner.laws).

Every law here (Kaplan et al. 2020's form included) is L = E + (A/N^alpha + B/D^beta)^gamma,
a monotone function of the bracketed sum, so each question below has a closed form.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .catalog import LAW, LAW_FOR_LOSS, MODEL_SIZE, TARGET_LOSS, Arg, formula
from .errors import DOMAIN, PlannerError
from .laws import allocation_rule, resolve_law

__all__ = ["chinchilla_n", "chinchilla_d", "chinchilla_loss", "chinchilla_compute",
           "compute_for_loss", "tokens_for_loss", "params_for_loss", "smallest_params", "overtrain_loss",
           "overtrain_penalty", "overtrain_overhead"]

COMPUTE = Arg("FLOPs", "Training compute budget C (C = 6ND)")


@formula("Scaling Laws", result="parameters", example="=CHINCHILLA_N(1E24)", compute=COMPUTE, law=LAW)
def chinchilla_n(compute, law="epoch"):
    """Compute-optimal number of parameters for a training budget of `compute` FLOPs.

    N_opt = G (C/6)^a under a law of the Chinchilla form (Hoffmann et al. 2022, eq. 4);
    under 'kaplan', Kaplan et al. 2020's frontier N_opt = 1.3e9 (C / 2 PF-days)^0.73
    (Table 6; non-embedding parameters); under a number r, sqrt(C / (6 r)).
    """
    c = _args.number(compute, "compute")
    law = allocation_rule(law)
    with np.errstate(all="ignore"):
        n = _args.in_range(law.optimal_n(c), "model size", "compute", c)
    return _args.result(n, compute)


@formula("Scaling Laws", result="tokens", example="=CHINCHILLA_D(1E24)", compute=COMPUTE, law=LAW)
def chinchilla_d(compute, law="epoch"):
    """Compute-optimal number of training tokens for a budget of `compute` FLOPs.

    D_opt = C / (6 N_opt), with N_opt as CHINCHILLA_N gives it.
    """
    c = _args.number(compute, "compute")
    law = allocation_rule(law)
    with np.errstate(all="ignore"):
        d = _args.in_range(law.optimal_d(c), "number of tokens", "compute", c)
    return _args.result(d, compute)


COMPUTE_MULTIPLIER = Arg("x", "A training recipe this many times more compute-efficient than the law's (1 by "
                              "default; ALGORITHMIC_PROGRESS gives it for a number of years): the budget works "
                              "as that many times the FLOPs")


@formula("Scaling Laws", result="nats/token", example="=CHINCHILLA_LOSS(1E24)", compute=COMPUTE,
         law=LAW_FOR_LOSS, compute_multiplier=COMPUTE_MULTIPLIER)
def chinchilla_loss(compute, law="epoch", compute_multiplier=1.0):
    """Loss of the compute-optimal model for a budget of `compute` FLOPs: the least loss
    the law reaches with C = 6ND.

    For 'kaplan' this is the law's own optimum, below the loss of Kaplan et al.'s
    recommended frontier model (CHINCHILLA_N), which trades loss for training speed. With a
    compute_multiplier k, the loss the law reaches at k x compute: a recipe's efficiency
    counted as effective compute, as Ho et al. 2024 measure algorithmic progress (the split
    of the physical budget, CHINCHILLA_N and CHINCHILLA_D, is the law's).
    """
    c = _args.number(compute, "compute")
    k = _args.number(compute_multiplier, "compute_multiplier")
    _args.broadcast(compute=c, compute_multiplier=k)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        loss = _args.in_range(law.optimal_loss(c * k), "loss", "compute", c, positive=False)
    return _args.result(loss, compute, compute_multiplier)


@formula("Scaling Laws", result="FLOPs", example="=CHINCHILLA_COMPUTE(70E9)",
         params=MODEL_SIZE, law=LAW)
def chinchilla_compute(params, law="epoch"):
    """The training budget whose compute-optimal model has `params` parameters.

    The inverse of CHINCHILLA_N for the same law: CHINCHILLA_N(CHINCHILLA_COMPUTE(N)) = N.
    """
    n = _args.number(params, "params")
    law = allocation_rule(law)
    with np.errstate(all="ignore"):
        c = _args.in_range(law.compute_for_optimal_n(n), "compute", "params", n)
    return _args.result(c, params)


@formula("Scaling Laws", result="FLOPs", example="=COMPUTE_FOR_LOSS(2.0)",
         target_loss=TARGET_LOSS, law=LAW_FOR_LOSS, compute_multiplier=COMPUTE_MULTIPLIER)
def compute_for_loss(target_loss, law="epoch", compute_multiplier=1.0):
    """The least training compute (FLOPs, C = 6ND) whose optimal model reaches `target_loss`.

    The inverse of chinchilla_loss: compute_for_loss(chinchilla_loss(C)) = C, for the same
    compute_multiplier k (a recipe k times more efficient needs 1/k of the FLOPs).
    """
    loss = _args.number(target_loss, "target_loss")
    k = _args.number(compute_multiplier, "compute_multiplier")
    _args.broadcast(target_loss=loss, compute_multiplier=k)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        c = law.compute_for_inner(law.inner_for_loss(loss)) / k
        c = _args.in_range(c, "compute", "target_loss", loss)
    return _args.result(c, target_loss, compute_multiplier)


def _unreachable(have, what: str, size_name: str, loss, smallest, law, unit: str) -> None:
    """Raise when one term of the law alone already exceeds the loss to reach."""
    bad = ~(have > smallest)
    if bad.any():
        have, loss, smallest, bad = (a.reshape(-1) for a in np.broadcast_arrays(have, loss, smallest, bad))
        raise _args.failure(
            bad, np.shape(bad), size_name,
            lambda i: f"{size_name} {have[i]:g} cannot reach target_loss {loss[i]:g} under {law.label} "
                      f"with any {what}; it takes more than {smallest[i]:.4g} {unit}")


@formula("Scaling Laws", result="tokens", example="=TOKENS_FOR_LOSS(7E9, 2.1)",
         params=MODEL_SIZE,
         target_loss=TARGET_LOSS, law=LAW_FOR_LOSS)
def tokens_for_loss(params, target_loss, law="epoch"):
    """Training tokens a model of `params` parameters needs to reach `target_loss`.

    Solves L(N, D) = target_loss for D; the inverse of scaling_loss in its second argument.
    A model too small to reach the loss with unlimited data is an error naming the smallest
    size that can.
    """
    n = _args.number(params, "params")
    loss = _args.number(target_loss, "target_loss")
    _args.broadcast(params=n, target_loss=loss)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        inner = law.inner_for_loss(loss)
        _unreachable(n, "number of tokens", "params", loss, law.smallest_n(inner), law,
                     "parameters")
        d = (law.B / (inner - law.A * n ** -law.alpha)) ** (1.0 / law.beta)
        d = _args.in_range(d, "number of tokens", "target_loss", loss)
    return _args.result(d, params, target_loss)


@formula("Scaling Laws", result="parameters", example="=PARAMS_FOR_LOSS(1E12, 2.1)",
         tokens=Arg("tokens", "Training tokens D"),
         target_loss=TARGET_LOSS, law=LAW_FOR_LOSS)
def params_for_loss(tokens, target_loss, law="epoch"):
    """Parameters a model trained on `tokens` tokens needs to reach `target_loss`.

    Solves L(N, D) = target_loss for N; the inverse of scaling_loss in its first argument.
    Too few tokens to reach the loss at any size is an error naming the least that can.
    """
    d = _args.number(tokens, "tokens")
    loss = _args.number(target_loss, "target_loss")
    _args.broadcast(tokens=d, target_loss=loss)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        inner = law.inner_for_loss(loss)
        _unreachable(d, "model size", "tokens", loss, law.smallest_d(inner), law, "tokens")
        n = (law.A / (inner - law.B * d ** -law.beta)) ** (1.0 / law.alpha)
        n = _args.in_range(n, "model size", "target_loss", loss)
    return _args.result(n, tokens, target_loss)


@formula("Scaling Laws", result="parameters", example="=SMALLEST_PARAMS(2.1)",
         target_loss=TARGET_LOSS, law=LAW_FOR_LOSS)
def smallest_params(target_loss, law="epoch"):
    """The smallest model that can reach `target_loss` at all, however many tokens it trains on.

    N_min = (A / (L - E)^(1/gamma))^(1/alpha): with unlimited data the token term vanishes and
    the parameter term alone must fall to the target. Every larger model reaches the loss with
    enough tokens (TOKENS_FOR_LOSS); this one and smaller never do.
    """
    loss = _args.number(target_loss, "target_loss")
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        n = _args.in_range(law.smallest_n(law.inner_for_loss(loss)), "model size", "target_loss", loss)
    return _args.result(n, target_loss)


TOKENS_PER_PARAM = Arg("tokens/parameter", "Training tokens per parameter M = D/N "
                       "(about 20 is compute-optimal for 'chinchilla')")


def _overtrain_inner(law, c, m):
    """The bracketed sum of the law at compute c spent with D = m N (C = 6ND)."""
    n = np.sqrt(c / (6.0 * m))
    return law.inner(n, m * n)


@formula("Scaling Laws", result="nats/token", example="=OVERTRAIN_LOSS(1E23, 200)",
         compute=COMPUTE, tokens_per_param=TOKENS_PER_PARAM, law=LAW_FOR_LOSS)
def overtrain_loss(compute, tokens_per_param, law="epoch"):
    """Loss when `compute` FLOPs are spent at a chosen ratio of tokens per parameter.

    Gadre et al. 2024 ("Language models scale reliably with over-training and on downstream
    tasks") parameterise a run by its budget C and token multiplier M = D/N, so
    N = sqrt(C / (6 M)) and D = M N.
    """
    c = _args.number(compute, "compute")
    m = _args.number(tokens_per_param, "tokens_per_param")
    _args.broadcast(compute=c, tokens_per_param=m)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        loss = law.E + _overtrain_inner(law, c, m) ** law.gamma
        loss = _args.in_range(loss, "loss", "tokens_per_param", m, positive=False)
    return _args.result(loss, compute, tokens_per_param)


@formula("Scaling Laws", result="nats/token", example="=OVERTRAIN_PENALTY(1E23, 200)",
         compute=COMPUTE, tokens_per_param=TOKENS_PER_PARAM, law=LAW_FOR_LOSS)
def overtrain_penalty(compute, tokens_per_param, law="epoch"):
    """Extra loss from spending `compute` at `tokens_per_param` instead of optimally (>= 0).

    overtrain_loss(compute, tokens_per_param) minus chinchilla_loss(compute); zero at the
    compute-optimal ratio and never negative.
    """
    c = _args.number(compute, "compute")
    m = _args.number(tokens_per_param, "tokens_per_param")
    _args.broadcast(compute=c, tokens_per_param=m)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        gap = _overtrain_inner(law, c, m) ** law.gamma - law.optimal_inner(c) ** law.gamma
        # The optimum is the least loss at this compute; clip rounding just below zero.
        gap = _args.in_range(np.maximum(gap, 0.0), "loss", "tokens_per_param", m,
                             positive=False)
    return _args.result(gap, compute, tokens_per_param)


@formula("Scaling Laws", result="x compute", example="=OVERTRAIN_OVERHEAD(1E23, 15E9)",
         compute=COMPUTE, params=Arg("parameters", "Model size N to train instead (dense; for "
                                      "mixture-of-experts, active parameters per token)"),
         law=LAW_FOR_LOSS)
def overtrain_overhead(compute, params, law="epoch"):
    """Factor of compute a model of `params` parameters needs to match the optimum of `compute`.

    De Vries 2023 ("Go smol or go home"): the compute a model of N parameters needs to reach
    the compute-optimal loss of budget C, divided by C. 1 at the compute-optimal size, more
    for any other. A model too small to reach that loss with unlimited data is an error
    naming the smallest size that can.
    """
    c = _args.number(compute, "compute")
    n = _args.number(params, "params")
    _args.broadcast(compute=c, params=n)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        inner = law.optimal_inner(c)
        smallest = law.smallest_n(inner)
        bad = ~(n > smallest)
        if bad.any():
            shape = np.broadcast_shapes(np.shape(n), np.shape(c), np.shape(smallest))
            n_b, c_b, s_b, bad = (np.broadcast_to(a, shape).reshape(-1) for a in (n, c, smallest, bad))
            raise _args.failure(
                bad, shape, "params",
                lambda i: f"params {n_b[i]:g} cannot reach the compute-optimal loss of compute "
                          f"{c_b[i]:g} FLOPs under {law.label} with any number of tokens; it takes "
                          f"more than {s_b[i]:.4g} parameters")
        d = (law.B / (inner - law.A * n ** -law.alpha)) ** (1.0 / law.beta)
        # The compute-optimal model is the cheapest way to that loss; clip rounding below 1.
        ratio = np.maximum(6.0 * n * d / c, 1.0)
        ratio = _args.in_range(ratio, "compute overhead", "params", n)
    return _args.result(ratio, compute, params)
