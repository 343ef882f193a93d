import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner

# Muennighoff et al. 2023, Appendix A (eq. 17) and the authors' repository
# (github.com/huggingface/datablations, README "Parametric Fit"): their C4 fit, stored as
# logs for E, A, B, and the unrounded decay constants, which are the planner's defaults.
PAPER_LAW = [math.exp(0.6254804), math.exp(6.255414), math.exp(7.3049974), 0.3526596, 0.3526596]
PAPER_RD, PAPER_RN = 15.387756, 5.309743
R_D, R_N = PAPER_RD, PAPER_RN

sizes = st.floats(1e3, 1e15)


def decayed(amount, unique, r_star):
    """The paper's decay (section 3) written out again, one value at a time."""
    if amount <= unique:
        return amount
    repeats = amount / unique - 1
    return unique + unique * r_star * (1 - math.exp(-repeats / r_star))


# --- effective tokens and parameters ------------------------------------------------------

def test_effective_tokens_matches_the_closed_form():
    d = [5e11, 1e12, 2e12, 4e12, 4e13]
    got = planner.effective_tokens(d, 1e12)
    assert np.allclose(got, [decayed(x, 1e12, R_D) for x in d], rtol=1e-12)


def test_four_epochs_are_almost_fresh_data_and_forty_are_not():
    # Muennighoff et al. 2023: up to ~4 epochs repeated data is nearly as good as unique data;
    # at 40 epochs most of the extra passes are worth little.
    u = 1e11
    assert planner.effective_tokens(4 * u, u) / (4 * u) > 0.9
    assert planner.effective_tokens(40 * u, u) / (40 * u) < 0.5


def test_four_epochs_give_most_of_the_loss_reduction_of_fresh_data():
    u = 1e11
    n = planner.data_optimal_params(u)
    one_epoch = planner.scaling_loss(n, u)
    fresh = planner.scaling_loss(n, 4 * u)
    repeated = planner.data_constrained_loss(n, 4 * u, u)
    assert fresh < repeated < one_epoch
    assert (one_epoch - repeated) / (one_epoch - fresh) > 0.95


def test_repeated_data_saturates_at_one_plus_r_star_epochs():
    u = 1e9
    assert planner.effective_tokens(1e6 * u, u) == pytest.approx(u * (1 + R_D), rel=1e-9)
    # After r_star repetitions, one more pass is worth 1/e of fresh data.
    slope_at_r_star = (planner.effective_tokens(u * (1 + R_D + 1e-4), u)
                       - planner.effective_tokens(u * (1 + R_D), u)) / (1e-4 * u)
    assert slope_at_r_star == pytest.approx(math.exp(-1), rel=1e-3)


def test_extreme_repetition_saturates_without_overflow():
    # D/U overflows to infinity; the value still saturates at U (1 + R*), with no warning.
    assert planner.effective_tokens(1e30, 1e-300) == pytest.approx(1e-300 * (1 + R_D), rel=1e-12)
    assert planner.effective_params(1e300, 1e-300) == pytest.approx(1e-300 * (1 + R_N), rel=1e-12)
    assert planner.effective_tokens(1e300, 1e300, 1e300) == 1e300


@settings(max_examples=200, deadline=None)
@given(d=sizes, u=sizes, r=st.floats(0.1, 100))
def test_effective_tokens_never_exceed_tokens(d, u, r):
    eff = planner.effective_tokens(d, u, r)
    assert eff <= d * (1 + 1e-12)
    assert eff <= u * (1 + r) * (1 + 1e-12)
    if d <= u:
        assert eff == d


@settings(max_examples=100, deadline=None)
@given(d=sizes, u=sizes)
def test_more_tokens_are_never_worth_less(d, u):
    assert planner.effective_tokens(d * 1.01, u) >= planner.effective_tokens(d, u)


def test_effective_params_decay_beyond_the_data_optimal_size():
    assert planner.effective_params(5e9, 1e10) == 5e9
    got = planner.effective_params([1e10, 3e10, 1e12], 1e10)
    assert np.allclose(got, [decayed(n, 1e10, R_N) for n in (1e10, 3e10, 1e12)], rtol=1e-12)
    assert planner.effective_params(1e15, 1e10) == pytest.approx(1e10 * (1 + R_N), rel=1e-9)


def test_data_optimal_params_is_the_model_whose_optimal_data_is_the_unique_data():
    # kaplan is left out: its allocation functions follow the paper's frontier, while U_N is
    # the optimum of the law itself.
    for law in ("chinchilla", "epoch", "muennighoff"):
        u = np.array([1e9, 3e11, 1e13])
        n = planner.data_optimal_params(u, law)
        budget = planner.chinchilla_compute(n, law)
        assert np.allclose(planner.chinchilla_d(budget, law), u, rtol=1e-9)


# --- the data-constrained loss ------------------------------------------------------------

