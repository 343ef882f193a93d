"""From FLOPs to GPU-hours, days, dollars, energy; and the cost-optimal deployment."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.catalog import CATALOG

H100_BF16 = 989.4e12  # H100 SXM5 dense bf16, NVIDIA H100 whitepaper
A100_BF16 = 312e12  # A100 dense bf16, NVIDIA A100 datasheet
V5E_BF16 = 197e12  # TPU v5e bf16 per chip, Google Cloud TPU v5e documentation
H100_WATTS = 700  # H100 SXM max TDP, NVIDIA H100 datasheet
DEFAULT_PUE = 1.2  # energy_kwh's documented default (a typical data centre; hyperscalers ~1.1)


# --- golden values ----------------------------------------------------------------------

def test_gpu_hours_golden_h100():
    expected = 1e24 / (H100_BF16 * 0.4) / 3600  # about 702,000 GPU-hours
    assert planner.gpu_hours(1e24) == pytest.approx(expected, rel=1e-12)
    assert planner.gpu_hours(1e24, "H100", 0.4) == pytest.approx(expected, rel=1e-12)


def test_gpu_hours_other_chip_and_mfu():
    assert planner.gpu_hours(3.14e23, "A100", 0.5) == pytest.approx(3.14e23 / (A100_BF16 * 0.5) / 3600,
                                                                     rel=1e-12)
    assert planner.gpu_hours(1e21, 1e15, 1.0) == pytest.approx(1e6 / 3600, rel=1e-12)


def test_train_days_golden():
    # Llama-3-405B-like: 3.8e25 FLOPs on 16,384 H100s at 40% MFU.
    expected = 3.8e25 / (16384 * H100_BF16 * 0.4) / 86400
    assert planner.train_days(3.8e25, 16384) == pytest.approx(expected, rel=1e-12)


def test_compute_cost_golden():
    hours = 1e24 / (H100_BF16 * 0.4) / 3600
    assert planner.compute_cost(1e24) == pytest.approx(2.0 * hours, rel=1e-12)
    assert planner.compute_cost(1e24, 3.5, "H100", 0.3) == pytest.approx(
        3.5 * 1e24 / (H100_BF16 * 0.3) / 3600, rel=1e-12)


def test_energy_golden():
    hours = 1e24 / (H100_BF16 * 0.4) / 3600
    assert planner.energy_kwh(1e24) == pytest.approx(hours * H100_WATTS * DEFAULT_PUE / 1000, rel=1e-12)
    assert planner.energy_kwh(1e24, pue=1.0) == pytest.approx(hours * H100_WATTS / 1000, rel=1e-12)
    # An explicit power overrides the preset, and makes a TPU v5e or a bare number usable.
    v5e_hours = 1e24 / (V5E_BF16 * 0.4) / 3600
    assert planner.energy_kwh(1e24, "tpu v5e", power_w=200) == pytest.approx(
        v5e_hours * 200 * DEFAULT_PUE / 1000, rel=1e-12)
    assert planner.energy_kwh(1e21, 1e15, 0.5, 1.5, 500) == pytest.approx(
        1e21 / 5e14 / 3600 * 0.5 * 1.5, rel=1e-12)


# --- round trips and rounding -----------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(gpus=st.floats(1, 1e6), days=st.floats(0.01, 3650), mfu=st.floats(0.01, 1),
       gpu=st.sampled_from(["H100", "A100 40GB", "B200", "TPU v5p", "L4"]))
def test_compute_from_gpus_then_train_days_gives_days_back(gpus, days, mfu, gpu):
    flops = planner.compute_from_gpus(gpus, days, gpu, mfu)
    assert planner.train_days(flops, gpus, gpu, mfu) == pytest.approx(days, rel=1e-12)
    assert planner.gpu_hours(flops, gpu, mfu) == pytest.approx(gpus * days * 24, rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(gpus=st.integers(1, 10**6), days=st.floats(0.01, 3650), mfu=st.floats(0.01, 1),
       gpu=st.sampled_from(["H100", "A100 40GB", "MI300X", "TPU v4"]))
def test_exact_fit_is_not_rounded_up(gpus, days, mfu, gpu):
    flops = planner.compute_from_gpus(gpus, days, gpu, mfu)
    assert planner.gpus_for_deadline(flops, days, gpu, mfu) == gpus
    # A little more work needs one more GPU; a little less still needs all of them.
    assert planner.gpus_for_deadline(flops * (1 + 1e-6), days, gpu, mfu) == gpus + 1
    assert planner.gpus_for_deadline(flops * (1 - 1e-6 / gpus), days, gpu, mfu) == gpus


def test_gpus_for_deadline_rounds_up():
    exact = 1e24 / (H100_BF16 * 0.4 * 30 * 86400)
    assert planner.gpus_for_deadline(1e24, 30) == math.ceil(exact)
    assert planner.gpus_for_deadline(1e24, 30) > exact
    # 0.1 * 3 is 0.30000000000000004 in floating point: still exactly 3 GPUs.
    assert planner.gpus_for_deadline(0.1 * 3 * 86400 * 1e15, 0.1, 1e15, 1.0) == 3
    assert planner.gpus_for_deadline(1.0, 1) == 1  # any work needs at least one GPU


def test_more_gpus_fewer_days():
    days = planner.train_days(1e24, [256, 512, 1024])
    assert days[0] == pytest.approx(2 * days[1]) and days[1] == pytest.approx(2 * days[2])


# --- broadcasting -----------------------------------------------------------------------

def test_arrays_broadcast_like_numpy():
    flops = np.array([[1e22], [1e23], [1e24]])  # column
    mfu = np.array([0.3, 0.4, 0.5, 0.6])  # row
    out = planner.gpu_hours(flops, "H100", mfu)
    assert out.shape == (3, 4)
    assert np.allclose(out, flops / (H100_BF16 * mfu) / 3600, rtol=1e-12)
    cost = planner.compute_cost(flops, [1.0, 2.0, 3.0, 4.0])
    assert cost.shape == (3, 4)
    gpus = planner.gpus_for_deadline([1e23, 1e24], [[10], [20], [30]])
    assert gpus.shape == (3, 2) and np.all(gpus == np.ceil(gpus))
    # A numeric gpu argument broadcasts too.
    peaks = planner.gpu_hours(1e24, [5e14, 1e15])
    assert np.allclose(peaks, 1e24 / (np.array([5e14, 1e15]) * 0.4) / 3600, rtol=1e-12)
    assert planner.energy_kwh([1e23, 1e24]).shape == (2,)
    assert planner.compute_from_gpus([8, 16], 1.0).shape == (2,)
    assert planner.train_days(1e24, [8, 16], "A100").shape == (2,)


def test_lists_give_arrays_scalars_give_floats():
    assert isinstance(planner.gpu_hours(1e24), float)
    assert isinstance(planner.gpu_hours([1e24]), np.ndarray)
    assert type(planner.gpus_for_deadline(1e24, 30)) is int  # a count, never a numpy scalar


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("call, pattern", [
    (lambda: planner.gpu_hours(1e24, "H100", 40), r"mfu must be a fraction in \(0, 1\] \(40% is 0.4\); got 40"),
    (lambda: planner.gpu_hours(1e24, "H100", 1.01), "mfu must be a fraction"),
    (lambda: planner.gpu_hours(1e24, "H100", 0), r"mfu must be a fraction in \(0, 1\] \(40% is 0.4\); got 0"),
    (lambda: planner.gpu_hours(1e24, "H100", [0.4, 40]), r"got 40 \(element 1\)"),
    (lambda: planner.gpu_hours(-1e24), "flops must be zero or positive; got -1e"),
    (lambda: planner.gpu_hours("1e24"), "flops must be a number; got '1e24'"),
    (lambda: planner.gpu_hours(float("nan")), "flops must be a finite number"),
    (lambda: planner.gpu_hours(1e24, "H1000"), "gpu 'H1000' is not a known accelerator; known: V100"),
    (lambda: planner.gpu_hours(1e24, -5.0), "gpu must be positive"),
    (lambda: planner.gpu_hours(1e24, "H100", "40%"), "mfu must be a number"),
    (lambda: planner.compute_cost(1e24, -2), "price_per_gpu_hour must be positive; got -2"),
    (lambda: planner.compute_cost(1e24, "two dollars"), "price_per_gpu_hour must be a number"),
    (lambda: planner.train_days(1e24, 0), "gpus must be positive; got 0"),
    (lambda: planner.gpus_for_deadline(1e24, -3), "days must be positive; got -3"),
    (lambda: planner.compute_from_gpus(None, 3), "gpus must be a number; got None"),
    (lambda: planner.energy_kwh(1e24, pue=0.9), "pue must be at least 1; got 0.9"),
    (lambda: planner.energy_kwh(1e24, power_w=-700), "power_w must be positive"),
    (lambda: planner.energy_kwh(1e24, "TPU v5p"), "TPU v5p.*give power_w"),
    (lambda: planner.energy_kwh(1e24, 1e15), "power_w is needed when gpu is given as a number"),
])
def test_bad_input_names_the_argument(call, pattern):
    with pytest.raises(planner.PlannerError, match=pattern):
        call()


def test_catalogue_entries():
    names = ["gpu_hours", "train_days", "gpus_for_deadline", "compute_from_gpus", "compute_cost",
             "energy_kwh"]
    for name in names:
        entry = CATALOG[name]
        assert entry.category == "Compute & Cost"
        assert entry.summary and entry.example.startswith("=" + name.upper() + "(")
        assert next(p for p in entry.params if p.name == "gpu").arg.kind == "gpu"
        mfu = next(p for p in entry.params if p.name == "mfu")
        assert mfu.default == 0.4


# --- the cost-optimal deployment --------------------------------------------------------

FIELDS = ("params", "tokens", "train_cost", "inference_cost", "total_cost", "chinchilla_total_cost",
          "savings")


def _cost_along_constraint(n, loss, inp, out, price=2.0, peak=H100_BF16, ut=0.4, up=0.4, ud=0.1):
    """Lifetime dollars of an N-parameter model trained to `loss`, written out independently."""
    d = planner.tokens_for_loss(n, loss)
    dollars_per_flop = price / (3600 * peak)
    return (6 * n * d / ut + 2 * n * inp / up + 2 * n * out / ud) * dollars_per_flop


def test_returns_all_fields_and_consistent_costs():
    r = planner.inference_tradeoff_cost(2.0, 1e13, 2e12)
    assert tuple(r) == FIELDS
    n, d = r["params"], r["tokens"]
    dollars_per_flop = 2.0 / (3600 * H100_BF16)
    assert r["train_cost"] == pytest.approx(6 * n * d / 0.4 * dollars_per_flop, rel=1e-12)
    assert r["inference_cost"] == pytest.approx((2 * n * 1e13 / 0.4 + 2 * n * 2e12 / 0.1)
                                                * dollars_per_flop, rel=1e-12)
    assert r["total_cost"] == pytest.approx(r["train_cost"] + r["inference_cost"], rel=1e-12)
    assert r["savings"] == pytest.approx(1 - r["total_cost"] / r["chinchilla_total_cost"], rel=1e-12)
    assert planner.scaling_loss(n, d) == pytest.approx(2.0, rel=1e-10)  # reaches the target
    # The training part agrees with the GPU-hour arithmetic.
    assert r["train_cost"] == pytest.approx(planner.compute_cost(6 * n * d), rel=1e-12)
    for f in FIELDS:
        assert planner.inference_tradeoff_cost(2.0, 1e13, 2e12, field=f) == r[f]
        assert planner.inference_tradeoff_cost(2.0, 1e13, 2e12, field=f.upper()) == r[f]


@pytest.mark.parametrize("loss, inp, out", [(2.0, 1e13, 2e12), (1.9, 0, 5e13), (2.2, 1e14, 1e11)])
def test_is_the_cheapest_model_on_the_loss_curve(loss, inp, out):
    n = planner.inference_tradeoff_cost(loss, inp, out, field="params")
    best = _cost_along_constraint(n, loss, inp, out)
    assert planner.inference_tradeoff_cost(loss, inp, out, field="total_cost") == pytest.approx(best, rel=1e-10)
    # A brute-force scan along the iso-loss curve finds nothing cheaper.
    costs = np.array([_safe_cost(g, loss, inp, out) for g in n * np.geomspace(0.2, 5, 2001)])
    assert costs.min() >= best * (1 - 1e-9)
    assert _cost_along_constraint(n * 1.01, loss, inp, out) > best
    assert _cost_along_constraint(n * 0.99, loss, inp, out) > best


def _safe_cost(n, loss, inp, out):
    try:
        return _cost_along_constraint(n, loss, inp, out)
    except planner.PlannerError:  # too small a model never reaches the loss
        return np.inf


def test_less_efficient_decoding_moves_the_optimum_smaller():
    decode = np.array([0.4, 0.2, 0.1, 0.05, 0.01])
    n = planner.inference_tradeoff_cost(2.0, 1e12, 5e12, decode_mfu=decode, field="params")
    assert np.all(np.diff(n) < 0)
    d = planner.inference_tradeoff_cost(2.0, 1e12, 5e12, decode_mfu=decode, field="tokens")
    assert np.all(np.diff(d) > 0)  # ...trained on more tokens


def test_more_output_tokens_moves_the_optimum_smaller():
    out = np.array([0, 1e11, 1e12, 1e13, 1e14])
    n = planner.inference_tradeoff_cost(2.0, 1e12, out, field="params")
    assert np.all(np.diff(n) < 0)
    savings = planner.inference_tradeoff_cost(2.0, 1e12, out, field="savings")
    assert np.all(np.diff(savings) > 0)


@settings(max_examples=60, deadline=None)
@given(loss=st.floats(1.85, 3.0), inp=st.floats(0, 1e15), out=st.floats(0, 1e15),
       mfu=st.floats(0.05, 1.0), law=st.sampled_from(["chinchilla", "epoch"]))
def test_equal_utilisations_give_the_flop_optimal_model(loss, inp, out, mfu, law):
    r = planner.inference_tradeoff_cost(loss, inp, out, law, train_mfu=mfu, prefill_mfu=mfu,
                                        decode_mfu=mfu)
    f = planner.inference_tradeoff(loss, inp + out, law)
    assert r["params"] == pytest.approx(f["params"], rel=1e-9)
    assert r["tokens"] == pytest.approx(f["tokens"], rel=1e-9)
    dollars_per_flop = 2.0 / (3600 * H100_BF16 * mfu)
    assert r["total_cost"] == pytest.approx(f["total_flops"] * dollars_per_flop, rel=1e-9)
    assert r["chinchilla_total_cost"] == pytest.approx(f["chinchilla_total_flops"] * dollars_per_flop,
                                                       rel=1e-9)
    assert r["savings"] == pytest.approx(f["savings"], rel=1e-7, abs=1e-12)


def test_no_serving_gives_the_compute_optimal_model():
    r = planner.inference_tradeoff_cost(2.0, 0, 0)
    c = planner.compute_for_loss(2.0)
    assert r["params"] == pytest.approx(planner.chinchilla_n(c), rel=1e-9)
    assert r["tokens"] == pytest.approx(planner.chinchilla_d(c), rel=1e-9)
    assert r["inference_cost"] == 0 and r["savings"] == 0
    assert r["total_cost"] == pytest.approx(planner.compute_cost(c), rel=1e-9)


def test_price_and_accelerator_scale_dollars_but_not_the_model():
    base = planner.inference_tradeoff_cost(2.0, 1e13, 2e12)
    other = planner.inference_tradeoff_cost(2.0, 1e13, 2e12, gpu="A100", price_per_gpu_hour=1.2)
    assert other["params"] == pytest.approx(base["params"], rel=1e-12)
    scale = (1.2 / A100_BF16) / (2.0 / H100_BF16)
    for f in ("train_cost", "inference_cost", "total_cost", "chinchilla_total_cost"):
        assert other[f] == pytest.approx(base[f] * scale, rel=1e-12)
    assert planner.inference_tradeoff_cost(2.0, 1e13, 2e12, gpu=5e14, field="total_cost") == \
        pytest.approx(base["total_cost"] * H100_BF16 / 5e14, rel=1e-12)


def test_tradeoff_cost_broadcasts():
    loss = np.array([1.9, 2.0, 2.1])
    out = np.array([[0.0], [1e12], [1e14]])
    r = planner.inference_tradeoff_cost(loss, 1e12, out)
    for f in FIELDS:
        assert r[f].shape == (3, 3)
    for i in range(3):
        for j in range(3):
            one = planner.inference_tradeoff_cost(loss[j], 1e12, out[i, 0])
            for f in FIELDS:
                assert r[f][i, j] == pytest.approx(one[f], rel=1e-12, abs=1e-12)
    assert isinstance(planner.inference_tradeoff_cost(2.0, 1e12, 1e12, field="params"), float)
    assert planner.inference_tradeoff_cost(2.0, 1e12, 1e12, decode_mfu=[0.1, 0.2],
                                           field="params").shape == (2,)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(decode_mfu=10), r"decode_mfu must be a fraction in \(0, 1\] \(40% is 0.4\); got 10"),
    (dict(train_mfu=40), "train_mfu must be a fraction"),
    (dict(prefill_mfu=0), "prefill_mfu must be a fraction"),
    (dict(price_per_gpu_hour=-2), "price_per_gpu_hour must be positive; got -2"),
    (dict(gpu="H1000"), "gpu 'H1000' is not a known accelerator"),
    (dict(gpu="fast"), "known: V100"),
    (dict(field="cost"), "field must be one of params, tokens, train_cost"),
    (dict(field=3), "field must be one of"),
    (dict(law="gpt"), "law 'gpt' is not a known preset"),
    (dict(target_loss=1.5), "target_loss 1.5 is below the irreducible loss E=1.8172 of law 'epoch'"),
    (dict(target_loss="2.0"), "target_loss must be a number"),
    (dict(output_tokens=-1), "output_tokens must be zero or positive; got -1"),
    (dict(input_tokens=float("inf")), "input_tokens must be a finite number"),
])
def test_tradeoff_cost_bad_input(kwargs, pattern):
    args = dict(target_loss=2.0, input_tokens=1e13, output_tokens=2e12)
    args.update(kwargs)
    with pytest.raises(planner.PlannerError, match=pattern):
        planner.inference_tradeoff_cost(**args)


def test_tradeoff_cost_catalogue_entry():
    entry = CATALOG["inference_tradeoff_cost"]
    assert entry.returns == "record" and entry.fields == FIELDS
    defaults = {p.name: p.default for p in entry.params}
    assert defaults["decode_mfu"] == 0.1 and defaults["prefill_mfu"] == 0.4
    assert defaults["train_mfu"] == 0.4 and defaults["gpu"] == "H100" and defaults["field"] is None


# --- training and serving on their own hardware ------------------------------------------

# The Chinchilla constants of Sardana et al.'s code (github.com/nikhilsardana/beyond-chinchilla,
# model_calculator.py, ChinchillaConstants): Hoffmann et al.'s eq. 10 with 3-digit exponents.
SARDANA_LAW = [1.69, 406.4, 410.7, 0.336, 0.283]


def test_reproduces_sardanas_published_cost_optimal_example():
    # Their README's cost_optimal.py example: loss 1.947, 1e10 requests of 1,000 input and 250
    # output tokens; training on A100-80GB at $1.40/h in bf16 (312 TFLOP/s), serving on
    # A100-40GB at $0.60/h in int8 (624 TOPS); MFU 0.5 training, 0.4 prefill, 0.2 decode.
    # Published: 2.053e10 parameters, 3.302e12 tokens, 60.23% of the parameters and 182.41% of
    # the tokens of the equal-quality Chinchilla-style model, at 88.76% of its cost.
    r = planner.inference_tradeoff_cost(1.947, 1e10 * 1000, 1e10 * 250, SARDANA_LAW, train_gpu=312e12,
                                        train_price=1.40, serve_gpu=624e12, serve_price=0.60,
                                        train_mfu=0.5, prefill_mfu=0.4, decode_mfu=0.2)
    assert f"{r.params:.3e}" == "2.053e+10" and f"{r.tokens:.3e}" == "3.302e+12"
    n0 = planner.inference_tradeoff(1.947, 0, SARDANA_LAW, "params")
    d0 = planner.inference_tradeoff(1.947, 0, SARDANA_LAW, "tokens")
    assert round(100 * r.params / n0, 2) == 60.23 and round(100 * r.tokens / d0, 2) == 182.41
    assert round(100 * r.total_cost / r.chinchilla_total_cost, 2) == 88.76


def test_reproduces_sardanas_published_compute_optimal_example():
    # Their README's compute_optimal.py example: loss 1.947 and 2e12 inference tokens give
    # 2.418e10 parameters and 2.657e12 tokens, 70.96% and 146.77% of the Chinchilla-style model.
    n = planner.inference_tradeoff(1.947, 2e12, SARDANA_LAW, "params")
    d = planner.inference_tradeoff(1.947, 2e12, SARDANA_LAW, "tokens")
    assert f"{n:.3e}" == "2.418e+10" and f"{d:.3e}" == "2.657e+12"
    assert round(100 * n / planner.inference_tradeoff(1.947, 0, SARDANA_LAW, "params"), 2) == 70.96


def test_split_hardware_against_an_independent_cost():
    kw = dict(train_gpu="H100", train_price=2.5, serve_gpu="L4", serve_price=0.8)
    r = planner.inference_tradeoff_cost(2.0, 1e13, 2e12, **kw)
    n, d = r.params, r.tokens
    train = 6 * n * d / 0.4 * 2.5 / (3600 * H100_BF16)
    serve = (2 * n * 1e13 / 0.4 + 2 * n * 2e12 / 0.1) * 0.8 / (3600 * 121e12)  # L4: 121 TFLOP/s dense
    assert r.train_cost == pytest.approx(train, rel=1e-12) and r.inference_cost == pytest.approx(serve, rel=1e-12)
    # It is the cheapest model on the loss curve under these prices: a nudge either way costs more.
    for factor in (0.97, 1.03):
        m = n * factor
        dm = planner.tokens_for_loss(m, 2.0)
        cost = (6 * m * dm / 0.4 * 2.5 / (3600 * H100_BF16)
                + (2 * m * 1e13 / 0.4 + 2 * m * 2e12 / 0.1) * 0.8 / (3600 * 121e12))
        assert cost > r.total_cost
    # Serving dearer per FLOP than training moves the optimum smaller than the one-accelerator call.
    assert n < planner.inference_tradeoff_cost(2.0, 1e13, 2e12, price_per_gpu_hour=2.5, field="params")
    # The single-accelerator call is the split call with both sides equal.
    same = planner.inference_tradeoff_cost(2.0, 1e13, 2e12, gpu="A100", price_per_gpu_hour=1.5)
    split = planner.inference_tradeoff_cost(2.0, 1e13, 2e12, train_gpu="A100", train_price=1.5,
                                            serve_gpu="A100", serve_price=1.5)
    assert all(same[k] == pytest.approx(split[k], rel=1e-12) for k in FIELDS)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(serve_gpu="Z80"), "serve_gpu 'Z80' is not a known accelerator"),
    (dict(train_price=-1), "train_price must be positive"),
    (dict(serve_price=[1, 2], train_price=[1, 2, 3]), "does not match"),
])
def test_split_hardware_bad_input(kwargs, pattern):
    with pytest.raises(planner.PlannerError, match=pattern):
        planner.inference_tradeoff_cost(2.0, 1e13, 2e12, **kwargs)


# --- what a dollar budget buys (INFERENCE_TRADEOFF_BUDGET) ----------------------------------------

def _loss(n, d, law="epoch"):
    e, a, b, alpha, beta = planner.law_params(law)
    return e + a / n ** alpha + b / d ** beta


@settings(max_examples=60, deadline=None)
@given(st.floats(1e4, 1e10), st.floats(0, 1e15), st.floats(0, 1e14),
       st.sampled_from(["epoch", "chinchilla", "chinchilla-printed", "muennighoff"]))
def test_the_budget_buys_the_loss_whose_cost_optimal_model_costs_it(budget, inp, out, law):
    got = planner.inference_tradeoff_budget(budget, inp, out, law)
    back = planner.inference_tradeoff_cost(got["loss"], inp, out, law)
    assert back["total_cost"] == pytest.approx(budget, rel=1e-9)
    assert got["params"] == pytest.approx(back["params"], rel=1e-8)
    assert got["tokens"] == pytest.approx(back["tokens"], rel=1e-8)
    assert got["train_cost"] + got["inference_cost"] == pytest.approx(budget, rel=1e-9)


@pytest.mark.parametrize("law", ["epoch", "chinchilla", "muennighoff"])
def test_extreme_budgets_and_traffic_are_solved_in_a_few_newton_steps(law, monkeypatch):
    from planner import cost

    solves = []
    real = cost.solve_split
    monkeypatch.setattr(cost, "solve_split", lambda *a: solves.append(1) or real(*a))
    budget = np.array([5.0, 5e3, 5e6, 5e9, 5e12, 5e6, 5e6, 5e6])
    inp = np.array([0.0, 1e22, 1e13, 0.0, 1e8, 1e25, 0.0, 3.0])
    out = np.array([1e20, 0.0, 2e12, 0.0, 1e23, 0.0, 1e24, 7.0])
    got = planner.inference_tradeoff_budget(budget, inp, out, law)
    back = planner.inference_tradeoff_cost(got["loss"], inp, out, law)["total_cost"]
    np.testing.assert_allclose(back, budget, rtol=1e-11)
    assert len(solves) <= 10  # bisection took about 70


@pytest.mark.parametrize("budget, inp, out", [(5e6, 1e13, 2e12), (1e5, 0, 0), (1e8, 1e15, 1e14)])
def test_no_model_of_the_same_cost_reaches_a_lower_loss(budget, inp, out):
    got = planner.inference_tradeoff_budget(budget, inp, out)
    # Independently: at the defaults ($2 per H100-hour, MFUs 0.4 / 0.4 / 0.1) a model of N
    # parameters costs N (6 D / 0.4 + 2 (inp / 0.4 + out / 0.1)) FLOPs' worth of hours.
    dollars_per_flop = 2.0 / (989.4e12 * 3600)
    per_param = 2 * (inp / 0.4 + out / 0.1)
    n = got["params"] * np.geomspace(0.2, 5, 4001)
    d = (budget / dollars_per_flop / n - per_param) * 0.4 / 6
    losses = np.where(d > 0, _loss(n, np.maximum(d, 1.0)), np.inf)
    assert losses.min() >= got["loss"] * (1 - 1e-12)
    assert _loss(got["params"], got["tokens"]) == pytest.approx(got["loss"], rel=1e-12)


def test_a_budget_with_no_serving_buys_the_compute_optimal_model():
    flops = planner.compute_from_gpus(3e6 / 2.0, 1 / 24, "H100", 0.4)  # $3 M of H100-hours at 40%
    got = planner.inference_tradeoff_budget(3e6, 0, 0, "chinchilla")
    assert got["params"] == pytest.approx(planner.chinchilla_n(flops, "chinchilla"), rel=1e-9)
    assert got["loss"] == pytest.approx(planner.chinchilla_loss(flops, "chinchilla"), rel=1e-12)


def test_budgets_broadcast_and_more_dollars_buy_a_lower_loss():
    budgets = np.geomspace(1e3, 1e12, 10)
    losses = planner.inference_tradeoff_budget(budgets, 1e13, [[0], [1e12]], field="loss")
    assert losses.shape == (2, 10) and np.all(np.diff(losses, axis=1) < 0)
    assert np.all(losses[1] > losses[0])  # serving the same model costs money the training lacks
    one = planner.inference_tradeoff_budget(budgets[3], 1e13, 1e12, field="loss")
    assert one == pytest.approx(losses[1, 3], rel=1e-12) and isinstance(one, float)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(budget=0), "budget must be positive"),
    (dict(budget=-5), "budget must be positive"),
    (dict(budget="5M"), "budget must be a number"),
    (dict(budget=float("nan")), "budget must be a finite number"),
    (dict(field="savings"), "field must be one of loss, params, tokens"),
    (dict(decode_mfu=1.5), "decode_mfu"),
    (dict(budget=1e300), "budget"),
])
def test_tradeoff_budget_bad_input(kwargs, pattern):
    args = dict(budget=5e6, input_tokens=1e13, output_tokens=2e12)
    args.update(kwargs)
    with pytest.raises(planner.PlannerError, match=pattern):
        planner.inference_tradeoff_budget(**args)
