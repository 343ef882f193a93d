"""Fitting scaling laws: the published replication, synthetic laws, intervals, bad input."""

import csv
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import planner
from planner import fitting
from workbook import cli

RUNS_CSV = Path(__file__).parents[1] / ".." / "shared" / "data" / "chinchilla_figure4_runs.csv"

# Besiroglu et al. 2024, "Chinchilla Scaling: A replication attempt", Table 1: estimates
# (standard errors) of their Approach 3 refit on the 240 runs left after dropping the 5
# highest losses: E 1.8172 (0.03), A 482.01 (124.58), B 2085.43 (1293.23),
# alpha 0.3478 (0.02), beta 0.3658 (0.02).
PUBLISHED = np.array([1.8172, 482.01, 2085.43, 0.3478, 0.3658])
PUBLISHED_SE = np.array([0.03, 124.58, 1293.23, 0.02, 0.02])


def load_runs():
    with RUNS_CSV.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    return n, c / (6 * n), loss


@pytest.fixture(scope="module")
def runs240():
    n, d, loss = load_runs()
    keep = np.argsort(loss)[:-5]  # the replication drops the 5 highest losses
    return n[keep], d[keep], loss[keep]


@pytest.fixture(scope="module")
def fitted(runs240):
    return planner.fit_scaling_law(*runs240)


def huber_objective(law, n, d, loss, delta=1e-3):
    """Approach 3 objective written out again: sum of Huber(log L - log L_hat)."""
    E, A, B, alpha, beta = law
    r = np.log(loss) - np.log(E + A / n**alpha + B / d**beta)
    return np.sum(np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)))


def chinchilla_form(law, n, d):
    E, A, B, alpha, beta = law
    return E + A / n**alpha + B / d**beta


# --- the published replication ------------------------------------------------------------

def test_data_has_245_runs_and_240_after_dropping_five():
    n, d, loss = load_runs()
    assert n.size == 245
    assert np.sum(loss < np.sort(loss)[-5]) == 240


def test_reproduces_published_estimates_within_a_tenth_of_their_standard_errors(fitted):
    assert fitted.shape == (5,)
    assert np.all(np.abs(fitted - PUBLISHED) < 0.1 * PUBLISHED_SE), fitted


def test_fit_is_at_least_as_good_as_published_estimates(fitted, runs240):
    # The published numbers are rounded; the optimum must not be worse than them.
    assert huber_objective(fitted, *runs240) <= huber_objective(PUBLISHED, *runs240)


def test_fit_is_a_stationary_point_of_the_objective(fitted, runs240):
    # Central differences of the independently written objective, in (log A, log B, log E,
    # alpha, beta): zero gradient at the optimum up to the curvature times the step.
    raw = np.array([np.log(fitted[1]), np.log(fitted[2]), np.log(fitted[0]), fitted[3], fitted[4]])

    def f(p):
        return huber_objective([np.exp(p[2]), np.exp(p[0]), np.exp(p[1]), p[3], p[4]], *runs240)

    f0, h = f(raw), 1e-6
    for i in range(5):
        step = np.eye(5)[i] * h
        assert f(raw + step) >= f0 - 1e-13 and f(raw - step) >= f0 - 1e-13


def test_fit_is_deterministic_and_remembered(fitted, runs240):
    fitting.clear_cache()
    again = planner.fit_scaling_law(*runs240)
    assert np.array_equal(again, fitted)
    again[0] = -1.0  # the caller's copy; the remembered fit is untouched
    assert np.array_equal(planner.fit_scaling_law(*runs240), fitted)


def test_units_do_not_matter(fitted, runs240):
    # Parameters in millions and tokens in billions: same E and exponents, A and B rescaled.
    n, d, loss = runs240
    E, A, B, alpha, beta = fitted
    got = planner.fit_scaling_law(n / 1e6, d / 1e9, loss)
    assert got == pytest.approx([E, A * 1e6**-alpha, B * 1e9**-beta, alpha, beta], rel=1e-4)


def test_fitted_row_is_a_law_for_every_formula(fitted):
    law = planner.resolve_law(fitted)
    assert np.array_equal(law.params(), fitted)
    assert planner.resolve_law([list(fitted)]).params().tolist() == fitted.tolist()  # a 1x5 range
    E, A, B, alpha, beta = fitted
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    assert planner.chinchilla_n(1e24, fitted) == pytest.approx(G * (1e24 / 6) ** (beta / (alpha + beta)),
                                                               rel=1e-12)
    assert planner.scaling_loss(1e9, 2e10, fitted) == pytest.approx(chinchilla_form(fitted, 1e9, 2e10))


