"""From FLOPs to GPU-hours, days, money and energy.

Everything here rests on one relation: an accelerator delivers `peak * mfu` useful FLOP/s,
where `peak` is its dense peak (see `planner.hardware`) and `mfu` the model FLOPs
utilisation, the fraction of that peak a real job achieves. So

    GPU-hours = FLOPs / (peak * mfu) / 3600.

Defaults, and why:
- gpu = "H100" (the SXM part, 989.4 TFLOP/s dense bf16): the workhorse of current training.
- mfu = 0.4: large dense training runs report 38-46%: PaLM 540B 46.2% (Chowdhery et al.
  2022, Table 3), Llama 3 405B 38-43% in bf16 (Dubey et al. 2024, "The Llama 3 Herd of
  Models", Table 4). Smaller or less tuned jobs often get 20-35%.
- price_per_gpu_hour = 2.0 (US dollars): a round H100 rental price in 2024-25; on-demand
  prices from specialised GPU clouds ran at roughly $2-3 per H100-hour, hyperscalers and
  reserved capacity differ. Set your own.
- pue = 1.2: power usage effectiveness (facility power / IT power). Hyperscalers report
  about 1.1 (Google's fleet-wide trailing-twelve-month PUE, 2023 Environmental Report),
  while the industry average is about 1.58 (Uptime Institute Global Data Center Survey
  2023); 1.2 is a modern large facility.
MFU is a fraction in (0, 1]: 40% is 0.4 (a value over 1 is an error, never silently /100).

Argument order: the work first (FLOPs), then what the user decides (GPUs, days, price), then
the accelerator and its utilisation, which have defaults and so trail: `=GPU_HOURS(1E24)`
works, and `=TRAIN_DAYS(1E24, 4096, "B200")` reads left to right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _args
from .catalog import LAW_FOR_LOSS, TARGET_LOSS, Arg, field_choice, formula
from .errors import DOMAIN, TYPE, PlannerError
from .hardware import GPU, Accelerator, peak, resolve_gpu
from .inference import lifetime_optimum, log_model, log_shares, solve_split
from .laws import resolve_law

__all__ = ["gpu_hours", "train_days", "gpus_for_deadline", "compute_from_gpus", "compute_cost",
           "energy_kwh", "inference_tradeoff_cost", "inference_tradeoff_budget"]

HOUR = 3600.0
DAY = 86400.0
CATEGORY = "Compute & Cost"

FLOPS = Arg("FLOPs", "Total compute of the job (training: 6 x params x tokens)", rule="nonnegative")
MFU = Arg("fraction", "Model FLOPs utilisation: the fraction of peak the job achieves, in (0, 1] "
                      "(0.4 = 40%, typical of large training runs)", rule="fraction")
GPUS = Arg("GPUs", "Number of accelerators working in parallel")
DAYS = Arg("days", "Wall-clock time")
PRICE = Arg("$/GPU-hour", "Price of one accelerator for one hour")


def _finite(compute, what: str, name: str, arg) -> np.ndarray:
    """compute() with float warnings off, or a PlannerError naming `name` if it overflowed."""
    with np.errstate(all="ignore"):
        value = compute()
    return _args.in_range(value, what, name, arg, positive=False)


def _rate(gpu, mfu, **others):
    """Useful FLOP/s of one accelerator: peak * mfu (and the peak, for broadcasting).

    `others` are the function's other number arguments, checked to broadcast with these.
    """
    p = peak(gpu)
    u = _args.number(mfu, "mfu")
    _args.broadcast(**others, gpu=p, mfu=u)
    return p * u, p


@formula(CATEGORY, result="GPU-hours", example="=GPU_HOURS(1E24)",
         flops=FLOPS, gpu=GPU, mfu=MFU)
def gpu_hours(flops, gpu="H100", mfu=0.4):
    """Accelerator-hours a job of `flops` FLOPs takes: flops / (peak FLOP/s x mfu) / 3600.

    1e24 FLOPs on H100s (989.4 TFLOP/s dense bf16) at 40% MFU is about 701,900 GPU-hours.
    """
    c = _args.number(flops, "flops")
    rate, p = _rate(gpu, mfu, flops=c)
    return _args.result(_finite(lambda: c / rate / HOUR, "GPU-hours", "flops", c), flops, p, mfu)


@formula(CATEGORY, result="days", example="=TRAIN_DAYS(1E24, 4096)",
         flops=FLOPS, gpus=GPUS, gpu=GPU, mfu=MFU)
def train_days(flops, gpus, gpu="H100", mfu=0.4):
    """Wall-clock days a job of `flops` FLOPs takes on `gpus` accelerators (perfect scaling)."""
    c = _args.number(flops, "flops")
    g = _args.number(gpus, "gpus")
    rate, p = _rate(gpu, mfu, flops=c, gpus=g)
    return _args.result(_finite(lambda: c / (g * rate) / DAY, "training time", "flops", c),
                        flops, gpus, p, mfu)


@formula(CATEGORY, result="GPUs", example="=GPUS_FOR_DEADLINE(1E24, 30)",
         flops=FLOPS, days=Arg("days", "Deadline: wall-clock days the job may take"),
         gpu=GPU, mfu=MFU)
def gpus_for_deadline(flops, days, gpu="H100", mfu=0.4):
    """Accelerators needed to finish `flops` FLOPs within `days` days, rounded up to whole GPUs.

    An exact fit is not rounded up: ratios within one part in 1e9 of a whole number (float
    rounding) count as that number. Positive work needs at least one accelerator, however
    small it is or however long the deadline; no work needs none. The count is a whole
    number (an int for scalar inputs).
    """
    c = _args.number(flops, "flops")
    t = _args.number(days, "days")
    rate, p = _rate(gpu, mfu, flops=c, days=t)
    exact = _finite(lambda: c / (rate * t * DAY), "number of GPUs", "flops", c)
    gpus = np.where(c > 0, np.maximum(np.ceil(exact * (1 - _args.WHOLE_TOLERANCE)), 1.0), 0.0)
    return _args.count(gpus, flops, days, p, mfu)


@formula(CATEGORY, result="FLOPs", example="=COMPUTE_FROM_GPUS(4096, 30)",
         gpus=GPUS, days=DAYS, gpu=GPU, mfu=MFU)
def compute_from_gpus(gpus, days, gpu="H100", mfu=0.4):
    """The FLOPs budget a cluster of `gpus` accelerators delivers in `days` days at `mfu`."""
    g = _args.number(gpus, "gpus")
    t = _args.number(days, "days")
    rate, p = _rate(gpu, mfu, gpus=g, days=t)
    flops = _finite(lambda: g * t * DAY * rate, "compute", "gpus", g)
    return _args.result(flops, gpus, days, p, mfu)


@formula(CATEGORY, result="$", example="=COMPUTE_COST(1E24, 2)",
         flops=FLOPS, price_per_gpu_hour=PRICE, gpu=GPU, mfu=MFU)
def compute_cost(flops, price_per_gpu_hour=2.0, gpu="H100", mfu=0.4):
    """Dollar cost of a job of `flops` FLOPs: GPU-hours x price per GPU-hour.

    The default $2 per GPU-hour is a round 2024-25 H100 rental price; use your own quote.
    """
    c = _args.number(flops, "flops")
    price = _args.number(price_per_gpu_hour, "price_per_gpu_hour")
    rate, p = _rate(gpu, mfu, flops=c, price_per_gpu_hour=price)
    cost = _finite(lambda: c / rate / HOUR * price, "cost", "flops", c)
    return _args.result(cost, flops, price_per_gpu_hour, p, mfu)


@formula(CATEGORY, result="kWh", example="=ENERGY_KWH(1E24)",
         flops=FLOPS, gpu=GPU, mfu=MFU,
         pue=Arg("ratio", "Power usage effectiveness of the data centre (facility / IT power), "
                          "at least 1; 1.2 is a modern large facility, 1.1 a hyperscaler, "
                          "about 1.58 the industry average", rule="at_least_one"),
         power_w=Arg("W", "Board power of one accelerator; empty: the preset's figure (needed "
                          "when gpu is a number, or for TPU v5e/v5p whose power is unpublished)"))
def energy_kwh(flops, gpu="H100", mfu=0.4, pue=1.2, power_w=None):
    """Facility energy in kWh for a job: board power x GPU-hours x PUE / 1000.

    Board power (TDP) is the accelerator's full draw, which large training runs come close
    to; host CPUs, networking and storage are not counted, cooling and power delivery are
    (through PUE).
    """
    c = _args.number(flops, "flops")
    ratio = _args.number(pue, "pue")
    watts = board_power(gpu, power_w)
    rate, p = _rate(gpu, mfu, flops=c, pue=ratio, power_w=watts)
    kwh = _finite(lambda: c / rate / HOUR * watts * ratio / 1000.0, "energy", "flops", c)
    return _args.result(kwh, flops, p, mfu, pue, watts if power_w is not None else 0.0)


def board_power(gpu, power_w):
    """Board power in W: `power_w` when given, else the preset's, or a PlannerError when the
    accelerator is a number (a peak FLOP/s says nothing of power) or publishes none."""
    if power_w is not None:
        return _args.number(power_w, "power_w")
    acc = resolve_gpu(gpu)
    if not isinstance(acc, Accelerator):
        raise PlannerError("power_w is needed when gpu is given as a number (FLOP/s only)", argument="power_w",
                           kind=TYPE)
    if acc.power_w is None:
        raise PlannerError(f"gpu {acc.name!r} has no published board power ({acc.note}); "
                           f"give power_w in W", argument="power_w", kind=TYPE)
    return _args.number(acc.power_w, "power_w", unit="W")


# --- the cost-optimal deployment ------------------------------------------------------------

COST_FIELDS = ("params", "tokens", "train_cost", "inference_cost", "total_cost",
               "chinchilla_total_cost", "savings")
COST_UNITS = ("parameters", "tokens", "$", "$", "$", "$", "fraction")
TRAIN_FLOPS_PER_PARAM_TOKEN = 6.0  # forward 2 + backward 4 (Kaplan et al. 2020)
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0  # forward pass only, prompt and generated tokens alike


# The arguments the two deployment functions share (after their first, law and field).
_DEPLOYMENT_ARGS = dict(
    input_tokens=Arg("tokens", "Prompt (input) tokens processed over the model's lifetime", rule="nonnegative"),
    output_tokens=Arg("tokens", "Generated (output) tokens over the model's lifetime", rule="nonnegative"),
    gpu=Arg(GPU.unit, GPU.doc + "; training and serving both run on it unless train_gpu or serve_gpu says "
                                "otherwise", kind="gpu"),
    price_per_gpu_hour=Arg(PRICE.unit, PRICE.doc + ", for training and serving alike unless train_price or "
                                                   "serve_price is given"),
    train_mfu=Arg("fraction", "Utilisation in training, in (0, 1] (0.4: large runs report 38-46%)", rule="fraction"),
    prefill_mfu=Arg("fraction", "Utilisation while reading prompts (prefill), in (0, 1]; compute-bound like "
                                "training, 0.4", rule="fraction"),
    decode_mfu=Arg("fraction", "Utilisation while generating tokens (decode), in (0, 1]; memory-bound, so "
                               "low: 0.1", rule="fraction"),
    train_gpu=Arg(GPU.unit, "The accelerator training runs on, if not gpu (a preset name or its peak FLOP/s)",
                  kind="gpu"),
    train_price=Arg(PRICE.unit, "Price of a training accelerator-hour, if not price_per_gpu_hour"),
    serve_gpu=Arg(GPU.unit, "The accelerator serving runs on, if not gpu (a preset name, or the peak FLOP/s of "
                            "the number format served in, e.g. 624E12 for an A100 in int8)", kind="gpu"),
    serve_price=Arg(PRICE.unit, "Price of a serving accelerator-hour, if not price_per_gpu_hour"),
)


@formula(CATEGORY, result="$ (params, tokens: counts; savings: fraction)", returns="record",
         fields=COST_FIELDS, field_units=COST_UNITS,
         example='=INFERENCE_TRADEOFF_COST(2.0, 1E13, 2E12, "chinchilla", "params")',
         target_loss=TARGET_LOSS,
         law=LAW_FOR_LOSS, field=field_choice(COST_FIELDS), **_DEPLOYMENT_ARGS)
def inference_tradeoff_cost(target_loss, input_tokens, output_tokens, law="epoch", field=None,
                            gpu="H100", price_per_gpu_hour=2.0, train_mfu=0.4, prefill_mfu=0.4,
                            decode_mfu=0.1, train_gpu=None, train_price=None, serve_gpu=None,
                            serve_price=None):
    """The model that reaches `target_loss` at the least dollar cost of training plus serving.

    Like INFERENCE_TRADEOFF, but in dollars, with training, prompt (input) tokens and
    generated (output) tokens each run at its own utilisation, and training and serving each
    on its own accelerator at its own price, as in the cost analysis of Sardana et al. 2024.
    Returns a dict of params, tokens (training tokens), train_cost, inference_cost,
    total_cost (dollars), chinchilla_total_cost (the compute-optimal model of the same loss
    serving the same tokens) and savings (fraction of chinchilla_total_cost saved); with
    `field`, just that value.

    Costs: training 6 N D FLOPs at train_mfu, each prompt token 2 N FLOPs at prefill_mfu,
    each generated token 2 N FLOPs at decode_mfu; training FLOPs at train_price per hour of
    train_gpu's peak, serving FLOPs at serve_price per hour of serve_gpu's (each defaulting to
    gpu and price_per_gpu_hour). Decode defaults to 0.1 because each decoding step reads every
    weight (and the KV cache) from memory to do 2 FLOPs per parameter per sequence in the
    batch: it is bound by memory bandwidth (Pope et al. 2022, "Efficiently Scaling
    Transformer Inference"). An H100 does about 295 FLOPs per byte it reads (989.4 TFLOP/s
    over 3.35 TB/s), so with bf16 weights a decode batch needs ~300 sequences to be
    compute-bound; 0.1 is a batch of ~30. Prefill processes whole prompts at once and runs
    near training efficiency, hence 0.4. Cheap-to-serve tokens favour bigger models;
    expensive decoding (low decode_mfu, many output tokens, dear serving hardware) moves the
    optimum to a smaller model trained on more tokens. The model depends on the prices and
    accelerators only through the ratio of a serving FLOP's price to a training FLOP's.
    """
    key = _args.choice(field, "field", COST_FIELDS, optional=True)
    loss = _args.number(target_loss, "target_loss")
    law = resolve_law(law)
    dep = _deployment(dict(target_loss=loss), input_tokens, output_tokens, gpu, price_per_gpu_hour, train_mfu,
                      prefill_mfu, decode_mfu, train_gpu, train_price, serve_gpu, serve_price)
    n, d = lifetime_optimum(loss, law, dep.extra)
    n0, d0 = lifetime_optimum(loss, law, 0.0)
    with np.errstate(all="ignore"):
        train, serve = dep.dollars(n, d)
        total = train + serve
        train0, serve0 = dep.dollars(n0, d0)
        baseline = train0 + serve0
        # The optimum never costs more than the compute-optimal model; clip rounding below 0.
        savings = np.maximum(1.0 - total / baseline, 0.0)
    train = _args.in_range(train, "training cost", "target_loss", loss)
    total = _args.in_range(total, "total cost", *dep.traffic)
    baseline = _args.in_range(baseline, "total cost", *dep.traffic)
    return _args.record(COST_FIELDS, (n, d, train, serve, total, baseline, savings), key,
                        *dep.inputs.values(), units=COST_UNITS)


BUDGET_FIELDS = ("loss", "params", "tokens", "train_cost", "inference_cost")
BUDGET_UNITS = ("nats/token", "parameters", "tokens", "$", "$")
_LN_INNER_BRACKET = 700.0  # log of the loss above its floor: any budget's answer lies well inside
_MAX_NEWTON = 60  # converges in under 10 steps; the cap only guarantees termination


@formula(CATEGORY, result="nats/token (see field: params, tokens: counts; costs: $)", returns="record",
         fields=BUDGET_FIELDS, field_units=BUDGET_UNITS,
         example='=INFERENCE_TRADEOFF_BUDGET(5E6, 1E13, 2E12, "chinchilla", "loss")',
         budget=Arg("$", "Dollars for training the model plus serving its lifetime tokens, at the "
                         "prices and utilisations given", rule="positive"),
         law=LAW_FOR_LOSS, field=field_choice(BUDGET_FIELDS), **_DEPLOYMENT_ARGS)
def inference_tradeoff_budget(budget, input_tokens, output_tokens, law="epoch", field=None,
                              gpu="H100", price_per_gpu_hour=2.0, train_mfu=0.4, prefill_mfu=0.4,
                              decode_mfu=0.1, train_gpu=None, train_price=None, serve_gpu=None,
                              serve_price=None):
    """The lowest loss a dollar budget buys for training plus serving, and the model that reaches it.

    The inverse of INFERENCE_TRADEOFF_COST: the target loss whose cost-optimal model costs
    `budget` dollars in all (training, and the lifetime's prompt and generated tokens, each
    at its utilisation, accelerator and price, as INFERENCE_TRADEOFF_COST counts them), so
    "we have $5 M: what model, trained on how many tokens?" is one cell. Returns a dict of
    loss, params, tokens (training tokens), train_cost and inference_cost (dollars, summing
    to the budget); with `field`, just that value. No model spends a budget better: any
    other model of the same total cost has a higher loss.
    """
    key = _args.choice(field, "field", BUDGET_FIELDS, optional=True)
    dollars = _args.number(budget, "budget")
    law = resolve_law(law)
    d = _deployment(dict(budget=dollars), input_tokens, output_tokens, gpu, price_per_gpu_hour, train_mfu,
                    prefill_mfu, decode_mfu, train_gpu, train_price, serve_gpu, serve_price)
    with np.errstate(all="ignore"):
        # cost = w N (D + X): the budget buys N (D + X) = K.
        ln_k = np.log(dollars) - np.log(d.dollars(1.0, 1.0)[0])
        ln_x = np.log(d.extra)
    ln_k, ln_x, extra = np.broadcast_arrays(ln_k, ln_x, d.extra)
    ln_s, ln_n, ln_d = _budget_optimum(law, ln_k, ln_x, extra)
    with np.errstate(all="ignore"):
        loss = law.E + np.exp(law.gamma * ln_s)
        n, tokens = np.exp(ln_n), np.exp(ln_d)
    n = _args.in_range(n, "model size", "budget", dollars)
    tokens = _args.in_range(tokens, "number of training tokens", "budget", dollars)
    with np.errstate(all="ignore"):
        train, serve = d.dollars(n, tokens)
    train = _args.in_range(train, "training cost", "budget", dollars)
    serve = _args.in_range(serve, "inference cost", "budget", dollars, positive=False)
    return _args.record(BUDGET_FIELDS, (loss, n, tokens, train, serve), key, *d.inputs.values(), units=BUDGET_UNITS)


def _budget_optimum(law, ln_k, ln_x, extra):
    """(log S, ln N, ln D) of the lifetime optimum that costs N (D + X) = K, arrays of the
    broadcast shape (S: the loss above its floor, to the power 1/gamma).

    Method: g(t) = ln(N (D + X)) - ln K along the optima, t = log S, falls as the loss rises,
    with slope d ln(N (D + X)) / d ln S = -1 / (alpha u) (the envelope theorem: the
    constraint's multiplier is N (D + X) / (alpha u S), u = A N^-alpha / S the parameter
    term's share), which rises from -(1/alpha + 1/beta) without serving (u = beta / (alpha +
    beta)) towards -1/alpha: g is convex. Newton's method started at the root without
    serving, which costs less for the same loss and so lies to the left of the root, climbs
    onto it monotonically and quadratically.
    """
    alpha, beta = law.alpha, law.beta
    with np.errstate(all="ignore"):
        ln_n0, ln_d0 = log_model(law, 0.0, -np.inf)  # without serving, ln(N D) falls linearly in t
        t = np.clip((ln_n0 + ln_d0 - ln_k) / (1.0 / alpha + 1.0 / beta), -_LN_INNER_BRACKET, _LN_INNER_BRACKET)
        for _ in range(_MAX_NEWTON):
            y = solve_split(law, t, extra)
            ln_n, ln_d = log_model(law, t, y)
            scale = alpha * np.exp(log_shares(law, y)[0])  # -1 / g'(t)
            step = (ln_n + np.logaddexp(ln_d, ln_x) - ln_k) * scale
            t = np.clip(t + step, -_LN_INNER_BRACKET, _LN_INNER_BRACKET)
            # g sums logarithms of size ~|ln K|, so it is known to a few ulps of that: stop once
            # every step is down at that rounding level.
            noise = 8 * np.finfo(float).eps * ((1.0 + np.abs(ln_k)) * scale + 1.0 + np.abs(t))
            if np.all(np.abs(step) <= noise):
                break
        else:
            if not np.all(np.abs(step) <= 1e3 * noise):  # pragma: no cover
                raise PlannerError("the budget's optimum did not converge for these inputs", argument=None, kind=DOMAIN)
        ln_n, ln_d = log_model(law, t, solve_split(law, t, extra))
    return t, ln_n, ln_d


@dataclass(frozen=True)
class _Deployment:
    """A deployment's prices and work, as INFERENCE_TRADEOFF_COST and _BUDGET read them."""
    inputs: dict  # every figure under the argument it came from, for shape errors and the record
    traffic: tuple  # (argument, value) of the traffic a serving figure out of range is blamed on
    train_mfu: np.ndarray
    serve_per_param: np.ndarray  # inference FLOPs per parameter at 100% utilisation
    train_dollars_per_flop: np.ndarray  # at 100% utilisation
    serve_dollars_per_flop: np.ndarray
    extra: np.ndarray  # the serving work priced in training tokens: cost = w N (D + extra)

    def dollars(self, params, tokens):
        """(training, serving) dollars of a model of `params` trained on `tokens`: training at
        6 N D FLOPs at its utilisation, serving the lifetime's tokens. Training's part for one
        parameter and one token is w, the dollars per unit of N (D + extra)."""
        train = TRAIN_FLOPS_PER_PARAM_TOKEN * params * tokens / self.train_mfu * self.train_dollars_per_flop
        return train, params * self.serve_per_param * self.serve_dollars_per_flop


