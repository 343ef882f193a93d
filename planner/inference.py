"""Inference and lifetime compute: the model that is cheapest over training plus serving.

FLOPs per parameter per token: training costs 6 (forward pass 2, backward pass 4; Kaplan et
al. 2020, section 2.1), inference 2 (the forward pass alone). A model of N parameters trained
on D tokens and then run on I tokens therefore costs 6 N D + 2 N I over its lifetime.

Sardana et al. 2024 ("Beyond Chinchilla-Optimal: Accounting for Inference in Language Model
Scaling Laws") pick the model that reaches a target loss at the least lifetime cost. Any such
cost in FLOPs or money is w_t N D + w_i N = w_t N (D + X) with X = w_i / w_t "extra tokens",
so one solver, `lifetime_optimum`, serves both FLOPs (X = 2 I / 6) and dollars.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .catalog import ACTIVE_PARAMS, LAW_FOR_LOSS, TARGET_LOSS, Arg, field_choice, formula
from .errors import DOMAIN, PlannerError
from .laws import resolve_law

__all__ = ["inference_flops", "lifetime_flops", "inference_tradeoff"]

INFERENCE_TOKENS = Arg("tokens", "Tokens processed at inference over the model's lifetime",
                       rule="nonnegative")
TRADEOFF_FIELDS = ("params", "tokens", "train_flops", "inference_flops", "total_flops",
                   "chinchilla_total_flops", "savings")
TRADEOFF_UNITS = ("parameters", "tokens", "FLOPs", "FLOPs", "FLOPs", "FLOPs", "fraction")

_MAX_NEWTON = 60  # converges in under 10 steps; the cap only guarantees termination


def lifetime_optimum(target_loss, law, extra_tokens):
    """The model (N, D) minimising N * (D + extra_tokens) subject to law.loss(N, D) == target_loss.

    Broadcasts over `target_loss` and `extra_tokens` (both arrays of any shape) and returns
    two float arrays of the broadcast shape. extra_tokens = 0 gives the compute-optimal model
    for that loss. Raises PlannerError for a loss at or below the law's irreducible loss, or
    for a model outside the floating-point range.

    Method: write the constraint A/N^alpha + B/D^beta = S as A/N^alpha = u S, B/D^beta =
    (1 - u) S. Setting the derivative of N (D + X) along the constraint to zero gives
    D(u) (r - 1) = X with r = alpha u / (beta (1 - u)); r = 1 is the Chinchilla optimum. In
    y = ln(r - 1) the condition reads

        h(y) = y + (c + ln(alpha + beta + beta e^y)) / beta - ln X = 0,  c = ln(B / (S alpha)),

    whose slope lies in [1, 1 + 1/beta] and which is convex, so Newton's method started to the
    right of the root (at the smaller root of h's two linear lower bounds) descends onto it
    monotonically and quadratically. All arithmetic stays in logarithms, so extreme inputs
    neither overflow nor lose precision.
    """
    loss = _args.number(target_loss, "target_loss", "positive", "nats/token")
    extra = _args.number(extra_tokens, "extra_tokens", "nonnegative", "tokens")
    _args.broadcast(target_loss=loss, extra_tokens=extra)
    law = resolve_law(law)
    loss, extra = np.broadcast_arrays(loss, extra)
    ln_s, y = _solve(law, loss, extra)
    return _model(law, ln_s, y, loss)


def _solve(law, loss, extra):
    """log S and the root y of h (-inf where extra is 0), arrays of the broadcast shape."""
    ln_s = law.log_inner_for_loss(loss)
    return ln_s, solve_split(law, ln_s, extra)


def solve_split(law, ln_s, extra):
    """The root y of h for log S = ln_s (-inf where extra is 0): how the optimum at that
    inner sum splits it between the N and the D term."""
    alpha, beta = law.alpha, law.beta
    with np.errstate(all="ignore"):
        ln_ab, ln_b = np.log(alpha + beta), np.log(beta)
        c = np.log(law.B) - ln_s - np.log(alpha)
        serving = extra > 0
        ln_x = np.log(np.where(serving, extra, 1.0))
        y = np.minimum(ln_x - (c + ln_ab) / beta,
                       (ln_x - (c + ln_b) / beta) / (1.0 + 1.0 / beta))
        # h is a sum of terms of size ~|ln X|, so it is known to a few ulps of that: stop
        # once every step is down at that rounding level (quadratic convergence gets there in
        # about six steps; the cap only guarantees termination).
        noise = 8 * np.finfo(float).eps * (1.0 + np.abs(ln_x) + np.abs(c) / beta)
        for _ in range(_MAX_NEWTON):
            lse = np.logaddexp(ln_ab, ln_b + y)
            h = y + (c + lse) / beta - ln_x
            slope = 1.0 + np.exp(ln_b + y - lse) / beta
            step = h / slope
            y = y - step
            if np.all(np.abs(step) <= noise * (1.0 + np.abs(y))):
                break
        else:
            if not np.all(np.abs(step) <= 1e3 * noise * (1.0 + np.abs(y))):  # pragma: no cover
                raise PlannerError("the lifetime optimum did not converge for these inputs", argument=None, kind=DOMAIN)
        return np.where(serving, y, -np.inf)  # no serving: r = 1, the compute-optimal split


def log_shares(law, y):
    """(ln u, ln(1 - u)) at the split y: the shares of the N and the D term in the inner sum
    (u = beta r / (alpha + beta r), r = 1 + e^y)."""
    alpha, beta = law.alpha, law.beta
    with np.errstate(all="ignore"):
        lse = np.logaddexp(np.log(alpha + beta), np.log(beta) + y)
        return np.log(beta) + np.logaddexp(0.0, y) - lse, np.log(alpha) - lse


def log_model(law, ln_s, y):
    """(ln N, ln D) of the optimum from log S and y, in logarithms (never overflowing)."""
    ln_u, ln_1mu = log_shares(law, y)
    with np.errstate(all="ignore"):
        return (np.log(law.A) - ln_s - ln_u) / law.alpha, (np.log(law.B) - ln_s - ln_1mu) / law.beta


def _model(law, ln_s, y, loss):
    """(N, D) from log S and y, checked to be representable."""
    ln_n, ln_d = log_model(law, ln_s, y)
    with np.errstate(all="ignore"):
        n, d = np.exp(ln_n), np.exp(ln_d)
    n = _args.in_range(n, "model size", "target_loss", loss)
    d = _args.in_range(d, "number of training tokens", "target_loss", loss)
    return n, d


def _savings(law, y, d0, extra):
    """1 - N (D + X) / (N0 (D0 + X)), accurate even when tiny.

    From the solution: ln(N/N0) = -(ln(1 + e^y) - ln(1 + q e^y)) / alpha and
    ln(D/D0) = ln(1 + q e^y) / beta with q = beta / (alpha + beta), so the ratio of costs
    needs no difference of two nearly equal totals.
    """
    with np.errstate(all="ignore"):
        ln_q = np.log(law.beta / (law.alpha + law.beta))
        grow_d = np.logaddexp(0.0, y + ln_q)
        ln_n_ratio = -(np.logaddexp(0.0, y) - grow_d) / law.alpha
        # (D + X)/(D0 + X) = 1 + (D/D0 - 1) / (1 + X/D0), in logs so
        # that neither D/D0 nor X/D0 can overflow.
        a = grow_d / law.beta  # ln(D/D0) >= 0
        ln_growth = a + np.log(-np.expm1(-a))  # ln(D/D0 - 1); -inf when a = 0
        ln_share = np.logaddexp(0.0, np.log(extra) - np.log(d0))  # ln(1 + X/D0)
        ln_cost_ratio = ln_n_ratio + np.logaddexp(0.0, ln_growth - ln_share)
        # The optimum never costs more than the compute-optimal model; clip rounding below 0.
        return np.maximum(-np.expm1(ln_cost_ratio), 0.0)


@formula("Inference", result="FLOPs", example="=INFERENCE_FLOPS(70E9, 1E12)",
         params=ACTIVE_PARAMS,
         tokens=Arg("tokens", "Tokens processed at inference (prompt plus generated)", rule="nonnegative"),
         flops_per_param_token=Arg("FLOPs", "Inference FLOPs per parameter per token (2: one "
                                   "forward pass, Kaplan et al. 2020)"))
def inference_flops(params, tokens, flops_per_param_token=2):
    """Inference compute in FLOPs: flops_per_param_token * N * tokens (2 N per token by default)."""
    n = _args.number(params, "params")
    t = _args.number(tokens, "tokens")
    k = _args.number(flops_per_param_token, "flops_per_param_token")
    _args.broadcast(params=n, tokens=t, flops_per_param_token=k)
    with np.errstate(all="ignore"):
        flops = k * n * t
    flops = _args.in_range(flops, "inference compute", "tokens", t, positive=False)
    return _args.result(flops, params, tokens, flops_per_param_token)


@formula("Inference", result="FLOPs", example="=LIFETIME_FLOPS(70E9, 1.4E12, 1E13)",
         params=ACTIVE_PARAMS,
         tokens=Arg("tokens", "Training tokens D"),
         inference_tokens=INFERENCE_TOKENS,
         train_flops_per_param_token=Arg("FLOPs", "Training FLOPs per parameter per token (6)"),
         inference_flops_per_param_token=Arg("FLOPs", "Inference FLOPs per parameter per token (2)"))
def lifetime_flops(params, tokens, inference_tokens, train_flops_per_param_token=6,
                   inference_flops_per_param_token=2):
    """Training plus lifetime inference compute in FLOPs: 6 N D + 2 N I by default.

    Training costs 6 FLOPs per parameter per token (forward 2, backward 4), inference 2
    (forward only), as in Kaplan et al. 2020 and Sardana et al. 2024.
    """
    n = _args.number(params, "params")
    d = _args.number(tokens, "tokens")
    i = _args.number(inference_tokens, "inference_tokens")
    kt = _args.number(train_flops_per_param_token, "train_flops_per_param_token")
    ki = _args.number(inference_flops_per_param_token, "inference_flops_per_param_token")
    _args.broadcast(params=n, tokens=d, inference_tokens=i, train_flops_per_param_token=kt,
                    inference_flops_per_param_token=ki)
    with np.errstate(all="ignore"):
        flops = n * (kt * d + ki * i)
    flops = _args.in_range(flops, "lifetime compute", "params", n)
    return _args.result(flops, params, tokens, inference_tokens, train_flops_per_param_token,
                        inference_flops_per_param_token)


@formula("Inference", result="FLOPs (params, tokens: counts; savings: fraction)",
         returns="record", fields=TRADEOFF_FIELDS, field_units=TRADEOFF_UNITS,
         example='=INFERENCE_TRADEOFF(2.0, 1E13, "chinchilla", "params")',
         target_loss=TARGET_LOSS,
         inference_tokens=INFERENCE_TOKENS,
         law=LAW_FOR_LOSS, field=field_choice(TRADEOFF_FIELDS),
         train_flops_per_param_token=Arg("FLOPs", "Training FLOPs per parameter per token (6)"),
         inference_flops_per_param_token=Arg("FLOPs", "Inference FLOPs per parameter per token (2)"))
def inference_tradeoff(target_loss, inference_tokens, law="epoch", field=None,
                       train_flops_per_param_token=6, inference_flops_per_param_token=2):
    """The model that reaches `target_loss` with the least training plus inference FLOPs.

    Sardana et al. 2024: with heavy inference demand a smaller model trained on more tokens
    is cheaper over its lifetime than the compute-optimal one. Returns a dict of params
    (parameters), tokens (training tokens), train_flops, inference_flops, total_flops,
    chinchilla_total_flops (the compute-optimal model of the same loss serving the same
    tokens) and savings (fraction of chinchilla_total_flops saved, in [0, 1)); with `field`,
    just that value. Zero inference gives the compute-optimal model and savings 0.
    """
    key = _args.choice(field, "field", TRADEOFF_FIELDS, optional=True)
    loss = _args.number(target_loss, "target_loss")
    tokens = _args.number(inference_tokens, "inference_tokens")
    kt = _args.number(train_flops_per_param_token, "train_flops_per_param_token")
    ki = _args.number(inference_flops_per_param_token, "inference_flops_per_param_token")
    _args.broadcast(target_loss=loss, inference_tokens=tokens, train_flops_per_param_token=kt,
                    inference_flops_per_param_token=ki)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        extra = _args.in_range(ki / kt * tokens, "extra tokens", "inference_tokens", tokens,
                               positive=False)
    loss, extra = np.broadcast_arrays(loss, extra)
    ln_s, y = _solve(law, loss, extra)
    n, d = _model(law, ln_s, y, loss)
    n0, d0 = _model(law, ln_s, np.full(y.shape, -np.inf), loss)
    savings = _savings(law, y, d0, extra)
    with np.errstate(all="ignore"):
        train = kt * n * d
        serve = ki * n * tokens
        total = train + serve
        baseline_train = kt * n0 * d0
        baseline = baseline_train + ki * n0 * tokens
    # Training alone depends only on the loss; what overflows beyond it is the serving.
    _args.in_range(train, "training compute", "target_loss", loss)
    _args.in_range(baseline_train, "training compute", "target_loss", loss)
    total = _args.in_range(total, "lifetime compute", "inference_tokens", tokens)
    baseline = _args.in_range(baseline, "lifetime compute", "inference_tokens", tokens)
    savings = _args.in_range(savings, "savings", "inference_tokens", tokens, positive=False)
    return _args.record(TRADEOFF_FIELDS, (n, d, train, serve, total, baseline, savings), key,
                        target_loss, inference_tokens, train_flops_per_param_token,
                        inference_flops_per_param_token, units=TRADEOFF_UNITS)
