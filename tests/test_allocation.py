"""Compute-optimal allocation, allocation by loss and over-training, against closed forms
written out independently (in test_laws) and against the defining properties."""

import warnings

import numpy as np
import pytest
from test_laws import (BAD_NUMBERS, BUDGETS, KAPLAN, NAMES, PUBLISHED, irreducible,
                       ref_allocation, ref_compute_for_loss, ref_loss, ref_optimum)

import planner

RTOL = 1e-9


# --- accuracy over budgets 1e15 .. 1e32 FLOPs ------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_compute_optimal_model_matches_closed_form(name):
    n, d = ref_allocation(name, BUDGETS)
    np.testing.assert_allclose(planner.chinchilla_n(BUDGETS, name), n, rtol=RTOL)
    np.testing.assert_allclose(planner.chinchilla_d(BUDGETS, name), d, rtol=RTOL)
    # The loss functions take the least loss at C = 6ND, the law's own optimum.
    np.testing.assert_allclose(planner.chinchilla_loss(BUDGETS, name),
                               ref_loss(name, *ref_optimum(name, BUDGETS)), rtol=RTOL)


def test_kaplan_allocation_is_the_papers_frontier_not_the_laws_optimum():
    """Kaplan et al. 2020 recommend N_opt ~ Cmin^0.73 (Table 6); minimising their eq. 1.5 at
    C = 6ND gives another exponent, 1 / (1 + aN/aD) = 0.575. The allocation functions follow
    the recommendation, and its loss is above the law's least loss for the same compute."""
    c = np.array([1e21, 1e24])
    slope = np.diff(np.log(planner.chinchilla_n(c, "kaplan"))) / np.diff(np.log(c))
    assert slope[0] == pytest.approx(0.73, rel=1e-12)
    surface = np.diff(np.log(ref_optimum("kaplan", c)[0])) / np.diff(np.log(c))
    assert surface[0] == pytest.approx(1 / (1 + KAPLAN["aN"] / KAPLAN["aD"]), rel=1e-9)
    at_frontier = planner.scaling_loss(planner.chinchilla_n(c, "kaplan"),
                                       planner.chinchilla_d(c, "kaplan"), "kaplan")
    assert np.all(at_frontier > planner.chinchilla_loss(c, "kaplan"))
    # Table 6's data column, D_opt = 2e10 Cmin^0.27, spends 6 N D = 1.8 Cmin rather than
    # the 2 Cmin budgeted; the planner returns D = C / (6 N), which spends the budget
    # exactly, 11% more tokens than that column.
    cmin = c / 2 / (1e15 * 86400)
    ratio = planner.chinchilla_d(c, "kaplan") / (2e10 * cmin ** 0.27)
    np.testing.assert_allclose(ratio, 2 * 1e15 * 86400 / (6 * 1.3e9) / 2e10, rtol=1e-12)
    assert np.all((1.10 < ratio) & (ratio < 1.11))