def _deployment(first: dict, input_tokens, output_tokens, gpu, price_per_gpu_hour, train_mfu, prefill_mfu,
                decode_mfu, train_gpu, train_price, serve_gpu, serve_price) -> _Deployment:
    """The arguments both deployment functions share, read and checked; `first` holds the
    arguments before them (the target loss or the budget), for the broadcast check."""
    prompt = _args.number(input_tokens, "input_tokens")
    generated = _args.number(output_tokens, "output_tokens")
    price = _args.number(price_per_gpu_hour, "price_per_gpu_hour")
    shared = peak(gpu) if train_gpu is None or serve_gpu is None else None
    p_train = shared if train_gpu is None else peak(train_gpu, "train_gpu")
    p_serve = shared if serve_gpu is None else peak(serve_gpu, "serve_gpu")
    price_train = price if train_price is None else _args.number(train_price, "train_price")
    price_serve = price if serve_price is None else _args.number(serve_price, "serve_price")
    u_train = _args.number(train_mfu, "train_mfu")
    u_prefill = _args.number(prefill_mfu, "prefill_mfu")
    u_decode = _args.number(decode_mfu, "decode_mfu")
    # Each figure under the argument it came from, so that a shape clash names what was typed.
    given = dict(gpu=shared, train_gpu=None if train_gpu is None else p_train,
                 serve_gpu=None if serve_gpu is None else p_serve,
                 train_price=None if train_price is None else price_train,
                 serve_price=None if serve_price is None else price_serve)
    inputs = dict(**first, input_tokens=prompt, output_tokens=generated, price_per_gpu_hour=price,
                  **{k: v for k, v in given.items() if v is not None}, train_mfu=u_train,
                  prefill_mfu=u_prefill, decode_mfu=u_decode)
    _args.broadcast(**inputs)

    # A serving figure out of range is blamed on the traffic that dominates it.
    with np.errstate(all="ignore"):
        prompt_heavy = np.max(prompt / u_prefill) >= np.max(generated / u_decode)
    traffic = ("input_tokens", prompt) if prompt_heavy else ("output_tokens", generated)
    # Inference work per parameter, in FLOPs at 100% utilisation ("peak-equivalent" FLOPs).
    serve_per_param = _finite(
        lambda: INFERENCE_FLOPS_PER_PARAM_TOKEN * (prompt / u_prefill + generated / u_decode),
        "inference work", *traffic)
    with np.errstate(all="ignore"):
        train_dollars_per_flop = price_train / (HOUR * p_train)  # at 100% utilisation
        serve_dollars_per_flop = price_serve / (HOUR * p_serve)
    # Cost = w_train [6 N D / u_train + N serve (w_serve / w_train)] = w N (D + extra): the
    # lifetime optimum with the serving work priced in training FLOPs.
    extra = _finite(lambda: serve_per_param * (serve_dollars_per_flop / train_dollars_per_flop) * u_train
                    / TRAIN_FLOPS_PER_PARAM_TOKEN, "extra tokens", *traffic)
    return _Deployment(inputs, traffic, u_train, serve_per_param, train_dollars_per_flop, serve_dollars_per_flop,
                       extra)
