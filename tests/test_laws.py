"""The law abstraction, its presets, scaling_loss, train_flops and law_params.

Reference formulas are written out here from the papers, independently of planner's own
general form (which rewrites Kaplan's law as E + (A/N^alpha + B/D^beta)^gamma); the other
core test modules import them from here.
"""

import math

import numpy as np
import pytest

import planner
from planner.laws import PRESETS, Law, RatioRule, resolve_law

# Hoffmann et al. 2022, Approach 3; Besiroglu et al. 2024, Table 1.
PUBLISHED = {
    # Hoffmann et al. 2022, Approach 3 unrounded, as Besiroglu et al. 2024 recovered the
    # estimates (log E, log A, log B, alpha, beta) from the paper's source.
    "chinchilla": dict(E=math.exp(0.5267228), A=math.exp(6.0073404), B=math.exp(6.0179186),
                       alpha=0.33917084, beta=0.2849083),
    # Hoffmann et al. 2022, eq. 10 as printed.
    "chinchilla-printed": dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28),
    # Besiroglu et al. 2024, Table 1.
    "epoch": dict(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658),
    # Muennighoff et al. 2023, Appendix A, eq. 17, unrounded in the authors' repository
    # (huggingface/datablations, "Parametric Fit": log A, log B, log E, alpha, beta).
    "muennighoff": dict(E=math.exp(0.6254804), A=math.exp(6.255414), B=math.exp(7.3049974),
                        alpha=0.3526596, beta=0.3526596),
}
# Kaplan et al. 2020, eq. 1.5 with the constants fitted to it (their Table 2).
KAPLAN = dict(aN=0.076, aD=0.103, Nc=6.4e13, Dc=1.8e13)
# Kaplan et al. 2020, Table 6: N_opt = 1.3e9 Cmin^0.73, Cmin in PF-days; C = 2 Cmin at the
# critical batch size (eq. 5.5).
PF_DAY = 1e15 * 24 * 3600
NAMES = ("epoch", "chinchilla", "chinchilla-printed", "kaplan", "muennighoff")
BUDGETS = np.logspace(15, 32, 171)  # FLOPs, one point per tenth of a decade


def ref_loss(name, n, d):
    """The law as its paper writes it."""
    n, d = np.asarray(n, float), np.asarray(d, float)
    if name == "kaplan":
        k = KAPLAN
        return ((k["Nc"] / n) ** (k["aN"] / k["aD"]) + k["Dc"] / d) ** k["aD"]
    p = PUBLISHED[name]
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]


def ref_optimum(name, c):
    """Compute-optimal (N, D) at C = 6ND, from setting d loss / dN = 0 with D = C / (6N)."""
    c = np.asarray(c, float)
    if name == "kaplan":
        # d/dN [(Nc/N)^p + 6 Dc N / C] = 0  =>  N^(p+1) = p Nc^p C / (6 Dc)
        p = KAPLAN["aN"] / KAPLAN["aD"]
        n = (p * KAPLAN["Nc"] ** p * c / (6 * KAPLAN["Dc"])) ** (1 / (p + 1))
    else:
        # d/dN [A N^-alpha + B (6N/C)^beta] = 0  =>  N^(alpha+beta) = alpha A/(beta B) (C/6)^beta
        q = PUBLISHED[name]
        n = (q["alpha"] * q["A"] / (q["beta"] * q["B"]) * (c / 6) ** q["beta"]) ** (
            1 / (q["alpha"] + q["beta"]))
    return n, c / (6 * n)


def ref_allocation(name, c):
    """What the allocation functions return: the paper's recommendation, which for Kaplan et
    al. is their Table 6 frontier rather than the optimum of their eq. 1.5."""
    if name != "kaplan":
        return ref_optimum(name, c)
    c = np.asarray(c, float)
    n = 1.3e9 * (c / 2 / PF_DAY) ** 0.73
    return n, c / (6 * n)


def ref_compute_for_loss(name, loss):
    """The budget whose optimal model has `loss`, from the optimality condition solved for N."""
    loss = np.asarray(loss, float)
    if name == "kaplan":
        # At the optimum Dc/D = p (Nc/N)^p, so L^(1/aD) = (1 + p) (Nc/N)^p.
        p = KAPLAN["aN"] / KAPLAN["aD"]
        n = KAPLAN["Nc"] * ((1 + p) / loss ** (1 / KAPLAN["aD"])) ** (1 / p)
        d = KAPLAN["Dc"] / (p * (KAPLAN["Nc"] / n) ** p)
    else:
        # At the optimum beta B/D^beta = alpha A/N^alpha, so L - E = (1 + alpha/beta) A/N^alpha.
        q = PUBLISHED[name]
        n = ((1 + q["alpha"] / q["beta"]) * q["A"] / (loss - q["E"])) ** (1 / q["alpha"])
        d = (q["beta"] * q["B"] / (q["alpha"] * q["A"] * n ** -q["alpha"])) ** (1 / q["beta"])
    return 6 * n * d


