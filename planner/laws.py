"""Scaling laws: the parametric loss L(N, D) and its presets.

Every law here has the form

    L(N, D) = E + (A / N**alpha + B / D**beta) ** gamma

with N parameters, D training tokens and L the loss in nats per token. gamma = 1 is the
Chinchilla form (Hoffmann et al. 2022); Kaplan et al. 2020's L = [(Nc/N)^(aN/aD) + Dc/D]^aD
is the same form with E = 0, A = Nc^(aN/aD), alpha = aN/aD, B = Dc, beta = 1, gamma = aD.
Since L is a monotone function of the sum inside the brackets, every allocation question
has a closed form for both, and the functions below use them.

Presets (`PRESETS`; each Law's `source` says the same):
- "epoch" (the default, DEFAULT_LAW): Besiroglu et al. 2024, "Chinchilla Scaling: A
  replication attempt", Table 1: E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658.
  Their refit of Approach 3 to Hoffmann et al.'s own runs agrees with all three of Hoffmann
  et al.'s approaches (about 20 tokens per parameter), which the published fit does not.
- "chinchilla": Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models",
  Approach 3 with its estimates unrounded, as Besiroglu et al. 2024 recovered them from the
  paper's source: E=exp(0.5267228), A=exp(6.0073404), B=exp(6.0179186), alpha=0.33917084,
  beta=0.2849083. These reproduce the paper's Approach 3 results (Table 2: a=0.46, b=0.54;
  Figure 4: about 40 B parameters for the Gopher budget of 5.76e23 FLOPs).
- "chinchilla-printed": the same fit as eq. 10 prints it, rounded: E=1.69, A=406.4,
  B=410.7, alpha=0.34, beta=0.28. The rounding moves the optimum: 32 B at the Gopher budget
  and a = 0.45.
- "kaplan": Kaplan et al. 2020, "Scaling Laws for Neural Language Models", eq. 1.5 with the
  constants they fitted to it (Table 2): aN=0.076, aD=0.103, Nc=6.4e13, Dc=1.8e13, N
  counting non-embedding parameters. Its losses come from that L(N, D). Its allocation
  (CHINCHILLA_N, CHINCHILLA_D, CHINCHILLA_COMPUTE) is the paper's own compute-efficient
  frontier, Table 6: N_opt = 1.3e9 Cmin^0.73 with Cmin in PF-days (8.64e19 FLOPs), where
  training at the critical batch size spends C = 2 Cmin (eq. 5.5), and D = C / (6 N). That
  frontier comes from a different analysis (early-stopped training at the critical batch,
  section 6), not from minimising eq. 1.5 at C = 6ND, so the functions that optimise over
  the loss itself (CHINCHILLA_LOSS, COMPUTE_FOR_LOSS, the over-training and inference
  functions) use the law's own optimum, and SCALING_LOSS at the frontier is above it.
- "muennighoff": Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
  their C4 fit (Appendix A, eq. 17; unrounded in the authors' repository,
  github.com/huggingface/datablations): E=exp(0.6254804), A=exp(6.255414),
  B=exp(7.3049974), alpha=beta=0.3526596, loss in nats on GPT-2 tokens of C4. It is the law
  their repetition constants R*_D and R*_N (the defaults of the data-constrained functions)
  were fitted with, so DATA_CONSTRAINED_LOSS under it is their eq. 17 exactly.

Losses of different presets are on different data and tokenisers (MassiveText, WebText2,
C4), so compare their allocations, not their loss values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _args
from .catalog import ACTIVE_PARAMS, LAW_FOR_LOSS, MODEL_SIZE, Arg, formula
from .errors import DOMAIN, TYPE, PlannerError

__all__ = ["Law", "Frontier", "PRESETS", "DEFAULT_LAW", "WHY_PRESETS_DIFFER", "resolve_law", "allocation_rule", "scaling_loss", "law_params", "train_flops"]


@dataclass(frozen=True)
class Law:
    """A scaling law L = E + (A/N^alpha + B/D^beta)^gamma, in nats per token."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    gamma: float = 1.0
    name: str = "custom"
    source: str = field(default="", compare=False)  # the publication a preset comes from
    # The paper's own allocation rule where it is not the law's optimum at C = 6ND (kaplan).
    frontier: "Frontier | None" = None

    def __post_init__(self):
        # Plain floats for whoever reads a law; the math below raises any power of them in
        # numpy (np.float64 or arrays), where an extreme law overflows to inf, caught by every
        # function's range checks, instead of raising Python's OverflowError.
        for name in ("E", "A", "B", "alpha", "beta", "gamma"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def label(self) -> str:
        return f"law '{self.name}'"

    def params(self) -> np.ndarray:
        """The five numbers {E, A, B, alpha, beta}, or six with gamma when gamma != 1."""
        base = [self.E, self.A, self.B, self.alpha, self.beta]
        return np.array(base if self.gamma == 1.0 else base + [self.gamma])

    # --- the law itself -------------------------------------------------------------
    def inner(self, n, d):
        return self.A * n ** -self.alpha + self.B * d ** -self.beta

    def loss(self, n, d):
        return self.E + self.inner(n, d) ** self.gamma

    def check_reachable(self, loss, name: str = "target_loss") -> None:
        """Raise a PlannerError unless every `loss` is above the irreducible loss E."""
        loss = np.asarray(loss, dtype=float)
        if loss.min() > self.E:
            return
        flat = loss.reshape(-1)

        def reason(i):
            verb = "is below" if flat[i] < self.E else "equals"
            return (f"{name} {flat[i]:g} {verb} the irreducible loss E={self.E:g} of {self.label}; "
                    f"no finite model reaches it")

        raise _args.failure(~(flat > self.E), loss.shape, name, reason)

    def inner_for_loss(self, loss, name: str = "target_loss"):
        """The bracketed sum that gives `loss`; the loss must exceed E."""
        self.check_reachable(loss, name)
        return (loss - self.E) ** (1.0 / self.gamma)

    def log_inner_for_loss(self, loss, name: str = "target_loss"):
        """log of `inner_for_loss`, which stays finite where the sum itself would overflow."""
        self.check_reachable(loss, name)
        return np.log(loss - self.E) / self.gamma

    def smallest_n(self, inner):
        """The size whose N term alone equals `inner`: only larger models can reach it."""
        return (self.A / inner) ** (1.0 / self.alpha)

    def smallest_d(self, inner):
        """The token count whose D term alone equals `inner`: only more tokens can reach it."""
        return (self.B / inner) ** (1.0 / self.beta)

    # --- compute-optimal allocation at C = k N D ------------------------------------
    # The derived constants are numpy scalars: for an extreme law they overflow or underflow
    # to inf or 0 (caught by the range checks) where Python floats would raise.
    @property
    def a(self) -> np.float64:
        """Exponent of N_opt in compute: beta / (alpha + beta)."""
        return np.float64(self.beta) / (np.float64(self.alpha) + self.beta)

    @property
    def b(self) -> np.float64:
        """Exponent of D_opt in compute: alpha / (alpha + beta)."""
        return np.float64(self.alpha) / (np.float64(self.alpha) + self.beta)

    @property
    def G(self) -> np.float64:
        """N_opt = G (C/k)^a, D_opt = (C/k)^b / G (Hoffmann et al. 2022, eq. 4)."""
        alpha, A, beta, B = map(np.float64, (self.alpha, self.A, self.beta, self.B))
        with np.errstate(all="ignore"):
            return (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))

    def optimal_n(self, compute, k=6.0):
        return self.G * (compute / k) ** self.a

    def optimal_d(self, compute, k=6.0):
        return (compute / k) ** self.b / self.G

    def compute_for_optimal_n(self, n, k=6.0):
        return k * (n / self.G) ** (1.0 / self.a)

    def optimal_inner(self, compute, k=6.0):
        # At the optimum alpha*A/N^alpha = beta*B/D^beta, so the sum is (1 + alpha/beta) A/N^alpha.
        return (1.0 + self.alpha / self.beta) * self.A * self.optimal_n(compute, k) ** -self.alpha

    def optimal_loss(self, compute, k=6.0):
        return self.E + self.optimal_inner(compute, k) ** self.gamma

    def compute_for_inner(self, inner, k=6.0):
        """Inverse of optimal_inner: the least compute whose optimal model reaches `inner`."""
        # optimal_inner = K * (C/k)^(-alpha*a) with K = (1 + alpha/beta) A G^-alpha.
        K = (1.0 + self.alpha / self.beta) * self.A * self.G ** -self.alpha
        return k * (inner / K) ** (-1.0 / (self.alpha * self.a))