def test_catalog_entries():
    entry = planner.CATALOG["fit_scaling_law"]
    assert entry.returns == "row" and entry.fields == ("E", "A", "B", "alpha", "beta")
    assert [p.arg.kind for p in entry.params] == ["data", "data", "data", "option", "text", "data"]
    ci = planner.CATALOG["fit_scaling_law_ci"]
    assert ci.returns == "table" and ci.row_labels == ("estimate", "low", "high")
    assert [p.name for p in ci.params] == ["params", "tokens", "losses", "level", "resamples", "seed"]
    assert planner.CATALOG["fit_power_law"].fields == ("L0", "x0", "alpha")


# --- synthetic laws ---------------------------------------------------------------------

def synthetic_runs(law, sizes=np.logspace(7, 10, 8), per_size=6, span=(5.0, 200.0)):
    """Runs at several token budgets for each model size, with losses from `law` exactly."""
    n = np.repeat(sizes, per_size)
    ratio = np.tile(np.geomspace(*span, per_size), sizes.size)
    d = n * ratio
    return n, d, chinchilla_form(law, n, d)


def test_recovers_hoffmann_law_from_exact_data():
    true = np.array([1.69, 406.4, 410.7, 0.34, 0.28])  # Hoffmann et al. 2022, eq. 10
    got = planner.fit_scaling_law(*synthetic_runs(true))
    assert got == pytest.approx(true, rel=1e-4)


def test_recovers_law_despite_noise_and_outliers():
    true = np.array([1.8, 500.0, 2000.0, 0.35, 0.37])
    n, d, loss = synthetic_runs(true, sizes=np.logspace(7, 10, 12))
    rng = np.random.default_rng(1)
    loss = loss * np.exp(rng.normal(0, 0.002, loss.size))
    loss[::17] *= 1.3  # a few diverged runs; the Huber loss discounts them
    got = planner.fit_scaling_law(n, d, loss)
    assert got[0] == pytest.approx(true[0], rel=0.01)
    assert got[3:] == pytest.approx(true[3:], abs=0.02)
    # The fitted law predicts the clean runs to within the noise.
    clean = np.ones(loss.size, bool)
    clean[::17] = False
    assert np.abs(np.log(chinchilla_form(got, n, d) / chinchilla_form(true, n, d)))[clean].max() < 0.01


@settings(max_examples=12, deadline=None)
@given(E=st.floats(1.0, 3.0), share_n=st.floats(0.1, 1.0), share_d=st.floats(0.1, 1.0),
       alpha=st.floats(0.2, 0.6), beta=st.floats(0.2, 0.6))
def test_recovers_random_laws_from_exact_data(E, share_n, share_d, alpha, beta):
    # Laws whose two reducible terms are each 10% to 100% of E at a mid-sized run (N = 3e8,
    # D = 3e9), so that the runs determine all five numbers.
    A, B = share_n * E * 3e8**alpha, share_d * E * 3e9**beta
    true = np.array([E, A, B, alpha, beta])
    n, d, loss = synthetic_runs(true)
    got = planner.fit_scaling_law(n, d, loss)
    assert np.abs(np.log(chinchilla_form(got, n, d) / loss)).max() < 1e-6
    assert got == pytest.approx(true, rel=1e-3)


def test_power_law_recovers_synthetic_law():
    c = np.logspace(17, 23, 13)
    L0, c0, alpha = 1.7, 3.1e8, 0.05  # Henighan et al. 2020 form, L = L0 + (C0/C)^alpha
    got = planner.fit_power_law(c, L0 + (c0 / c) ** alpha)
    assert got == pytest.approx([L0, c0, alpha], rel=1e-6)


def test_power_law_without_floor():
    x = np.logspace(0, 4, 9)
    got = planner.fit_power_law(x, (50.0 / x) ** 0.7)
    assert got[0] == pytest.approx(0.0, abs=1e-8)
    assert got[1:] == pytest.approx([50.0, 0.7], rel=1e-6)


