"""Inference compute and the lifetime-optimal model (Sardana et al. 2024)."""

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar
from test_laws import BAD_NUMBERS, BUDGETS, NAMES, irreducible, ref_loss, ref_optimum

import planner
from planner.inference import TRADEOFF_FIELDS, lifetime_optimum
from planner.laws import PRESETS


# --- inference_flops, lifetime_flops ---------------------------------------------------

def test_inference_flops_is_two_n_per_token():
    n, t = np.array([1e9, 7e10]), np.array([[0.0], [1e12]])
    np.testing.assert_allclose(planner.inference_flops(n, t), 2 * n * t, rtol=1e-15)
    assert planner.inference_flops(7e10, 1e12, 3) == 3 * 7e10 * 1e12
    assert planner.inference_flops(7e10, 0) == 0.0


def test_lifetime_flops_is_training_plus_inference():
    n, d, i = 7e10, 1.4e12, np.array([0.0, 1e13, 1e15])
    np.testing.assert_allclose(planner.lifetime_flops(n, d, i), 6 * n * d + 2 * n * i, rtol=1e-15)
    assert planner.lifetime_flops(n, d, 1e13, 8, 3) == pytest.approx(8 * n * d + 3 * n * 1e13,
                                                                     rel=1e-15)
    assert planner.lifetime_flops(n, d, 0) == planner.train_flops(n, d)


# --- inference_tradeoff: zero inference is compute-optimal -----------------------------

@pytest.mark.parametrize("name", NAMES)
def test_zero_inference_gives_the_compute_optimal_model(name):
    n, d = ref_optimum(name, BUDGETS)
    loss = ref_loss(name, n, d)
    out = planner.inference_tradeoff(loss, 0, name)
    np.testing.assert_allclose(out["params"], n, rtol=1e-9)
    np.testing.assert_allclose(out["tokens"], d, rtol=1e-9)
    np.testing.assert_allclose(out["train_flops"], BUDGETS, rtol=1e-9)
    assert np.all(out["inference_flops"] == 0)
    assert np.all(out["total_flops"] == out["chinchilla_total_flops"])
    assert np.all(out["savings"] == 0)


@pytest.mark.parametrize("name", NAMES)
def test_lifetime_optimum_without_extra_tokens_is_compute_optimal(name):
    c = np.array([1e18, 1e24, 1e30])
    n, d = ref_optimum(name, c)
    got_n, got_d = lifetime_optimum(ref_loss(name, n, d), PRESETS[name], 0)
    np.testing.assert_allclose(got_n, n, rtol=1e-9)
    np.testing.assert_allclose(got_d, d, rtol=1e-9)


def test_lifetime_optimum_contract():
    law = PRESETS["chinchilla"]
    n, d = lifetime_optimum([[2.0], [2.2]], law, [0, 1e10, 1e14])
    assert isinstance(n, np.ndarray) and n.shape == d.shape == (2, 3)
    # The model reaches the loss exactly.
    np.testing.assert_allclose(planner.scaling_loss(n, d, law), np.broadcast_to([[2.0], [2.2]], (2, 3)),
                               rtol=1e-13)
    # A scalar call still gives arrays; a preset name is accepted too.
    n0, d0 = lifetime_optimum(2.0, "chinchilla", 1e14)
    assert n0.shape == () and n0 == n[0, 2] and d0 == d[0, 2]
    with pytest.raises(planner.PlannerError, match="target_loss 1.6 is below the irreducible loss"):
        lifetime_optimum(1.6, law, 0)
    with pytest.raises(planner.PlannerError, match="extra_tokens must be zero or positive; got -1"):
        lifetime_optimum(2.0, law, -1)


# --- inference_tradeoff: optimal, and savings grow with demand -------------------------

@pytest.mark.parametrize("name", NAMES)
def test_savings_grow_with_inference_demand(name):
    loss = irreducible(name) + 0.3
    demand = np.concatenate([[0.0], np.logspace(6, 20, 57)])
    out = planner.inference_tradeoff(loss, demand, name)
    saved = out["savings"]
    assert np.all((saved >= 0) & (saved < 1))
    # Savings are second order in small demand (tiny, or 0 once below the float resolution
    # of the first-order terms); they never shrink, and grow strictly once visible.
    assert np.all(np.diff(saved) >= 0)
    visible = saved[:-1] > 1e-9
    assert visible.sum() > 10 and np.all(np.diff(saved)[visible] > 0)
    assert saved[-1] > 0.05
    # More demand: a smaller model trained on more tokens.
    assert np.all(np.diff(out["params"]) <= 0) and np.all(np.diff(out["tokens"]) >= 0)