@dataclass(frozen=True)
class RatioRule:
    """The fixed allocation rule "r training tokens per parameter" (C = k N D, D = r N)."""

    r: float

    def optimal_n(self, compute, k=6.0):
        return np.sqrt(compute / (k * self.r))

    def optimal_d(self, compute, k=6.0):
        return self.r * self.optimal_n(compute, k)

    def compute_for_optimal_n(self, n, k=6.0):
        return k * self.r * n * n


PF_DAY = 1e15 * 86400  # FLOPs in a petaflop/s-day, Kaplan et al. 2020's compute unit


@dataclass(frozen=True)
class Frontier:
    """An allocation rule N_opt = coefficient (C / (per_cmin PF_DAY))^exponent, D = C / (k N).

    Kaplan et al. 2020's compute-efficient frontier (Table 6) is stated in Cmin, the compute
    at very small batches; training at the critical batch spends C = 2 Cmin (eq. 5.5).
    """

    coefficient: float
    exponent: float
    per_cmin: float  # FLOPs of the planned run per FLOP of Cmin

    def optimal_n(self, compute, k=6.0):
        return self.coefficient * (compute / (self.per_cmin * PF_DAY)) ** self.exponent

    def optimal_d(self, compute, k=6.0):
        return compute / (k * self.optimal_n(compute, k))

    def compute_for_optimal_n(self, n, k=6.0):
        return self.per_cmin * PF_DAY * (n / self.coefficient) ** (1.0 / self.exponent)