def irreducible(name):
    return 0.0 if name == "kaplan" else PUBLISHED[name]["E"]


# --- presets and their sources ---------------------------------------------------------

@pytest.mark.parametrize("name", ["chinchilla", "epoch"])
def test_presets_hold_the_published_numbers(name):
    p = PUBLISHED[name]
    assert planner.law_params(name).tolist() == [p["E"], p["A"], p["B"], p["alpha"], p["beta"]]


def test_default_law_is_the_replication():
    """Besiroglu et al. 2024's refit is the default (the most trusted fit of Hoffmann's data)."""
    assert planner.scaling_loss(7e10, 1.4e12) == planner.scaling_loss(7e10, 1.4e12, "epoch")
    assert resolve_law(None) is PRESETS["epoch"] and planner.laws.DEFAULT_LAW == "epoch"
    for entry in planner.CATALOG.values():
        for p in entry.params:
            if p.arg.kind == "law" and p.optional:
                assert p.default == "epoch", entry.name


@pytest.mark.parametrize("name", NAMES)
def test_scaling_loss_matches_the_papers_formula(name):
    n = np.logspace(6, 14, 9)[:, None]
    d = np.logspace(8, 16, 9)[None, :]
    np.testing.assert_allclose(planner.scaling_loss(n, d, name), ref_loss(name, n, d), rtol=1e-12)


