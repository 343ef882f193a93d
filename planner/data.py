"""Data-constrained scaling: what repeated data and oversized models are worth.

Muennighoff et al. 2023, "Scaling Data-Constrained Language Models" (NeurIPS 2023,
arXiv:2305.16264), section 3, fit how the value of data decays when it is repeated. With
U_D unique tokens seen R_D = D/U_D - 1 extra times, the D training tokens are worth

    D' = U_D + U_D R*_D (1 - exp(-R_D / R*_D))

fresh tokens, and a model of N parameters beyond U_N, the compute-optimal size for U_D,
is worth N' = U_N + U_N R*_N (1 - exp(-R_N / R*_N)) with R_N = N/U_N - 1. The loss is the
scaling law with both substituted, L = E + A/N'^alpha + B/D'^beta. After R*_D repetitions
one more pass is worth 1/e (37%) of fresh data; the same holds for excess parameters at R*_N.

The fitted constants are the paper's Appendix A (eq. 17), R*_D = 15.387756 and
R*_N = 5.309743 (section 3 rounds them to 15.4 and 5.3; the authors' repository,
github.com/huggingface/datablations, "Parametric Fit", has the same digits). They were
fitted together with the paper's own C4 law, the 'muennighoff' preset (E = exp(0.6254804),
A = exp(6.255414), B = exp(7.3049974), alpha = beta = 0.3526596, loss in nats on GPT-2
tokens): with law "muennighoff" DATA_CONSTRAINED_LOSS is their eq. 17 exactly. With any
other law (the default is the planner's, 'epoch', so a data-limited plan and an unlimited
one are compared under one law) the decay constants are carried over to it, an assumption
the paper does not test.

Parameter counts: the paper's models are dense, so N means parameters per token. For a
mixture-of-experts model pass the ACTIVE parameter count (what one token passes through),
the quantity the scaling laws here were fitted on.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .catalog import LAW_FOR_LOSS, Arg, formula
from .laws import Law, resolve_law

__all__ = ["R_STAR_TOKENS", "R_STAR_PARAMS", "effective_tokens", "effective_params",
           "data_constrained_n", "data_constrained_d",
           "data_optimal_params", "data_constrained_loss", "epochs_worth_it"]

# Muennighoff et al. 2023, Appendix A (eq. 17), unrounded: repetitions after which one more
# pass over the data (one more excess parameter) is worth 1/e of a fresh token (a useful
# parameter). Section 3 prints them rounded, 15.4 and 5.3.
R_STAR_TOKENS = 15.387756
R_STAR_PARAMS = 5.309743

CATEGORY = "Data, Shape & Memory"

UNIQUE = Arg("tokens", "Unique tokens available U (the deduplicated data set); "
                       "training on D > U tokens repeats it D/U times")
PARAMS = Arg("parameters", "Model size N: parameters per token (for mixture-of-experts, the "
                           "active parameters, not the total)")
R_STAR_D = Arg("repetitions", "Decay constant R*_D: repetitions after which one more "
                              "pass is worth 1/e of fresh data (15.387756, Muennighoff et al. "
                              "2023, Appendix A)")
R_STAR_N = Arg("repetitions", "Decay constant R*_N for parameters beyond the data-optimal size "
                              "(5.309743, Muennighoff et al. 2023, Appendix A)")


def _decayed(amount, unique, r_star):
    """unique + unique * r_star * (1 - exp(-R / r_star)), R = amount/unique - 1 >= 0.

    amount <= unique gives amount (nothing repeated). -expm1 keeps precision when R is tiny.
    """
    base = np.minimum(amount, unique)
    with np.errstate(all="ignore"):  # an infinite R saturates: 1 - exp(-inf) = 1
        repeats = amount / base - 1.0
        return base + base * (r_star * -np.expm1(-repeats / r_star))


def _data_optimal_n(law: Law, unique):
    """The compute-optimal model size whose optimal token count is `unique`.

    From N_opt = G (C/6)^a and D_opt = (C/6)^b / G (Hoffmann et al. 2022, eq. 4):
    C/6 = (U G)^(1/b), so N = G (U G)^(a/b) = G (U G)^(beta/alpha), the paper's U_N
    (the authors' code calls it D_to_N). gamma != 1 (Kaplan form) has the same optimum.
    """
    return law.G * (unique * law.G) ** (law.a / law.b)


@formula(CATEGORY, result="tokens", example="=EFFECTIVE_TOKENS(4E12, 1E12)",
         tokens=Arg("tokens", "Training tokens D, repeats included"),
         unique_tokens=UNIQUE, r_star=R_STAR_D)
def effective_tokens(tokens, unique_tokens, r_star=R_STAR_TOKENS):
    """What `tokens` training tokens drawn from `unique_tokens` unique ones are worth in fresh tokens.

    D' = U + U R* (1 - exp(-R/R*)) with R = D/U - 1 repetitions; D' = D when D <= U
    (Muennighoff et al. 2023, section 3). Always D' <= D, and D' never exceeds U (1 + R*):
    four epochs are worth about 3.7 epochs of fresh data, forty about 15.
    """
    d = _args.number(tokens, "tokens")
    u = _args.number(unique_tokens, "unique_tokens")
    r = _args.number(r_star, "r_star")
    _args.broadcast(tokens=d, unique_tokens=u, r_star=r)
    eff = _args.in_range(_decayed(d, u, r), "effective token count", "tokens", d)
    return _args.result(eff, tokens, unique_tokens, r_star)


@formula(CATEGORY, result="parameters", example="=EFFECTIVE_PARAMS(20E9, 10E9)",
         params=PARAMS,
         optimal_params=Arg("parameters", "Data-optimal size U_N: the compute-optimal model "
                                          "for the unique data (see DATA_OPTIMAL_PARAMS)"),
         r_star=R_STAR_N)
def effective_params(params, optimal_params, r_star=R_STAR_PARAMS):
    """What a model of `params` parameters is worth when its data can only feed `optimal_params`.

    N' = U_N + U_N R* (1 - exp(-R_N/R*)) with R_N = N/U_N - 1 excess; N' = N when
    N <= U_N (Muennighoff et al. 2023, section 3). Parameters are active parameters for
    mixture-of-experts models.
    """
    n = _args.number(params, "params")
    un = _args.number(optimal_params, "optimal_params")
    r = _args.number(r_star, "r_star")
    _args.broadcast(params=n, optimal_params=un, r_star=r)
    eff = _args.in_range(_decayed(n, un, r), "effective parameter count", "params", n)
    return _args.result(eff, params, optimal_params, r_star)


@formula(CATEGORY, result="parameters", example="=DATA_OPTIMAL_PARAMS(1E12)",
         unique_tokens=UNIQUE, law=LAW_FOR_LOSS)
def data_optimal_params(unique_tokens, law="epoch"):
    """The model size that is compute-optimal for exactly `unique_tokens` training tokens.

    The size N whose compute-optimal token count is U: N = G (U G)^(beta/alpha) with
    G = (alpha A / (beta B))^(1/(alpha+beta)) (Hoffmann et al. 2022, eq. 4), the U_N of
    Muennighoff et al. 2023 (for mixture-of-experts: active parameters). Parameters beyond
    it would need repeated data, so EFFECTIVE_PARAMS discounts them.
    """
    u = _args.number(unique_tokens, "unique_tokens")
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        n = _data_optimal_n(law, u)
    return _args.result(_args.in_range(n, "model size", "unique_tokens", u), unique_tokens)


@formula(CATEGORY, result="nats/token",
         example='=DATA_CONSTRAINED_LOSS(20E9, 1E12, 250E9, "chinchilla")',
         params=PARAMS,
         tokens=Arg("tokens", "Training tokens D, repeats included"),
         unique_tokens=UNIQUE, law=LAW_FOR_LOSS,
         r_star_tokens=R_STAR_D, r_star_params=R_STAR_N)
def data_constrained_loss(params, tokens, unique_tokens, law="epoch",
                          r_star_tokens=R_STAR_TOKENS, r_star_params=R_STAR_PARAMS):
    """Predicted loss when the training tokens repeat a limited set of unique tokens.

    L = E + A/N'^alpha + B/D'^beta (Muennighoff et al. 2023, section 3): the law with the
    effective tokens D' and the effective parameters N' substituted. The run sees
    U_D = min(U, D) unique tokens; excess parameters are counted against U_N, the
    compute-optimal size for U_D tokens (DATA_OPTIMAL_PARAMS). So with D <= U and a model
    no larger than compute-optimal for D tokens, the result equals SCALING_LOSS; a model
    larger than that is discounted even within one epoch, as in the paper's fit.
    """
    n = _args.number(params, "params")
    d = _args.number(tokens, "tokens")
    u = _args.number(unique_tokens, "unique_tokens")
    rd = _args.number(r_star_tokens, "r_star_tokens")
    rn = _args.number(r_star_params, "r_star_params")
    _args.broadcast(params=n, tokens=d, unique_tokens=u, r_star_tokens=rd, r_star_params=rn)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        seen = np.minimum(u, d)
        d_eff = _decayed(d, seen, rd)
        n_eff = _decayed(n, _data_optimal_n(law, seen), rn)
        loss = law.loss(n_eff, d_eff)
    loss = _args.in_range(loss, "loss", "params", n)
    return _args.result(loss, params, tokens, unique_tokens, r_star_tokens, r_star_params)


_BISECTIONS = 90  # halves a bracket of at most 700 in ln D to below 1e-24


def _log_slopes(law: Law, ln_c6, ln_u, ln_un, x, rd, rn):
    """ln of the two marginal effects of ln D on the loss along C = 6 N D, for D >= U.

    g_N = d(A/N'^alpha)/d ln D > 0, the loss added by shrinking the model, and
    g_D = -d(B/D'^beta)/d ln D > 0, the loss removed by more (repeated) tokens:

        ln g_N = ln(alpha A) - (alpha+1) ln N' + ln N - R_N / R*_N
        ln g_D = ln(beta B)  - (beta+1)  ln D' + ln D - R_D / R*_D

    with N = C/(6D), U_N fixed at the data-optimal size. Everything is in logarithms, and
    the repetition ratios are capped at e^700, far past where the exponentials vanish, so
    no intermediate overflows.
    """
    ln_n = ln_c6 - x
    rep_n = np.expm1(np.clip(ln_n - ln_un, 0.0, 700.0))
    rep_d = np.expm1(np.clip(x - ln_u, 0.0, 700.0))
    ln_n_eff = ln_un + np.log1p(rn * -np.expm1(-rep_n / rn))
    ln_n_eff = np.where(ln_n < ln_un, ln_n, ln_n_eff)  # N below U_N counts in full
    ln_d_eff = ln_u + np.log1p(rd * -np.expm1(-rep_d / rd))
    ln_gn = np.log(law.alpha * law.A) - (law.alpha + 1) * ln_n_eff + ln_n - rep_n / rn
    ln_gd = np.log(law.beta * law.B) - (law.beta + 1) * ln_d_eff + x - rep_d / rd
    return ln_gn, ln_gd


_OPTIMUM_ARGS = dict(unique_tokens=UNIQUE, compute=Arg("FLOPs", "Training compute budget C (C = 6ND)"),
                     law=LAW_FOR_LOSS, r_star_tokens=R_STAR_D, r_star_params=R_STAR_N)


def _optimum(unique_tokens, compute, law, r_star_tokens, r_star_params):
    """(ln D*, ln U, the checked compute) of the data-constrained optimum; see epochs_worth_it."""
    u = _args.number(unique_tokens, "unique_tokens")
    c = _args.number(compute, "compute")
    rd = _args.number(r_star_tokens, "r_star_tokens")
    rn = _args.number(r_star_params, "r_star_params")
    _args.broadcast(unique_tokens=u, compute=c, r_star_tokens=rd, r_star_params=rn)
    law = resolve_law(law)
    u, c, rd, rn = np.broadcast_arrays(u, c, rd, rn)
    with np.errstate(all="ignore"):
        ln_u, ln_c6 = np.log(u), np.log(c / 6.0)
        # ln D_opt(C) = b ln(C/6) - ln G; ln U_N = ln G + (a/b)(ln U + ln G).
        ln_dopt = law.b * ln_c6 - np.log(law.G)
        ln_un = np.log(law.G) + (law.a / law.b) * (ln_u + np.log(law.G))

        def h(x):
            ln_gn, ln_gd = _log_slopes(law, ln_c6, ln_u, ln_un, x, rd, rn)
            return ln_gn - ln_gd

        lo = ln_u.copy()
        # Bracket the root from above: h grows without bound as D does.
        width = np.ones_like(lo)
        for _ in range(12):
            hi = np.minimum(ln_u + width, ln_u + 700.0)
            short = h(hi) <= 0
            if not short.any():
                break
            width = np.where(short, width * 2.0, width)
        else:
            _args.check(~short, "compute", "is too large for the unique_tokens to resolve the "
                        "optimum (beyond e^700 epochs)", c)
        at_one_epoch = h(lo) >= 0  # repeating does not pay even once: D* = U
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            up = h(mid) > 0
            hi = np.where(up, mid, hi)
            lo = np.where(up, lo, mid)
            if np.max(hi - lo) < 1e-13:  # D to 1e-13 relative: past what the loss resolves
                break
        ln_d = np.where(at_one_epoch, ln_u, 0.5 * (lo + hi))
        ln_d = np.where(ln_dopt <= ln_u, ln_dopt, ln_d)
    return ln_d, ln_u, c


@formula(CATEGORY, result="epochs", example='=EPOCHS_WORTH_IT(500E9, 1E24, "chinchilla")',
         **_OPTIMUM_ARGS)
def epochs_worth_it(unique_tokens, compute, law="epoch",
                    r_star_tokens=R_STAR_TOKENS, r_star_params=R_STAR_PARAMS):
    """How many epochs over the unique data a compute budget should train for.

    Definition: the budget C = 6 N D is split between model size N and training tokens D so
    as to minimise DATA_CONSTRAINED_LOSS(N, D, U); the result is D*/U, the number of passes
    over the U unique tokens at that optimum. Equivalently, it is the point along C = 6ND
    where one more repetition lowers the loss by exactly as much as the smaller model it
    forces raises it: before it, repeating pays; past it, the compute buys more as
    parameters. Below 1 the data is not the limit: the compute-optimal run needs only that
    fraction of it (Chinchilla's D_opt / U).

    Derivation: if U >= D_opt(C), the Chinchilla optimum repeats nothing and has no excess
    parameters, and every other split loses at least as much, so D* = D_opt(C). Otherwise
    D* >= U and U_N is fixed at the data-optimal size; writing x = ln D, the optimum is
    the root of h(x) = ln g_N - ln g_D (see `_log_slopes`), which is strictly increasing
    (its slope is at least alpha q_N + beta q_D > 0 with q = (1+R) e^(-R/R*) / (1 + R*(1 -
    e^(-R/R*))), using q >= 1 - (1+R)/R*, which follows from e^-t >= 1 - t), so bisection
    on x finds it.
    With the paper's own C4 fit (law "muennighoff") and its Figure 1 budget (U = 25e9,
    C = 6 * 8.67e9 * 178e9) this gives about 9 epochs, as the authors' search does.
    """
    ln_d, ln_u, c = _optimum(unique_tokens, compute, law, r_star_tokens, r_star_params)
    with np.errstate(all="ignore"):
        epochs = np.exp(ln_d - ln_u)
    epochs = _args.in_range(epochs, "number of epochs", "compute", c)
    return _args.result(epochs, unique_tokens, compute, r_star_tokens, r_star_params)



@formula(CATEGORY, result="tokens", example='=DATA_CONSTRAINED_D(500E9, 1E24)', **_OPTIMUM_ARGS)
def data_constrained_d(unique_tokens, compute, law="epoch",
                       r_star_tokens=R_STAR_TOKENS, r_star_params=R_STAR_PARAMS):
    """Training tokens (repeats included) that minimise the loss for a budget when only
    `unique_tokens` are available (Muennighoff et al. 2023's allocation, solved).

    EPOCHS_WORTH_IT x unique_tokens: the Chinchilla optimum when the data suffices, else the
    number of passes that minimises DATA_CONSTRAINED_LOSS along C = 6ND.
    """
    ln_d, _, c = _optimum(unique_tokens, compute, law, r_star_tokens, r_star_params)
    with np.errstate(all="ignore"):
        d = _args.in_range(np.exp(ln_d), "number of tokens", "compute", c)
    return _args.result(d, unique_tokens, compute, r_star_tokens, r_star_params)


@formula(CATEGORY, result="parameters", example='=DATA_CONSTRAINED_N(500E9, 1E24)', **_OPTIMUM_ARGS)
def data_constrained_n(unique_tokens, compute, law="epoch",
                       r_star_tokens=R_STAR_TOKENS, r_star_params=R_STAR_PARAMS):
    """Model size that minimises the loss for a budget when only `unique_tokens` are
    available: compute / (6 x DATA_CONSTRAINED_D), Muennighoff et al. 2023's allocation."""
    ln_d, _, c = _optimum(unique_tokens, compute, law, r_star_tokens, r_star_params)
    with np.errstate(all="ignore"):
        n = _args.in_range(c / 6.0 / np.exp(ln_d), "model size", "compute", c)
    return _args.result(n, unique_tokens, compute, r_star_tokens, r_star_params)