@pytest.mark.parametrize("name", NAMES)
def test_round_trips_over_budgets(name):
    n = planner.chinchilla_n(BUDGETS, name)
    np.testing.assert_allclose(planner.chinchilla_compute(n, name), BUDGETS, rtol=RTOL)
    loss = planner.chinchilla_loss(BUDGETS, name)
    np.testing.assert_allclose(planner.compute_for_loss(loss, name), BUDGETS, rtol=RTOL)
    # 6 N D = C exactly in the allocation.
    np.testing.assert_allclose(6 * n * planner.chinchilla_d(BUDGETS, name), BUDGETS, rtol=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_compute_for_loss_matches_closed_form(name):
    losses = irreducible(name) + np.logspace(-2, 0.5, 40)
    np.testing.assert_allclose(planner.compute_for_loss(losses, name),
                               ref_compute_for_loss(name, losses), rtol=RTOL)


def test_tokens_per_parameter_rule():
    # D = r N and C = 6 N D give N = sqrt(C / (6 r)); r = 20: N = sqrt(C / 120).
    np.testing.assert_allclose(planner.chinchilla_n(BUDGETS, 20), np.sqrt(BUDGETS / 120), rtol=1e-14)
    np.testing.assert_allclose(planner.chinchilla_d(BUDGETS, 20), 20 * np.sqrt(BUDGETS / 120),
                               rtol=1e-14)
    np.testing.assert_allclose(planner.chinchilla_compute(1e9, 20), 120 * 1e18, rtol=1e-14)
    with pytest.raises(planner.PlannerError, match="only sets an allocation"):
        planner.chinchilla_loss(1e24, 20)


# --- the optimum is optimal ------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("factor", [0.25, 0.9, 0.999, 1.001, 1.1, 4.0])
def test_moving_n_at_fixed_compute_raises_the_loss(name, factor):
    c = np.array([1e18, 1e22, 1e26, 1e30])
    # Kaplan's allocation is its paper's frontier, not the law's optimum (tested above).
    n = (ref_optimum(name, c)[0] if name == "kaplan" else planner.chinchilla_n(c, name)) * factor
    moved = planner.scaling_loss(n, c / (6 * n), name)
    assert np.all(moved > planner.chinchilla_loss(c, name))


# --- tokens_for_loss, params_for_loss --------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_tokens_and_params_for_loss_invert_scaling_loss(name):
    n = np.logspace(8, 12, 5)[:, None]
    d = np.logspace(9, 14, 6)[None, :]
    loss = planner.scaling_loss(n, d, name)
    np.testing.assert_allclose(planner.tokens_for_loss(n, loss, name), np.broadcast_to(d, loss.shape),
                               rtol=1e-9)
    np.testing.assert_allclose(planner.params_for_loss(d, loss, name), np.broadcast_to(n, loss.shape),
                               rtol=1e-9)


@pytest.mark.parametrize("name", ["chinchilla", "epoch"])
def test_tokens_for_loss_closed_form(name):
    q = PUBLISHED[name]
    n, loss = 7e10, q["E"] + 0.3
    d = (q["B"] / (loss - q["E"] - q["A"] / n ** q["alpha"])) ** (1 / q["beta"])
    assert planner.tokens_for_loss(n, loss, name) == pytest.approx(d, rel=1e-12)
    nd = (q["A"] / (loss - q["E"] - q["B"] / d ** q["beta"])) ** (1 / q["alpha"])
    assert planner.params_for_loss(d, loss, name) == pytest.approx(nd, rel=1e-9)


def test_kaplan_tokens_for_loss_closed_form():
    k, n, loss = KAPLAN, 1e9, 2.4
    d = k["Dc"] / (loss ** (1 / k["aD"]) - (k["Nc"] / n) ** (k["aN"] / k["aD"]))
    assert planner.tokens_for_loss(n, loss, "kaplan") == pytest.approx(d, rel=1e-12)


def test_unreachable_loss_names_the_smallest_size():
    q = PUBLISHED["chinchilla"]
    smallest_n = (q["A"] / (2.0 - q["E"])) ** (1 / q["alpha"])
    with pytest.raises(planner.PlannerError) as err:
        planner.tokens_for_loss([1e10, 1e9], 2.0, "chinchilla")
    msg = str(err.value)
    assert msg.startswith("params 1e+09 cannot reach target_loss 2 under law 'chinchilla'")
    assert msg.endswith(f"more than {smallest_n:.4g} parameters (element 1)")
    assert err.value.argument == "params" and err.value.kind == "domain"
    assert err.value.elements.tolist() == [False, True]
    assert planner.tokens_for_loss(smallest_n * 1.01, 2.0, "chinchilla") > 0

    smallest_d = (q["B"] / (2.0 - q["E"])) ** (1 / q["beta"])
    with pytest.raises(planner.PlannerError) as err:
        planner.params_for_loss(1e9, 2.0, "chinchilla")
    assert str(err.value).startswith("tokens 1e+09 cannot reach target_loss 2 under law 'chinchilla'")
    assert f"more than {smallest_d:.4g} tokens" in str(err.value)
    assert planner.params_for_loss(smallest_d * 1.01, 2.0, "chinchilla") > 0


# --- over-training ---------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_overtrain_loss_follows_gadre_parameterisation(name):
    c = np.array([[1e20], [1e23], [1e26]])
    m = np.array([1.0, 20.0, 200.0, 5000.0])
    n = np.sqrt(c / (6 * m))
    np.testing.assert_allclose(planner.overtrain_loss(c, m, name), ref_loss(name, n, m * n),
                               rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_overtrain_penalty_is_zero_at_the_optimum_and_positive_elsewhere(name):
    c = np.logspace(18, 30, 7)
    n, d = ref_optimum(name, c)
    at_opt = planner.overtrain_penalty(c, d / n, name)
    assert np.all(at_opt >= 0) and np.all(at_opt < 1e-12)
    for factor in (0.1, 0.5, 2.0, 10.0):
        m = factor * d / n
        gap = planner.overtrain_penalty(c, m, name)
        n2 = np.sqrt(c / (6 * m))
        expected = ref_loss(name, n2, m * n2) - ref_loss(name, n, d)
        np.testing.assert_allclose(gap, expected, rtol=1e-9, atol=1e-14)
        assert np.all(gap > 0)


def test_overtrain_penalty_grows_away_from_the_optimum():
    ratios = np.logspace(np.log10(planner.chinchilla_d(1e24) / planner.chinchilla_n(1e24)), 5, 30)
    gaps = planner.overtrain_penalty(1e24, ratios)
    assert np.all(np.diff(gaps) > 0)


@pytest.mark.parametrize("name", NAMES)
def test_overtrain_overhead_matches_de_vries_definition(name):
    c = 1e23
    n_opt, d_opt = ref_optimum(name, c)
    target = ref_loss(name, n_opt, d_opt)
    sizes = n_opt * np.array([0.6, 0.8, 1.5, 3.0])
    if name == "kaplan":
        k = KAPLAN
        d = k["Dc"] / (target ** (1 / k["aD"]) - (k["Nc"] / sizes) ** (k["aN"] / k["aD"]))
    else:
        q = PUBLISHED[name]
        d = (q["B"] / (target - q["E"] - q["A"] / sizes ** q["alpha"])) ** (1 / q["beta"])
    np.testing.assert_allclose(planner.overtrain_overhead(c, sizes, name), 6 * sizes * d / c,
                               rtol=1e-8)
    assert planner.overtrain_overhead(c, n_opt, name) == pytest.approx(1.0, abs=1e-12)
    assert np.all(planner.overtrain_overhead(c, sizes, name) > 1)


def test_overtrain_overhead_unreachable_is_an_error():
    c = 1e23
    q = PUBLISHED["chinchilla"]
    target = planner.chinchilla_loss(c, "chinchilla")
    smallest = (q["A"] / (target - q["E"])) ** (1 / q["alpha"])
    with pytest.raises(planner.PlannerError) as err:
        planner.overtrain_overhead(c, [smallest * 2, smallest / 2], "chinchilla")
    msg = str(err.value)
    assert msg.startswith(f"params {smallest / 2:g} cannot reach the compute-optimal "
                          f"loss of compute 1e+23 FLOPs under law 'chinchilla'")
    assert msg.endswith(f"more than {smallest:.4g} parameters (element 1)")
    assert err.value.elements.tolist() == [False, True]
    # Just above the smallest size the overhead is finite but enormous.
    assert planner.overtrain_overhead(c, smallest * 1.001, "chinchilla") > 100


# --- broadcasting ----------------------------------------------------------------------

@pytest.mark.parametrize("func, args", [
    (planner.chinchilla_n, ([1e20, 1e24],)),
    (planner.chinchilla_d, ([[1e20], [1e24]],)),
    (planner.chinchilla_loss, (np.array([1e20, 1e24]),)),
    (planner.chinchilla_compute, ([1e9, 7e10],)),
    (planner.compute_for_loss, ([2.0, 2.5],)),
    (planner.tokens_for_loss, ([[7e10], [1e11]], [2.0, 2.1, 2.2])),
    (planner.params_for_loss, ([1e12, 1e13], 2.2)),
    (planner.overtrain_loss, (1e23, [[1], [20], [200]])),
    (planner.overtrain_penalty, ([1e22, 1e23], [20, 200])),
    (planner.overtrain_overhead, (1e23, [[2e10, 4e10]])),
])
def test_broadcasts_like_a_ufunc(func, args):
    out = func(*args)
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    assert isinstance(out, np.ndarray) and out.shape == shape and np.all(np.isfinite(out))
    # Each element equals the scalar call.
    for idx in np.ndindex(shape):
        scalar = func(*(np.broadcast_to(np.asarray(a, float), shape)[idx] for a in args))
        assert isinstance(scalar, float)
        assert scalar == pytest.approx(out[idx], rel=1e-14)


# --- bad input -------------------------------------------------------------------------

FUNCS = {
    "chinchilla_n": (planner.chinchilla_n, [("compute", 1e24)]),
    "chinchilla_d": (planner.chinchilla_d, [("compute", 1e24)]),
    "chinchilla_loss": (planner.chinchilla_loss, [("compute", 1e24)]),
    "chinchilla_compute": (planner.chinchilla_compute, [("params", 7e10)]),
    "compute_for_loss": (planner.compute_for_loss, [("target_loss", 2.0)]),
    "tokens_for_loss": (planner.tokens_for_loss, [("params", 7e10), ("target_loss", 2.0)]),
    "params_for_loss": (planner.params_for_loss, [("tokens", 1e13), ("target_loss", 2.0)]),
    "overtrain_loss": (planner.overtrain_loss, [("compute", 1e23), ("tokens_per_param", 100)]),
    "overtrain_penalty": (planner.overtrain_penalty, [("compute", 1e23), ("tokens_per_param", 100)]),
    "overtrain_overhead": (planner.overtrain_overhead, [("compute", 1e23), ("params", 5e9)]),
}
CASES = [(f, i) for f, (_, args) in FUNCS.items() for i in range(len(args))]


@pytest.mark.parametrize("value, match", BAD_NUMBERS)
@pytest.mark.parametrize("fname, position", CASES)
def test_bad_numbers_are_named(fname, position, value, match):
    func, args = FUNCS[fname]
    values = [v for _, v in args]
    values[position] = value
    with pytest.raises(planner.PlannerError, match=f"^{args[position][0]} {match}"):
        func(*values)


@pytest.mark.parametrize("fname", FUNCS)
@pytest.mark.parametrize("law, match", [("gpt", "not a known preset; known: epoch, chinchilla, chinchilla-printed, kaplan"),
                                        ([1, 2], "5 values"),
                                        ([1, 2, 3, float("nan"), 1], "alpha must be a finite")])
def test_bad_laws_are_named(fname, law, match):
    func, args = FUNCS[fname]
    with pytest.raises(planner.PlannerError, match=match):
        func(*[v for _, v in args], law)


@pytest.mark.parametrize("fname", ["compute_for_loss", "tokens_for_loss", "params_for_loss"])
def test_loss_at_or_below_e_is_an_error(fname):
    func, args = FUNCS[fname]
    e = PUBLISHED["epoch"]["E"]  # the default law's
    values = [v if n != "target_loss" else e for n, v in args]
    with pytest.raises(planner.PlannerError, match=f"target_loss {e:g} equals the irreducible loss E={e:g} of law 'epoch'"):
        func(*values)


@pytest.mark.parametrize("fname", FUNCS)
@pytest.mark.parametrize("extreme", [1e-300, 1e-30, 1e30, 1e300])
def test_extreme_inputs_give_a_number_or_an_error_never_a_warning(fname, extreme):
    func, args = FUNCS[fname]
    for position in range(len(args)):
        values = [v for _, v in args]
        values[position] = extreme if args[position][0] != "target_loss" else PUBLISHED["epoch"]["E"] + extreme
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                out = func(*values)
            except planner.PlannerError as exc:
                assert args[0][0] in str(exc) or args[-1][0] in str(exc)
            else:
                assert np.isfinite(out)


@pytest.mark.parametrize("func, args, match", [
    (planner.tokens_for_loss, ([7e10, 1e11], [2.0, 2.1, 2.2]),
     r"target_loss \(shape \(3,\)\) does not match params \(shape \(2,\)\)"),
    (planner.params_for_loss, ([1e12, 1e13], [[2.0, 2.1, 2.2]]), "target_loss .* does not match tokens"),
    (planner.overtrain_loss, ([1e22, 1e23], [1, 2, 3]), "tokens_per_param .* does not match compute"),
    (planner.overtrain_penalty, ([1e22, 1e23], [1, 2, 3]), "does not match compute"),
    (planner.overtrain_overhead, ([1e22, 1e23], [1e9, 2e9, 3e9]), "params .* does not match compute"),
    (planner.scaling_loss, ([1e9, 2e9], [1e10, 2e10, 3e10]), "tokens .* does not match params"),
    (planner.train_flops, (1e9, [1e10, 2e10], [6, 6, 6]), "flops_per_param_token .* does not match tokens"),
])
def test_mismatched_shapes_are_named(func, args, match):
    with pytest.raises(planner.PlannerError, match=match + r".*: give equal lengths, or a row against a column"):
        func(*args)


@pytest.mark.parametrize("name", NAMES)
def test_smallest_params_is_where_unlimited_data_just_reaches_the_loss(name):
    loss = irreducible(name) + np.array([0.05, 0.3, 1.0])
    if name == "kaplan":  # L = (Nc/N)^aN with D unlimited
        expected = KAPLAN["Nc"] / loss ** (1 / KAPLAN["aN"])
    else:
        q = PUBLISHED[name]
        expected = (q["A"] / (loss - q["E"])) ** (1 / q["alpha"])
    np.testing.assert_allclose(planner.smallest_params(loss, name), expected, rtol=1e-12)
    # Just above it the loss is reachable with enough tokens; at it, never.
    assert np.all(np.isfinite(planner.tokens_for_loss(expected * 1.01, loss, name)))
    with pytest.raises(planner.PlannerError):
        planner.tokens_for_loss(expected[0] * 0.99, loss[0], name)