def test_the_muennighoff_preset_is_the_papers_c4_law():
    """Appendix A, eq. 17 prints the fit as L = 521/N'^0.35 + 1488/D'^0.35 + 1.87 with
    U_N = 0.051 U_D; the preset holds the unrounded numbers behind it."""
    assert planner.law_params("muennighoff").tolist() == PAPER_LAW
    e, a, b, alpha, beta = planner.law_params("muennighoff")
    assert (round(a), round(b), round(e, 2), round(alpha, 2)) == (521, 1488, 1.87, 0.35)
    assert round(planner.data_optimal_params(1e11, "muennighoff") / 1e11, 3) == 0.051
    # The decay constants it was fitted with are the defaults of every data function.
    sig = planner.CATALOG["data_constrained_loss"]
    defaults = {p.name: p.default for p in sig.params}
    assert (defaults["r_star_tokens"], defaults["r_star_params"]) == (PAPER_RD, PAPER_RN)
    assert planner.data_constrained_loss(8.67e9, 178e9, 25e9, "muennighoff") == \
        planner.data_constrained_loss(8.67e9, 178e9, 25e9, PAPER_LAW, PAPER_RD, PAPER_RN)


def test_loss_matches_the_authors_published_values():
    # README "Parametric Fit": the two models of Figure 1 (right), 25B unique tokens.
    fewer_params = planner.data_constrained_loss(6.34e9, 242e9, 25e9, PAPER_LAW, PAPER_RD, PAPER_RN)
    chinchilla_like = planner.data_constrained_loss(8.67e9, 178e9, 25e9, PAPER_LAW, PAPER_RD, PAPER_RN)
    assert fewer_params == pytest.approx(2.2256440889984477, rel=1e-12)
    assert chinchilla_like == pytest.approx(2.2269634075087867, rel=1e-12)


def test_loss_is_the_plain_law_without_repetition_or_excess_parameters():
    d, u = 1e12, 2e12
    for law in ("chinchilla", "epoch", "kaplan"):
        n = 0.5 * planner.data_optimal_params(d, law)
        assert planner.data_constrained_loss(n, d, u, law) == pytest.approx(
            planner.scaling_loss(n, d, law), rel=1e-13)


def test_loss_substitutes_both_effective_quantities():
    n, d, u = 4e10, 1e12, 1e11
    un = planner.data_optimal_params(u)
    assert n > un
    e, a, b, alpha, beta = planner.law_params("epoch")  # the default
    expected = (e + a / decayed(n, un, R_N) ** alpha + b / decayed(d, u, R_D) ** beta)
    assert planner.data_constrained_loss(n, d, u) == pytest.approx(expected, rel=1e-12)
    assert planner.data_constrained_loss(n, d, u) > planner.scaling_loss(n, d)


def test_loss_broadcasts():
    got = planner.data_constrained_loss(np.array([[1e9], [1e10]]), [1e11, 1e12, 1e13], 1e11)
    assert got.shape == (2, 3)
    assert np.all(np.diff(got, axis=1) < 0)  # more (repeated) tokens still help


# --- epochs worth it ----------------------------------------------------------------------

def iso_flop_loss(epochs, u, c, law="epoch"):
    d = np.asarray(epochs) * u
    return planner.data_constrained_loss(c / (6 * d), d, u, law)


@pytest.mark.parametrize("law", ["chinchilla", "epoch", "kaplan"])
@pytest.mark.parametrize("u, c", [(1e11, 1e23), (1e11, 1e24), (5e11, 1e25), (1e10, 1e23),
                                  (1e12, 1e22)])
def test_epochs_minimise_the_loss_along_the_budget(law, u, c):
    best = planner.epochs_worth_it(u, c, law)
    at_best = iso_flop_loss(best, u, c, law)
    grid = np.geomspace(1e-3, 1e4, 4001)
    assert at_best <= iso_flop_loss(grid, u, c, law).min() * (1 + 1e-14)  # rounding only
    # Past the optimum, more repetition buys less than the bigger model it displaces; before
    # it, the other way round.
    assert iso_flop_loss(best * 1.02, u, c, law) > at_best
    assert iso_flop_loss(best / 1.02, u, c, law) > at_best


@settings(max_examples=60, deadline=None)
@given(u=st.floats(1e8, 1e14), c=st.floats(1e18, 1e28))
def test_no_split_of_the_budget_beats_the_optimum(u, c):
    best = planner.epochs_worth_it(u, c)
    grid = np.geomspace(1e-4, 1e5, 801)
    assert iso_flop_loss(best, u, c) <= iso_flop_loss(grid, u, c).min() * (1 + 1e-14)