def test_power_law_fits_noisy_data_within_noise():
    x = np.logspace(1, 5, 25)
    rng = np.random.default_rng(3)
    y = (2.0 + (30.0 / x) ** 0.3) * np.exp(rng.normal(0, 0.003, x.size))
    L0, x0, alpha = planner.fit_power_law(x, y)
    assert np.abs(np.log((L0 + (x0 / x) ** alpha) / y)).max() < 0.012
    assert alpha == pytest.approx(0.3, abs=0.05)


# --- bootstrap intervals ----------------------------------------------------------------

@pytest.fixture(scope="module")
def ci50(runs240):
    return planner.fit_scaling_law_ci(*runs240, 0.8, 50, 7)


def test_ci_is_reproducible_for_a_seed(runs240, ci50):
    fitting.clear_cache()  # recompute, rather than recall the remembered block
    again = planner.fit_scaling_law_ci(*runs240, level=0.8, resamples=50, seed=7)
    assert np.array_equal(ci50, again)
    other = planner.fit_scaling_law_ci(*runs240, level=0.8, resamples=50, seed=8)
    assert not np.array_equal(ci50[1:], other[1:])


def test_ci_block_has_estimate_inside_interval(ci50, fitted):
    assert ci50.shape == (3, 5)
    assert np.array_equal(ci50[0], fitted)
    assert np.all(ci50[1] < ci50[0]) and np.all(ci50[0] < ci50[2])


def test_ci_widens_with_level_and_reports_progress(runs240, ci50):
    seen = []
    wide = fitting.bootstrap_scaling_law(*runs240, level=0.95, resamples=50, seed=7,
                                         progress=seen.append)
    assert sum(seen) == 50
    # Same resamples, wider percentiles.
    assert np.all(wide[1] <= ci50[1]) and np.all(wide[2] >= ci50[2])


@pytest.mark.parametrize("kwargs, match", [
    ({"level": 1.0}, "level must be a fraction between 0 and 1"),
    ({"level": 0}, "level must be a fraction between 0 and 1"),
    ({"level": "80%"}, "level must be a number; got '80%'"),
    ({"resamples": 5}, "resamples must be from 10 to 10000; got 5"),
    ({"resamples": 100.5}, "resamples must be a positive whole number; got 100.5"),
    ({"resamples": 10**6}, "resamples must be from 10 to 10000; got 1e[+]06"),
    ({"seed": -1}, "seed must be a whole number, 0 or more; got -1"),
    ({"seed": 10**400}, "seed must be a finite number; got an integer beyond the floating-point range"),
    ({"resamples": 10**400}, "resamples must be a finite number; got an integer beyond"),
    ({"level": 10**400}, "level must be a finite number; got an integer beyond"),
])
def test_ci_bad_arguments(runs240, kwargs, match):
    with pytest.raises(planner.PlannerError, match=match):
        planner.fit_scaling_law_ci(*runs240, **kwargs)


# --- data columns and bad input ---------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    return synthetic_runs(np.array([1.69, 406.4, 410.7, 0.34, 0.28]), sizes=np.logspace(7, 9, 4),
                          per_size=3)


def test_blank_and_text_rows_are_skipped_with_a_count(small):
    n, d, loss = (list(map(float, col)) for col in small)
    expected = planner.fit_scaling_law(n, d, loss)
    n2, d2, l2 = n + [1e9, None, 3e9], d + [None, 2e10, "n/a"], loss + [2.5, 2.4, float("nan")]
    with pytest.warns(planner.PlannerWarning, match=r"skipped 3 of 15 rows"):
        got = planner.fit_scaling_law(n2, d2, l2)
    assert np.array_equal(got, expected)