def _kaplan() -> Law:
    # Kaplan et al. 2020 fitted eq. 1.5 itself (their Table 2); the exponents and scales of
    # their single-variable laws (eqs. 1.1 and 1.2: 0.076, 0.095, 8.8e13, 5.4e13) are other fits.
    aN, aD, Nc, Dc = 0.076, 0.103, 6.4e13, 1.8e13
    # Their allocation is the frontier of Table 6, N_opt = 1.3e9 Cmin^0.73 (Cmin in PF-days),
    # at the critical batch size, where C = 2 Cmin (eq. 5.5).
    return Law(E=0.0, A=Nc ** (aN / aD), B=Dc, alpha=aN / aD, beta=1.0, gamma=aD, name="kaplan",
               source="Kaplan et al. 2020, Scaling Laws for Neural Language Models, eq. 1.5 with "
                      "its fitted constants (Table 2); allocation from the compute-efficient "
                      "frontier (Table 6), N counting non-embedding parameters",
               frontier=Frontier(1.3e9, 0.73, 2.0))


DEFAULT_LAW = "epoch"

# Why the presets give different answers, in plain words (the reference and the templates'
# About sheets show it; the figures are the presets' own, tested in tests/test_laws.py).
WHY_PRESETS_DIFFER = (
    "epoch, chinchilla and chinchilla-printed fit the same form to the same Chinchilla runs, "
    "but the default 'epoch' (Besiroglu et al.'s replication) agrees with all three of Hoffmann "
    "et al.'s own methods, about 20 training tokens per parameter; Hoffmann et al.'s parametric "
    "fit ('chinchilla') favours smaller models trained longer (59 tokens per parameter at the "
    "Gopher budget), and its rounded printing ('chinchilla-printed', 93) more so. At the Gopher "
    "budget of 5.76e23 FLOPs the compute-optimal model is 72 B parameters under epoch, 40 B "
    "under chinchilla and 32 B under chinchilla-printed. 'muennighoff', fitted on other data "
    "(C4) for data-limited planning, lands near epoch (70 B); 'kaplan' follows Kaplan et al.'s "
    "recommendation from before the data-scaling result, 485 B parameters on under one token "
    "each. Losses from laws fitted on different data are not comparable, only their "
    "allocations. Compare them before committing a budget.")