def test_kaplan_is_stored_in_the_general_form():
    law = PRESETS["kaplan"]
    assert law.E == 0 and law.beta == 1 and law.gamma == KAPLAN["aD"]
    assert law.alpha == pytest.approx(KAPLAN["aN"] / KAPLAN["aD"], rel=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_law_params_feed_back_as_a_law(name):
    n, d = np.array([1e8, 7e10]), np.array([1e10, 1.4e12])
    nums = planner.law_params(name)
    assert len(nums) == (6 if name == "kaplan" else 5)
    np.testing.assert_allclose(planner.scaling_loss(n, d, list(nums)),
                               planner.scaling_loss(n, d, name), rtol=1e-14)
    # A spreadsheet row arrives as a 2-D list.
    assert planner.scaling_loss(1e9, 2e10, [list(nums)]) == pytest.approx(
        planner.scaling_loss(1e9, 2e10, name), rel=1e-14)


def test_law_params_metadata_says_what_the_row_holds():
    entry = planner.CATALOG["law_params"]
    # Five named numbers for every Chinchilla-form law, and the summary owns up to the sixth.
    assert entry.fields == ("E", "A", "B", "alpha", "beta")
    assert "gamma" in entry.summary and "kaplan" in entry.summary
    assert planner.law_params("kaplan")[5] == KAPLAN["aD"]
    assert len(planner.law_params([1.8, 400, 400, 0.3, 0.3, 1.0])) == len(entry.fields)


def test_presets_cite_their_sources():
    cites = {"chinchilla": "Hoffmann et al. 2022", "epoch": "Besiroglu et al. 2024",
             "kaplan": "Kaplan et al. 2020"}
    for name, cite in cites.items():
        assert PRESETS[name].source.startswith(cite)
        assert cite in planner.laws.__doc__


# --- resolve_law -----------------------------------------------------------------------

def test_resolve_law_accepts_every_form():
    assert resolve_law(" Epoch ") is PRESETS["epoch"]
    law = Law(1.0, 2.0, 3.0, 0.3, 0.4)
    assert resolve_law(law) is law
    assert resolve_law([1, 2, 3, 0.3, 0.4]) == Law(1.0, 2.0, 3.0, 0.3, 0.4)
    assert resolve_law(np.array([1, 2, 3, 0.3, 0.4, 0.5])).gamma == 0.5
    assert resolve_law(20, allow_ratio=True) == RatioRule(20.0)


@pytest.mark.parametrize("law, match", [
    ("gopher", "law 'gopher' is not a known preset; known: epoch, chinchilla, chinchilla-printed, kaplan"),
    ([1, 2, 3], r"5 values \{E, A, B, alpha, beta\} \(or 6 with gamma\); got 3"),
    ([1, 2, 3, 4, 5, 6, 7], "got 7"),
    ([1, 2, float("nan"), 0.3, 0.3], "law B must be a finite positive number; got nan"),
    ([1, 2, 3, float("inf"), 0.3], "law alpha must be a finite positive number; got inf"),
    ([-1, 2, 3, 0.3, 0.3], "law E must be a finite zero or positive number; got -1"),
    ([1, 2, 3, 0.3, 0], "law beta must be a finite positive number; got 0"),
    ([1, 2, "x", 0.3, 0.3], "law B must be a number; got .x."),
    ([1, 2, None, 0.3, 0.3], "law B must be a number; got None"),
    ([1, [2, 3], 3, 0.3, 0.3], "law must be a preset name or 5 numbers"),
    (True, "law must be a preset name or numbers; got True"),
    (20, "a single number .20 tokens per parameter. only sets an allocation"),
    (RatioRule(20), "not a tokens-per-parameter rule"),
    ({"E": 1}, "law must be a preset name or numbers"),
    ([1, 2, 10**400, 0.3, 0.3], "law numbers must be finite"),
])
def test_bad_laws_are_named(law, match):
    with pytest.raises(planner.PlannerError, match=match):
        planner.scaling_loss(1e9, 1e10, law)


@pytest.mark.parametrize("r", [0, -20, float("nan"), float("inf")])
def test_bad_tokens_per_param_rule(r):
    with pytest.raises(planner.PlannerError, match="tokens per parameter must be a positive number"):
        planner.chinchilla_n(1e24, r)


def test_irreducible_loss_message():
    with pytest.raises(planner.PlannerError) as err:
        planner.compute_for_loss(1.5, "chinchilla-printed")
    assert str(err.value).startswith(
        "target_loss 1.5 is below the irreducible loss E=1.69 of law 'chinchilla-printed'")
    with pytest.raises(planner.PlannerError, match="target_loss 1.8172 equals the irreducible loss "
                                                   "E=1.8172 of law 'epoch'"):
        planner.compute_for_loss(1.8172, "epoch")
    with pytest.raises(planner.PlannerError, match=r"target_loss 1 is below .* law 'custom'; .* \(element 1\)$"):
        planner.compute_for_loss([3, 1], [2, 400, 400, 0.3, 0.3])


# --- scaling_loss, train_flops, law_params: arguments ----------------------------------

def test_train_flops():
    n, d = np.array([1e9, 7e10]), np.array([[2e10], [1.4e12]])
    np.testing.assert_allclose(planner.train_flops(n, d), 6 * n * d, rtol=1e-15)
    assert planner.train_flops(7e10, 1.4e12, 8) == 8 * 7e10 * 1.4e12
    assert isinstance(planner.train_flops(1, 2), float)
    assert planner.train_flops([1, 2], 3).shape == (2,)


BAD_NUMBERS = [
    (float("nan"), "must be a finite number; got nan"),
    (float("inf"), "must be a finite number; got inf"),
    (-1.0, "must be positive; got -1"),
    (0.0, "must be positive; got 0"),
    ("12", "must be a number; got '12'"),
    (None, "must be a number; got None"),
    (True, "must be a number; got the logical value True"),
    ([], "must not be empty"),
    ([1.0, float("nan")], r"must be a finite number; got nan \(element 1\)"),
    (10**400, "must be a finite number; got an integer beyond the floating-point range"),
    (np.array([1 + 2j]), "must be a real number; got a complex array"),
    ([[1.0, 2.0], [3.0]], "must be a number or an array of numbers"),
    # numpy would read these as 2.0, NaN and 1.0; a number argument takes none of them.
    ([1.0, "2"], r"must be a number; got '2' \(element 1\)"),
    (np.array(["1e10"]), r"must be a number; got '1e10' \(element 0\)"),
    ([[1.0], [None]], r"must be a number; got None \(element \(1, 0\)\)"),
    ([1.0, True], r"must be a number; got the logical value True \(element 1\)"),
    (np.array([True, False]), r"must be a number; got the logical value True \(element 0\)"),
]


@pytest.mark.parametrize("value, match", BAD_NUMBERS)
@pytest.mark.parametrize("func, args, position, name", [
    (planner.scaling_loss, (7e10, 1.4e12), 0, "params"),
    (planner.scaling_loss, (7e10, 1.4e12), 1, "tokens"),
    (planner.train_flops, (7e10, 1.4e12, 6), 0, "params"),
    (planner.train_flops, (7e10, 1.4e12, 6), 1, "tokens"),
    (planner.train_flops, (7e10, 1.4e12, 6), 2, "flops_per_param_token"),
])
def test_bad_numbers_are_named(func, args, position, name, value, match):
    args = list(args)
    args[position] = value
    with pytest.raises(planner.PlannerError, match=f"^{name} {match}"):
        func(*args)


def test_out_of_range_is_an_error_not_inf():
    with pytest.raises(planner.PlannerError, match=r"params is out of range: .*; got 1e-300"):
        planner.scaling_loss(1e-300, 1e10, [1, 1, 1, 5, 1])
    with pytest.raises(planner.PlannerError, match=r"tokens is out of range: .*; got 1e-300"):
        planner.scaling_loss(1e10, 1e-300, [1, 1, 1, 1, 5])
    with pytest.raises(planner.PlannerError, match="out of range: the training compute would be beyond"):
        planner.train_flops(1e200, 1e200)


def test_law_params_rejects_bad_laws():
    with pytest.raises(planner.PlannerError, match="not a known preset"):
        planner.law_params("nope")
    with pytest.raises(planner.PlannerError, match="only sets an allocation"):
        planner.law_params(20)


# --- the catalogue -------------------------------------------------------------------------

CORE_MODULES = ("laws", "allocation", "inference")


@pytest.mark.parametrize("module", CORE_MODULES)
def test_every_public_function_is_catalogued_and_exported(module):
    import importlib
    mod = importlib.import_module(f"planner.{module}")
    functions = [n for n in mod.__all__ if callable(getattr(mod, n)) and n[0].islower()
                 and n not in ("resolve_law", "allocation_rule")]
    assert functions
    for name in functions:
        entry = planner.CATALOG[name]
        assert getattr(planner, name) is getattr(mod, name) is entry.func
        assert entry.excel_name == name.upper()
        assert entry.example.startswith(f"={entry.excel_name}(")
        assert entry.summary and entry.result_unit
        assert all(p.arg.doc for p in entry.params)


def test_catalogue_lists_the_whole_core():
    core = {"chinchilla_n", "chinchilla_d", "chinchilla_loss", "chinchilla_compute",
            "compute_for_loss", "scaling_loss", "train_flops", "tokens_for_loss", "params_for_loss",
            "overtrain_loss", "overtrain_penalty", "overtrain_overhead", "inference_flops",
            "lifetime_flops", "inference_tradeoff", "law_params"}
    assert core <= set(planner.CATALOG)
    tradeoff = planner.CATALOG["inference_tradeoff"]
    assert tradeoff.returns == "record"
    assert tradeoff.fields == tuple(planner.inference_tradeoff(2.0, 1e12))


# --- the presets reproduce their papers ---------------------------------------------------

GOPHER_BUDGET = 5.76e23  # FLOPs; Hoffmann et al. 2022, Figure 4 and Table 3


def test_chinchilla_reproduces_hoffmanns_approach_3():
    """The unrounded estimates give the paper's own Approach 3 results: Table 2's exponents
    a = 0.46 and b = 0.54 (to the two decimals printed) and Figure 4's 40 B parameters for
    the Gopher budget; the printed, rounded constants give neither."""
    law = PRESETS["chinchilla"]
    assert (round(law.a, 2), round(law.b, 2)) == (0.46, 0.54)
    assert round(planner.chinchilla_n(GOPHER_BUDGET, "chinchilla") / 1e9) == 40
    printed = PRESETS["chinchilla-printed"]
    assert round(printed.a, 2) == 0.45 and round(planner.chinchilla_n(GOPHER_BUDGET, "chinchilla-printed") / 1e9) == 32
    for name, q in PUBLISHED.items():
        assert [getattr(PRESETS[name], k) for k in ("E", "A", "B", "alpha", "beta")] == list(q.values())


def test_the_replication_agrees_with_hoffmanns_twenty_tokens_per_parameter():
    """Chinchilla itself, 70 B parameters on 1.4 T tokens (20 per parameter, Hoffmann et al.
    2022, Table 1): the replication's optimum for that budget is near it, the published fit's
    three to five times further."""
    c = 6 * 70e9 * 1.4e12
    ratio = {name: planner.chinchilla_d(c, name) / planner.chinchilla_n(c, name)
             for name in ("epoch", "chinchilla", "chinchilla-printed")}
    assert 15 < ratio["epoch"] < 25
    assert ratio["chinchilla"] > 2.5 * ratio["epoch"] and ratio["chinchilla-printed"] > ratio["chinchilla"]


def test_the_explanation_of_the_spread_states_the_presets_own_figures():
    text = planner.laws.WHY_PRESETS_DIFFER
    for name, shown in (("epoch", "72 B"), ("chinchilla", "40 B"), ("chinchilla-printed", "32 B"),
                        ("muennighoff", "70 B"), ("kaplan", "485 B")):
        assert f"{planner.chinchilla_n(GOPHER_BUDGET, name) / 1e9:.0f} B" == shown and shown in text
    for name in ("chinchilla", "chinchilla-printed"):
        tpp = planner.chinchilla_d(GOPHER_BUDGET, name) / planner.chinchilla_n(GOPHER_BUDGET, name)
        assert f"{tpp:.0f}" in text