def test_blank_padding_rows_and_excel_columns_are_accepted_silently(small):
    n, d, loss = small
    expected = planner.fit_scaling_law(n, d, loss)
    # A 2-D column as a spreadsheet range gives it, with empty rows below the data.
    cols = [[[v] for v in col] + [[None]] * 4 for col in (n, d, loss)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = planner.fit_scaling_law(*cols)
    assert np.array_equal(got, expected)


def test_excel_adapter_spills_the_fitted_row(small):
    from workbook.addin import cells as excel
    cols = [[[float(v)] for v in col] + [[None], ["#N/A"]] for col in small]
    row = excel.evaluate("FIT_SCALING_LAW", cols)
    assert np.array(row, dtype=float).ravel() == pytest.approx(planner.fit_scaling_law(*small))


@pytest.mark.parametrize("cols, match", [
    (([1e8, 2e8, 3e8, 4e8, 5e8, 6e8], [1e9] * 5, [3.0] * 6), "must have the same number of rows; got 6, 5 and 6"),
    (([1e8, 2e8, 3e8, 4e8], [1e9, 2e9, 3e9, 4e9], [3.0, 2.9, 2.8, 2.7]), "at least 5 complete rows"),
    (([1e8, 2e8, None, 4e8, 5e8, "x"], [1e9, 2e9, 3e9, 4e9, 5e9, 6e9], [3.0, 2.9, 2.8, 2.7, 2.6, 2.5]),
     "at least 5 complete rows .* got 4 after skipping 2"),
    (([1e8, -2e8, 3e8, 4e8, 5e8], [1e9, 2e9, 3e9, 4e9, 5e9], [3.0, 2.9, 2.8, 2.7, 2.6]),
     r"params must be positive and finite; got -2e\+08 \(row 2\)"),
    (([1e8, 2e8, 3e8, 4e8, 5e8], [1e9, 2e9, 3e9, 4e9, 5e9], [3.0, 2.9, 0.0, 2.7, 2.6]),
     r"losses must be positive and finite; got 0 \(row 3\)"),
    (([1e8, 2e8, 3e8, 4e8, 5e8], [1e9, 2e9, float("inf"), 4e9, 5e9], [3.0, 2.9, 2.8, 2.7, 2.6]),
     "tokens must be positive and finite; got inf"),
    (([1e8] * 6, [1e9, 2e9, 3e9, 4e9, 5e9, 6e9], [3.0, 2.9, 2.8, 2.7, 2.6, 2.5]),
     "params must take at least 2 different values"),
    ((1e9, [1e9] * 5, [3.0] * 5), "params must be a column"),
    (("A1:A5", [1e9] * 5, [3.0] * 5), "params must be a column"),
    (([[1e8, 2e8], [3e8, 4e8]], [1e9] * 4, [3.0] * 4), "single column or row; got a block of 2 rows x 2"),
    (([[1e8], [2e8, 3e8]], [1e9] * 2, [3.0] * 2), "params must be a column .*not"),
    ((np.float64(1e9), [1e9] * 5, [3.0] * 5), "params must be a column"),
    # An integer beyond the float range in a cell is out of range, not a crash.
    (([1e8, 2e8, 3e8, 4e8, 10**400], [1e9, 2e9, 3e9, 4e9, 5e9], [3.0, 2.9, 2.8, 2.7, 2.6]),
     r"params must be positive and finite; got inf \(row 5\)"),
])
def test_bad_data(cols, match):
    with pytest.raises(planner.PlannerError, match=match):
        planner.fit_scaling_law(*cols)


CELLS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(), st.text(max_size=3),
                  st.booleans(), st.integers(-5, 10**12), st.just(10**400))


@settings(max_examples=60, deadline=None)
@given(x=st.lists(CELLS, max_size=8), y=st.lists(CELLS, max_size=8))
def test_power_law_on_any_cells_gives_a_law_or_a_planner_error(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planner.PlannerWarning)
        try:
            got = planner.fit_power_law(x, y)
        except planner.PlannerError:
            return
    assert got.shape == (3,) and np.all(np.isfinite(got)) and got[0] >= 0 and got[2] > 0


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=0, max_size=9))
def test_scaling_law_on_any_cells_gives_a_law_or_a_planner_error(rows):
    cols = [list(c) for c in zip(*rows)] or [[], [], []]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", planner.PlannerWarning)
        try:
            got = planner.fit_scaling_law(*cols)
        except planner.PlannerError:
            return
    assert np.all(np.isfinite(got)) and np.all(got[3:] > 0)
    planner.resolve_law(got)


def test_bad_huber_delta(small):
    for bad in (0, -1e-3, "x", float("nan"), 10**400, 1e-308, 5e-324):
        with pytest.raises(planner.PlannerError, match="huber_delta must be (positive|a|at least 1e-09)"):
            planner.fit_scaling_law(*small, huber_delta=bad)


def test_a_huber_delta_beyond_every_residual_is_least_squares(small):
    # With delta past every residual the Huber loss is the squared error, whatever delta is:
    # a huge delta must give the least-squares law, not stop at the first starting point.
    n, d, loss = small
    lsq = planner.fit_scaling_law(n, d, loss, huber_delta=1.0)
    for delta in (1e3, 1e300):
        got = planner.fit_scaling_law(n, d, loss, huber_delta=delta)
        np.testing.assert_allclose(got, lsq, rtol=1e-5)