def _objective(law, loss, extra):
    """log N (D + X) along the constraint, as a function of t = ln(N / N_min)."""
    s = (loss - law.E) ** (1 / law.gamma)
    n_min = (law.A / s) ** (1 / law.alpha)

    def f(t):
        n = n_min * np.exp(t)
        d = (law.B / (s - law.A * n ** -law.alpha)) ** (1 / law.beta)
        return np.log(n * (d + extra))
    return f, n_min


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("offset, inference", [(0.05, 1e9), (0.3, 1e13), (0.3, 1e16), (1.0, 1e20)])
def test_matches_a_scalar_minimisation_per_scenario(name, offset, inference):
    law = PRESETS[name]
    loss = irreducible(name) + offset
    out = planner.inference_tradeoff(loss, inference, name)
    f, n_min = _objective(law, loss, 2 * inference / 6)
    best = minimize_scalar(f, bounds=(1e-9, 80), method="bounded", options={"xatol": 1e-10})
    # The objective is flat at its minimum: the sizes agree to ~sqrt(eps), the costs to ~eps.
    assert out["params"] == pytest.approx(n_min * np.exp(best.x), rel=1e-6)
    ours = f(np.log(out["params"] / n_min))
    assert ours <= best.fun + 1e-13
    assert out["total_flops"] == pytest.approx(6 * np.exp(best.fun), rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("offset, inference", [(0.05, 1e12), (0.3, 1e13), (0.3, 1e16), (1.0, 1e20)])
def test_matches_a_root_of_the_first_order_condition_in_n(name, offset, inference):
    # Independent parameterisation: the derivative of N (D(N) + X) along the loss constraint,
    # as a function of ln N between the smallest reachable size and the compute-optimal one.
    law = PRESETS[name]
    loss, extra = irreducible(name) + offset, 2 * inference / 6
    s = (loss - law.E) ** (1 / law.gamma)

    def slope(ln_n):
        n = np.exp(ln_n)
        d = (law.B / (s - law.A * n ** -law.alpha)) ** (1 / law.beta)
        # d/dN [N (D + X)] = D + X + N dD/dN, dD/dN = -alpha A N^(-alpha-1) D^(beta+1) / (beta B)
        return d + extra - n * law.alpha * law.A * n ** (-law.alpha - 1) * d ** (law.beta + 1) / (
            law.beta * law.B)

    n_min = (law.A / s) ** (1 / law.alpha)
    n_opt = planner.chinchilla_n(planner.compute_for_loss(loss, name), name)
    root = brentq(slope, np.log(n_min) + 1e-12, np.log(n_opt) + 1e-9, xtol=1e-15, rtol=1e-15)
    assert planner.inference_tradeoff(loss, inference, name, "params") == pytest.approx(
        np.exp(root), rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_first_order_condition_holds(name):
    # Along the constraint, d/dN [N (D(N) + X)] = 0 at the optimum. With
    # dD/dN = -(alpha A N^-alpha-1) / (beta B D^-beta-1):  D + X = N alpha A N^-alpha-1 D^beta+1 / (beta B).
    law = PRESETS[name]
    loss = irreducible(name) + np.array([0.05, 0.2, 0.8])[:, None]
    extra = np.logspace(8, 18, 6)[None, :]
    n, d = lifetime_optimum(loss, law, extra)
    rhs = n * law.alpha * law.A * n ** (-law.alpha - 1) * d ** (law.beta + 1) / (law.beta * law.B)
    np.testing.assert_allclose(d + extra, rhs, rtol=1e-12)


def test_result_fields_are_consistent():
    out = planner.inference_tradeoff(2.0, 1e13)
    assert tuple(out) == TRADEOFF_FIELDS
    assert all(isinstance(v, float) for v in out.values())
    assert out["train_flops"] == pytest.approx(6 * out["params"] * out["tokens"], rel=1e-15)
    assert out["inference_flops"] == pytest.approx(2 * out["params"] * 1e13, rel=1e-15)
    assert out["total_flops"] == pytest.approx(out["train_flops"] + out["inference_flops"], rel=1e-15)
    c0 = planner.compute_for_loss(2.0)
    n0 = planner.chinchilla_n(c0)
    assert out["chinchilla_total_flops"] == pytest.approx(c0 + 2 * n0 * 1e13, rel=1e-9)
    assert out["savings"] == pytest.approx(1 - out["total_flops"] / out["chinchilla_total_flops"],
                                           rel=1e-12)
    assert planner.scaling_loss(out["params"], out["tokens"]) == pytest.approx(2.0, rel=1e-13)


def test_flops_per_token_only_matter_through_their_ratio():
    a = planner.inference_tradeoff(2.1, 1e13, "epoch", None, 6, 2)
    b = planner.inference_tradeoff(2.1, 2e13, "epoch", None, 6, 1)
    c = planner.inference_tradeoff(2.1, 1e13, "epoch", None, 3, 1)
    assert a["params"] == pytest.approx(b["params"], rel=1e-13)
    assert a["params"] == pytest.approx(c["params"], rel=1e-13)
    assert c["total_flops"] == pytest.approx(a["total_flops"] / 2, rel=1e-13)


def test_field_selects_one_result():
    full = planner.inference_tradeoff([2.0, 2.2], 1e13)
    for field in TRADEOFF_FIELDS:
        np.testing.assert_array_equal(planner.inference_tradeoff([2.0, 2.2], 1e13, field=field),
                                      full[field])
    assert planner.inference_tradeoff(2.0, 1e13, field=" Savings ") == pytest.approx(
        planner.inference_tradeoff(2.0, 1e13)["savings"], rel=0)
    assert isinstance(planner.inference_tradeoff(2.0, 1e13, field=""), dict)


@pytest.mark.parametrize("field", ["cost", 3, True, ["params"]])
def test_unknown_field_lists_the_valid_ones(field):
    with pytest.raises(planner.PlannerError, match="field must be one of params, tokens, train_flops, "
                                                   "inference_flops, total_flops, "
                                                   "chinchilla_total_flops, savings; got"):
        planner.inference_tradeoff(2.0, 1e13, field=field)


def test_broadcasts_and_matches_scalar_calls():
    loss = np.array([[1.9], [2.0], [2.4]])
    demand = [0.0, 1e11, 1e14, 1e18]
    out = planner.inference_tradeoff(loss, demand, "chinchilla")
    for key, value in out.items():
        assert value.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            one = planner.inference_tradeoff(float(loss[i, 0]), demand[j], "chinchilla")
            for key in TRADEOFF_FIELDS:
                assert one[key] == pytest.approx(out[key][i, j], rel=1e-13, abs=1e-15)


# --- bad input -------------------------------------------------------------------------

FUNCS = {
    "inference_flops": (planner.inference_flops,
                        [("params", 7e10, "positive"), ("tokens", 1e12, "nonnegative"),
                         ("flops_per_param_token", 2, "positive")]),
    "lifetime_flops": (planner.lifetime_flops,
                       [("params", 7e10, "positive"), ("tokens", 1.4e12, "positive"),
                        ("inference_tokens", 1e13, "nonnegative"),
                        ("train_flops_per_param_token", 6, "positive"),
                        ("inference_flops_per_param_token", 2, "positive")]),
    "inference_tradeoff": (planner.inference_tradeoff,
                           [("target_loss", 2.0, "positive"), ("inference_tokens", 1e13, "nonnegative"),
                            ("law", "chinchilla", "law"), ("field", None, "field"),
                            ("train_flops_per_param_token", 6, "positive"),
                            ("inference_flops_per_param_token", 2, "positive")]),
}
CASES = [(f, i) for f, (_, args) in FUNCS.items() for i, a in enumerate(args)
         if a[2] in ("positive", "nonnegative")]


@pytest.mark.parametrize("value, match", BAD_NUMBERS)
@pytest.mark.parametrize("fname, position", CASES)
def test_bad_numbers_are_named(fname, position, value, match):
    func, args = FUNCS[fname]
    name, _, rule = args[position]
    values = [a[1] for a in args]
    values[position] = value
    if isinstance(value, (int, float)) and value == 0 and rule == "nonnegative":
        out = func(*values)  # zero is valid here: a result, not an error
        assert all(np.all(np.isfinite(v)) for v in (out.values() if isinstance(out, dict) else [out]))
        return
    if rule == "nonnegative":
        match = match.replace("must be positive", "must be zero or positive")
    with pytest.raises(planner.PlannerError, match=f"^{name} {match}"):
        func(*values)


@pytest.mark.parametrize("law, match", [("gpt", "known: epoch, chinchilla, chinchilla-printed, kaplan"),
                                        (20, "only sets an allocation"),
                                        ([1, 2, 3, 4], "5 values")])
def test_inference_tradeoff_bad_law(law, match):
    with pytest.raises(planner.PlannerError, match=match):
        planner.inference_tradeoff(2.0, 1e13, law)


def test_inference_tradeoff_loss_at_or_below_e():
    with pytest.raises(planner.PlannerError, match="^target_loss 1.5 is below the irreducible loss "
                                                   "E=1.8172 of law 'epoch'"):
        planner.inference_tradeoff(1.5, 1e13)
    with pytest.raises(planner.PlannerError, match=r"target_loss 1.69 equals .*reaches it \(element 1\)$"):
        planner.inference_tradeoff([2.0, 1.69], 1e13, "chinchilla-printed")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("loss_offset", [1e-12, 1e-3, 1.0, 1e3, 1e300])
@pytest.mark.parametrize("demand", [0.0, 1e-300, 1.0, 1e30, 1e300])
def test_extreme_scenarios_give_a_result_or_an_error_never_a_warning(name, loss_offset, demand):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = planner.inference_tradeoff(irreducible(name) + loss_offset, demand, name)
        except planner.PlannerError as exc:
            assert "out of range" in str(exc)
        else:
            assert all(np.isfinite(v) for v in out.values())
            assert 0 <= out["savings"] < 1


@pytest.mark.parametrize("func, args, match", [
    (planner.inference_flops, ([1e9, 2e9], [1e10, 2e10, 3e10]), "tokens .* does not match params"),
    (planner.lifetime_flops, ([1e9, 2e9], 1e10, [1, 2, 3]), "inference_tokens .* does not match params"),
    (planner.inference_tradeoff, ([2.0, 2.1], [1, 2, 3]), "inference_tokens .* does not match target_loss"),
    (lifetime_optimum, ([2.0, 2.1], "chinchilla", [1, 2, 3]), "extra_tokens .* does not match target_loss"),
])
def test_mismatched_shapes_are_named(func, args, match):
    with pytest.raises(planner.PlannerError, match=match):
        func(*args)