PRESETS: dict[str, Law] = {
    # Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt", Table 1 (their refit
    # of Approach 3 on the Figure 4 data): E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658.
    "epoch": Law(1.8172, 482.01, 2085.43, 0.3478, 0.3658, name="epoch",
                 source="Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt, Table 1"),
    # Hoffmann et al. 2022, Approach 3, unrounded: the estimates behind eq. 10 as Besiroglu et
    # al. 2024 recovered them from the paper's LaTeX source (log E, log A, log B, alpha, beta).
    "chinchilla": Law(float(np.exp(0.5267228)), float(np.exp(6.0073404)), float(np.exp(6.0179186)),
                      0.33917084, 0.2849083, name="chinchilla",
                      source="Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, "
                             "Approach 3 unrounded (as recovered by Besiroglu et al. 2024)"),
    # Hoffmann et al. 2022, eq. 10 as printed (section 3.3 and D.2): E=1.69, A=406.4, B=410.7,
    # alpha=0.34, beta=0.28.
    "chinchilla-printed": Law(1.69, 406.4, 410.7, 0.34, 0.28, name="chinchilla-printed",
                              source="Hoffmann et al. 2022, Training Compute-Optimal Large Language "
                                     "Models, Approach 3 as printed (eq. 10, rounded)"),
    # Kaplan et al. 2020, "Scaling Laws for Neural Language Models", eq. 1.5 and Table 2:
    # L(N, D) = [(Nc/N)^(aN/aD) + Dc/D]^aD with aN=0.076, aD=0.103, Nc=6.4e13, Dc=1.8e13
    # (N excludes embeddings; loss in nats on their WebText2 tokenisation).
    "kaplan": _kaplan(),
    # Muennighoff et al. 2023, Appendix A, eq. 17: the C4 fit, unrounded as in the authors'
    # repository (github.com/huggingface/datablations, "Parametric Fit": a, b, e = log A,
    # log B, log E = 6.255414, 7.3049974, 0.6254804; alpha = beta = 0.3526596).
    "muennighoff": Law(float(np.exp(0.6254804)), float(np.exp(6.255414)), float(np.exp(7.3049974)),
                       0.3526596, 0.3526596, name="muennighoff",
                       source="Muennighoff et al. 2023, Scaling Data-Constrained Language Models, "
                              "Appendix A, eq. 17 (C4; unrounded from the authors' repository)"),
}


def _law_from_numbers(values, name: str) -> Law:
    cells = np.asarray(values, dtype=object).ravel()
    if cells.size not in (5, 6):
        raise PlannerError(f"{name} as numbers must be 5 values {{E, A, B, alpha, beta}} "
                           f"(or 6 with gamma); got {cells.size}", argument=name, kind=TYPE)
    labels = ("E", "A", "B", "alpha", "beta", "gamma")
    for label, v in zip(labels, cells):
        # An empty cell or text inside a law row: say which of the numbers it is.
        if v is None or isinstance(v, (str, bytes, bool, np.bool_)):
            raise PlannerError(f"{name} {label} must be a number; got {_args.show(v)}", argument=name, kind=TYPE)
    try:
        arr = cells.astype(float)
    except OverflowError:
        raise PlannerError(f"{name} numbers must be finite; one is an integer beyond the "
                           f"floating-point range", argument=name, kind=DOMAIN) from None
    for label, v in zip(labels, arr):
        rule_ok = v >= 0 if label == "E" else v > 0
        if not np.isfinite(v) or not rule_ok:
            rule = "zero or positive" if label == "E" else "positive"
            raise PlannerError(f"{name} {label} must be a finite {rule} number; got {v:g}", argument=name, kind=DOMAIN)
    return Law(*arr.tolist())


def resolve_law(law="epoch", *, allow_ratio: bool = False, name: str = "law"):
    """A Law (or, with allow_ratio, a RatioRule) from any accepted form of `law`.

    Accepted: a preset name (any case), a Law, a sequence of five numbers
    {E, A, B, alpha, beta} (six with gamma), and, where allow_ratio, a positive number of
    training tokens per parameter.
    """
    if isinstance(law, (Law, RatioRule)):
        if isinstance(law, RatioRule) and not allow_ratio:
            raise PlannerError(f"{name} must be a scaling law here, not a tokens-per-parameter rule", argument=name, kind=TYPE)
        return law
    if law is None:
        return PRESETS[DEFAULT_LAW]
    if isinstance(law, str):
        key = law.strip().lower()
        if key in PRESETS:
            return PRESETS[key]
        raise PlannerError(f"{name} {_args.show(law)} is not a known preset; known: {', '.join(PRESETS)}", argument=name, kind=TYPE)
    if isinstance(law, (bool, np.bool_)):
        raise PlannerError(f"{name} must be a preset name or numbers; got {law}", argument=name, kind=TYPE)
    try:
        scalar = np.ndim(law) == 0
    except ValueError:  # a ragged nesting of lists
        raise PlannerError(f"{name} must be a preset name or 5 numbers; got {_args.show(law)}", argument=name, kind=TYPE) from None
    if scalar:
        try:
            r = float(law)
        except OverflowError:
            r = np.inf  # an integer beyond the float range: rejected as not finite below
        except (TypeError, ValueError):
            raise PlannerError(f"{name} must be a preset name or numbers; got {_args.show(law)}", argument=name, kind=TYPE) from None
        if not allow_ratio:
            raise PlannerError(f"{name} must be a preset name or 5 numbers here; a single number "
                               f"({r:g} tokens per parameter) only sets an allocation, not a loss", argument=name, kind=TYPE)
        if not np.isfinite(r) or r <= 0:
            raise PlannerError(f"{name} as tokens per parameter must be a positive number; got {r:g}", argument=name, kind=DOMAIN)
        return RatioRule(r)
    try:
        return _law_from_numbers(law, name)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PlannerError):
            raise
        raise PlannerError(f"{name} must be a preset name or 5 numbers; got {_args.show(law)}", argument=name, kind=TYPE) from None