def test_loss_rising_with_scale_is_no_law():
    # Bigger models and more tokens give a higher loss: no law with positive exponents fits.
    n, d = np.meshgrid(np.logspace(7, 9, 4), np.logspace(9, 11, 4))
    loss = 1.5 + 0.05 * np.log(n) + 0.03 * np.log(d)
    with pytest.raises(planner.PlannerError, match="did not converge to a usable law"):
        planner.fit_scaling_law(n.ravel(), d.ravel(), loss.ravel())


def test_power_law_bad_input():
    with pytest.raises(planner.PlannerError, match="y must fall as x grows"):
        planner.fit_power_law([1, 2, 4, 8, 16], [1.0, 1.5, 2.0, 2.6, 3.1])
    with pytest.raises(planner.PlannerError, match="x must take at least 3 different values"):
        planner.fit_power_law([1, 1, 2, 2], [3.0, 3.0, 2.0, 2.0])
    with pytest.raises(planner.PlannerError, match="at least 3 complete rows"):
        planner.fit_power_law([1, 2], [3.0, 2.0])
    with pytest.raises(planner.PlannerError, match="y must be positive"):
        planner.fit_power_law([1, 2, 3], [3.0, -2.0, 1.0])
    with pytest.raises(planner.PlannerError, match="same number of rows"):
        planner.fit_power_law([1, 2, 3, 4], [3.0, 2.0, 1.0])


def test_start_grid_is_the_243_point_grid():
    grid = {tuple(p) for p in fitting.START_GRID}
    assert grid == set(itertools.product((0, 10, 20), (0, 10, 20), (-1, 0, 1), (0, 0.5, 1), (0, 0.5, 1)))


# --- the command line -------------------------------------------------------------------

def test_cli_fit_prints_law_and_exponents(capsys, fitted):
    assert cli.main(["fit", str(RUNS_CSV), "--drop-highest", "5"]) == 0
    out = capsys.readouterr().out
    assert "to 240 runs" in out
    E, A, B, alpha, beta = fitted
    assert f"a = beta/(alpha+beta) = {beta / (alpha + beta):.4f}" in out
    assert f"b = alpha/(alpha+beta) = {alpha / (alpha + beta):.4f}" in out
    law = out.split("{")[1].split("}")[0]
    assert np.array(law.split(","), dtype=float) == pytest.approx(fitted, rel=1e-5)


def test_cli_fit_with_intervals_and_tokens_column(tmp_path, capsys, small):
    path = tmp_path / "runs.csv"
    rows = ["params,tokens,loss"] + [f"{a},{b},{c}" for a, b, c in zip(*small)] + ["1e9,,2.5"]
    path.write_text("\n".join(rows) + "\n")
    assert cli.main(["fit", str(path), "--ci", "--resamples", "20", "--level", "0.9"]) == 0
    captured = capsys.readouterr()
    assert "90% bootstrap interval, 20 resamples, seed 0" in captured.out
    assert "planner: warning: skipped 1 of 13 rows" in captured.err