def test_paper_figure_one_budget_wants_about_nine_epochs():
    # The authors' grid search for 25B unique tokens and the 8.67B x 178B budget prints
    # "227B tokens, 9.1 epochs, 6.8B parameters" (README "Parametric Fit").
    epochs = planner.epochs_worth_it(25e9, 6 * 8.67e9 * 178e9, "muennighoff")
    assert epochs == pytest.approx(9.1, abs=0.1)
    assert epochs * 25e9 == pytest.approx(227e9, rel=0.01)


def test_plentiful_data_gives_the_chinchilla_fraction_of_an_epoch():
    c = np.array([1e21, 1e23])
    u = 10 * planner.chinchilla_d(c)
    assert np.allclose(planner.epochs_worth_it(u, c), 0.1, rtol=1e-12)


def test_scarcer_data_is_repeated_more():
    epochs = planner.epochs_worth_it([1e13, 1e12, 1e11, 1e10], 1e24)
    assert np.all(np.diff(epochs) > 0)
    assert epochs[0] < 1 < epochs[-1]


def test_epochs_broadcast():
    got = planner.epochs_worth_it(np.array([[1e10], [1e11]]), [1e22, 1e23, 1e24])
    assert got.shape == (2, 3)
    assert got[1, 2] == pytest.approx(planner.epochs_worth_it(1e11, 1e24), rel=1e-12)


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: planner.effective_tokens(1e12, 0), "unique_tokens must be positive; got 0"),
    (lambda: planner.effective_tokens(-1, 1e9), "tokens must be positive; got -1"),
    (lambda: planner.effective_tokens(1e12, 1e9, -2), "r_star must be positive; got -2"),
    (lambda: planner.effective_params("big", 1e9), "params must be a number"),
    (lambda: planner.data_constrained_loss(1e9, 1e10, float("nan")), "unique_tokens must be a finite"),
    (lambda: planner.data_constrained_loss(1e9, 1e10, 1e9, 20), "must be a preset name or 5 numbers"),
    (lambda: planner.data_constrained_loss(1e9, 1e10, 1e9, "gopher"), "not a known preset"),
    (lambda: planner.epochs_worth_it([1e9, -5], 1e22), r"unique_tokens must be positive; got -5 tokens \(element 1\)"),
    (lambda: planner.epochs_worth_it(1e9, None), "compute must be a number"),
    (lambda: planner.data_optimal_params(True), "logical value"),
])
def test_bad_input_names_argument_rule_and_value(call, message):
    with pytest.raises(planner.PlannerError, match=message):
        call()


# --- the data-constrained optimum ------------------------------------------------------------

@pytest.mark.parametrize("law", ["epoch", "chinchilla", "kaplan"])
@pytest.mark.parametrize("u, c", [(1e11, 1e23), (1e11, 1e24), (5e11, 1e25), (1e10, 1e23), (1e12, 1e22)])
def test_the_data_constrained_optimum_spends_the_budget_at_the_least_loss(law, u, c):
    n, d = planner.data_constrained_n(u, c, law), planner.data_constrained_d(u, c, law)
    assert 6 * n * d == pytest.approx(c, rel=1e-12)
    assert d == pytest.approx(planner.epochs_worth_it(u, c, law) * u, rel=1e-12)
    # No other split of the budget loses less (searched on a fine grid of model sizes).
    sizes = n * np.geomspace(1e-2, 1e2, 4001)
    losses = planner.data_constrained_loss(sizes, c / (6 * sizes), u, law)
    assert planner.data_constrained_loss(n, d, u, law) <= losses.min() * (1 + 1e-14)


def test_with_enough_data_the_optimum_is_the_compute_optimal_model():
    c = 1e23
    u = 10 * planner.chinchilla_d(c)
    assert planner.data_constrained_n(u, c) == pytest.approx(planner.chinchilla_n(c), rel=1e-12)
    assert planner.data_constrained_d(u, c) == pytest.approx(planner.chinchilla_d(c), rel=1e-12)


def test_the_papers_figure_one_budget_and_data():
    """Muennighoff et al. 2023, Figure 1 (right): 25 B unique tokens and the budget of a 8.67 B
    model on 178 B tokens; their fit prefers fewer parameters trained on repeated data (their
    README: 6.34 B parameters on 242 B tokens beats the Chinchilla-like 8.67 B)."""
    u, c = 25e9, 6 * 8.67e9 * 178e9
    n = planner.data_constrained_n(u, c, PAPER_LAW, PAPER_RD, PAPER_RN)
    d = planner.data_constrained_d(u, c, PAPER_LAW, PAPER_RD, PAPER_RN)
    assert n < 8.67e9 and d > 178e9
    best = planner.data_constrained_loss(n, d, u, PAPER_LAW, PAPER_RD, PAPER_RN)
    assert best <= planner.data_constrained_loss(6.34e9, 242e9, u, PAPER_LAW, PAPER_RD, PAPER_RN)
    assert planner.data_constrained_n([u, 2 * u], c, PAPER_LAW, PAPER_RD, PAPER_RN).shape == (2,)