def allocation_rule(law="epoch", *, name: str = "law"):
    """What splits a budget into N and D for `law`: the paper's own frontier where it has one
    (kaplan), else the law (its optimum at C = 6ND) or a tokens-per-parameter rule."""
    rule = resolve_law(law, allow_ratio=True, name=name)
    return rule.frontier if isinstance(rule, Law) and rule.frontier is not None else rule


@formula("Scaling Laws", result="nats/token", example='=SCALING_LOSS(70E9, 1.4E12, "chinchilla")',
         params=MODEL_SIZE,
         tokens=Arg("tokens", "Training tokens D"),
         law=LAW_FOR_LOSS)
def scaling_loss(params, tokens, law="epoch"):
    """Predicted loss of a model with `params` parameters trained on `tokens` tokens.

    L = E + A/N^alpha + B/D^beta for the Chinchilla form (see `Law` for the general form).
    """
    n = _args.number(params, "params")
    d = _args.number(tokens, "tokens")
    _args.broadcast(params=n, tokens=d)
    law = resolve_law(law)
    with np.errstate(all="ignore"):
        term_n = law.A * n ** -law.alpha
        term_d = law.B * d ** -law.beta
        # Only an absurdly small model or token count overflows a term.
        _args.in_range(term_n, "term A/N^alpha", "params", n, positive=False)
        _args.in_range(term_d, "term B/D^beta", "tokens", d, positive=False)
        loss = law.E + (term_n + term_d) ** law.gamma
    loss = _args.in_range(loss, "loss", "params", n, positive=False)
    return _args.result(loss, params, tokens)


@formula("Scaling Laws", result="FLOPs", example="=TRAIN_FLOPS(70E9, 1.4E12)",
         params=ACTIVE_PARAMS,
         tokens=Arg("tokens", "Training tokens D"),
         flops_per_param_token=Arg("FLOPs", "Training FLOPs per parameter per token (6: forward 2 + backward 4, Kaplan et al. 2020)"))
def train_flops(params, tokens, flops_per_param_token=6):
    """Training compute in FLOPs: flops_per_param_token * N * D (6ND by default)."""
    n = _args.number(params, "params")
    d = _args.number(tokens, "tokens")
    k = _args.number(flops_per_param_token, "flops_per_param_token")
    _args.broadcast(params=n, tokens=d, flops_per_param_token=k)
    with np.errstate(all="ignore"):
        flops = k * n * d
    flops = _args.in_range(flops, "training compute", "params", n)
    return _args.result(flops, params, tokens, flops_per_param_token)


@formula("Scaling Laws", result="numbers", example='=LAW_PARAMS("epoch")', returns="row",
         fields=("E", "A", "B", "alpha", "beta"),
         law=LAW_FOR_LOSS)
def law_params(law="epoch"):
    """The numbers {E, A, B, alpha, beta} of a law, as a row every law argument accepts;
    'kaplan' adds a sixth, gamma.

    A law of the Chinchilla form (gamma = 1: 'chinchilla', 'epoch', a fitted law) always
    gives exactly these five. Kaplan et al. 2020's law is L = E + (A/N^alpha + B/D^beta)^gamma
    with gamma = aD = 0.103, so its row has gamma as a sixth number after beta; every law
    argument accepts the six as it accepts five. The numbers carry the loss surface only:
    kaplan's own allocation frontier (CHINCHILLA_N under "kaplan") is not among them, so
    allocating from its six numbers gives that surface's optimum instead.
    """
    return resolve_law(law).params()