@pytest.mark.parametrize("content, args, match", [
    (None, [], "no such file"),
    ("size,loss\n1,2\n", [], "no column for params, tokens"),
    ("params,tokens,loss\n1e8,1e9,3\n2e8,2e9,2.9\n", [], "at least 5 complete rows"),
    ("params,tokens,loss\n1e8,1e9,3\n", ["--drop-highest", "1"], "would leave no runs"),
    ("params,tokens,loss\n1e8,1e9,3\n", ["--ci", "--level", "2"], "level must be a fraction"),
])
def test_cli_fit_errors_are_one_line(tmp_path, capsys, content, args, match):
    path = tmp_path / "runs.csv"
    if content is not None:
        path.write_text(content)
    assert cli.main(["fit", str(path), *args]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("planner: ") and "\n" not in err
    assert match in err


# --- objectives and weights ------------------------------------------------------------

def _noisy_runs(seed=0):
    law = planner.PRESETS["epoch"]
    rng = np.random.default_rng(seed)
    n = np.repeat(np.logspace(7.5, 10, 8), 4)
    d = n * np.tile([5.0, 10.0, 20.0, 80.0], 8)
    return n, d, law.loss(n, d) * np.exp(0.02 * rng.standard_normal(n.size))


def test_least_squares_is_huber_without_a_threshold():
    n, d, loss = _noisy_runs()
    lsq = planner.fit_scaling_law(n, d, loss, objective="lsq")
    wide = planner.fit_scaling_law(n, d, loss, huber_delta=10.0)  # every residual inside delta
    # The same optimum, found to the optimiser's tolerance: A and alpha trade off against each
    # other, so they agree to a few parts in a million (where the optimiser stops depends on
    # the machine's floating-point kernels) and the losses they predict to far better.
    np.testing.assert_allclose(lsq, wide, rtol=1e-5)
    np.testing.assert_allclose(planner.scaling_loss(n, d, lsq), planner.scaling_loss(n, d, wide), rtol=1e-6)
    assert not np.allclose(lsq, planner.fit_scaling_law(n, d, loss), rtol=1e-4)  # Huber differs


def test_a_whole_number_weight_counts_as_that_many_copies_of_the_run():
    n, d, loss = _noisy_runs(1)
    weights = np.ones(n.size)
    weights[[3, 10, 20]] = 3.0
    weighted = planner.fit_scaling_law(n, d, loss, objective="lsq", weights=weights)
    rows = np.repeat(np.arange(n.size), weights.astype(int))
    copied = planner.fit_scaling_law(n[rows], d[rows], loss[rows], objective="lsq")
    np.testing.assert_allclose(weighted, copied, rtol=1e-5)
    with pytest.raises(planner.PlannerError, match="weights leave 0 runs with a positive weight"):
        planner.fit_scaling_law(n, d, loss, weights=np.zeros(n.size))
    with pytest.raises(planner.PlannerError, match="weights must be zero or positive and finite; got -1"):
        planner.fit_scaling_law(n, d, loss, weights=-np.ones(n.size))


def test_a_zero_weight_leaves_the_run_out():
    n, d, loss = _noisy_runs(2)
    weights = np.ones(n.size)
    weights[:4] = 0.0
    np.testing.assert_array_equal(planner.fit_scaling_law(n, d, loss, weights=weights),
                                  planner.fit_scaling_law(n[4:], d[4:], loss[4:]))


def test_the_asymmetric_objective_fits_the_lower_envelope():
    n, d, loss = _noisy_runs(2)

    def share_below(law):
        return np.mean(loss < planner.scaling_loss(n, d, list(law)))

    assert 0.3 < share_below(planner.fit_scaling_law(n, d, loss)) < 0.7  # Huber: through the middle
    assert share_below(planner.fit_scaling_law(n, d, loss, objective="asymmetric")) < 0.2
    with pytest.raises(planner.PlannerError) as err:
        planner.fit_scaling_law(n, d, loss, objective="median")
    assert err.value.argument == "objective" and err.value.kind == "type"


def _isoflop_runs(law, budgets, sizes_per_budget=9, spread=1.0):
    """Runs on IsoFLOP profiles: for each budget, model sizes spaced evenly in log N over
    +-spread decades around the law's optimum, each trained on the rest of the budget."""
    n, d, loss = [], [], []
    for c in budgets:
        best = planner.chinchilla_n(c, law)
        for size in best * np.logspace(-spread, spread, sizes_per_budget):
            n.append(size)
            d.append(c / (6 * size))
            loss.append(planner.scaling_loss(size, c / (6 * size), law))
    return np.array(n), np.array(d), np.array(loss)


@pytest.mark.parametrize("law", ["epoch", "chinchilla"])
def test_isoflop_profiles_recover_the_laws_exponents(law):
    """On runs of a known law, Approach 2 gives its exponent a = beta/(alpha+beta) (to the
    parabola's small bias) and its N_opt."""
    budgets = np.logspace(18, 22, 5)
    a, b, k_n, k_d = planner.fit_isoflop(*_isoflop_runs(law, budgets, spread=0.5))
    q = planner.PRESETS[law]
    assert a == pytest.approx(q.a, abs=0.01) and b == pytest.approx(1 - a, abs=1e-12)
    assert k_n * 1e20 ** a == pytest.approx(planner.chinchilla_n(1e20, law), rel=0.05)
    assert k_d == pytest.approx(1 / (6 * k_n), rel=1e-12)


def test_isoflop_needs_two_profiles():
    n, d, loss = _isoflop_runs("epoch", [1e20])
    with pytest.raises(planner.PlannerError, match="need at least two IsoFLOP profiles"):
        planner.fit_isoflop(n, d, loss)
