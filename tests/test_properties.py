"""Property-based tests (hypothesis) of the scaling-law core: round trips, optimality and
robustness to any input. A few hundred examples in all, so the file stays quick."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_laws import NAMES, irreducible

import planner
from planner.laws import PRESETS

FAST = settings(max_examples=40, deadline=None)

presets = st.sampled_from(NAMES)


def log_uniform(lo, hi):
    """Floats spread evenly in log10 between 10^lo and 10^hi."""
    return st.floats(lo, hi).map(lambda e: float(10.0 ** e))


budgets = log_uniform(15, 32)


@FAST
@given(c=budgets, name=presets)
def test_compute_round_trips(c, name):
    assert planner.chinchilla_compute(planner.chinchilla_n(c, name), name) == pytest.approx(c, rel=1e-9)
    assert planner.compute_for_loss(planner.chinchilla_loss(c, name), name) == pytest.approx(c, rel=1e-9)


@FAST
@given(c=budgets, r=st.floats(0.1, 1e4))
def test_tokens_per_parameter_rule_spends_the_budget(c, r):
    n, d = planner.chinchilla_n(c, r), planner.chinchilla_d(c, r)
    assert d == pytest.approx(r * n, rel=1e-13)
    assert 6 * n * d == pytest.approx(c, rel=1e-13)


@FAST
@given(n=log_uniform(7, 13), d=log_uniform(9, 15), name=presets)
def test_tokens_and_params_for_loss_invert_scaling_loss(n, d, name):
    # Inverting for D (or N) is ill-conditioned where its term is a negligible part of the
    # loss (the loss then barely depends on it): keep to where each term is >= 1e-4 of it.
    law = PRESETS[name]
    term_n, term_d = law.A * n ** -law.alpha, law.B * d ** -law.beta
    scale = term_n + term_d + (law.E if law.gamma == 1 else 0.0)
    assume(min(term_n, term_d) >= 1e-4 * scale)
    loss = planner.scaling_loss(n, d, name)
    assert planner.tokens_for_loss(n, loss, name) == pytest.approx(d, rel=1e-8)
    assert planner.params_for_loss(d, loss, name) == pytest.approx(n, rel=1e-8)


@FAST
@given(c=budgets, log_factor=st.floats(-3, 3).filter(lambda x: abs(x) > 1e-3), name=presets)
def test_the_compute_optimal_split_has_the_least_loss(c, log_factor, name):
    # The law's own optimum at C = 6ND (for kaplan not what CHINCHILLA_N recommends, which
    # follows the paper's frontier).
    best = planner.laws.PRESETS[name].optimal_n(c)
    n = best * np.exp(log_factor)
    assert planner.scaling_loss(n, c / (6 * n), name) > planner.chinchilla_loss(c, name)
    assert planner.overtrain_penalty(c, c / (6 * n * n), name) > 0
    assert planner.overtrain_overhead(c, max(n, best), name) >= 1


@FAST
@given(offset=st.floats(0.02, 2.0), demand=log_uniform(6, 22), log_factor=st.floats(-0.5, 0.5),
       name=presets)
def test_no_nearby_model_is_cheaper_over_its_lifetime(offset, demand, log_factor, name):
    loss = irreducible(name) + offset
    best = planner.inference_tradeoff(loss, demand, name)
    n = best["params"] * np.exp(log_factor)
    try:
        d = planner.tokens_for_loss(n, loss, name)
    except planner.PlannerError:
        assume(False)  # too small to reach the loss at all
    assert planner.lifetime_flops(n, d, demand) >= best["total_flops"] * (1 - 1e-12)


@FAST
@given(offset=st.floats(0.02, 2.0), demand=log_uniform(6, 22), more=st.floats(1.0, 1e3),
       name=presets)
def test_savings_never_shrink_with_more_demand(offset, demand, more, name):
    loss = irreducible(name) + offset
    low, high = planner.inference_tradeoff(loss, [demand, demand * more], name, "savings")
    assert 0 <= low <= high + 1e-14 < 1 + 1e-14


@FAST
@given(c=st.lists(budgets, min_size=1, max_size=6), name=presets)
def test_arrays_give_the_same_numbers_as_scalars(c, name):
    for func in (planner.chinchilla_n, planner.chinchilla_d, planner.chinchilla_loss):
        out = func(c, name)
        assert out.shape == (len(c),)
        assert [func(x, name) for x in c] == pytest.approx(list(out), rel=1e-15)


# --- any input: a finite number or a PlannerError, never a warning or another error ----

# Edge and hostile numbers: subnormal, huge, complex, extended precision beyond the float
# range, integers beyond it.
edges = st.sampled_from([0.0, -0.0, 5e-324, 1e-320, 1e-300, 1e300, 1e308, 1.7976931348623157e308,
                         10**400, -10**400, np.longdouble("1e4000"), np.longdouble("1e-4000"),
                         np.longdouble(2.5), np.complex128(1 + 2j), 1j, np.float32(3.0),
                         np.int64(2**62), np.uint8(3), np.array(2.0), np.array([1e24, -1.0])])
anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**30, 10**30),
    st.booleans(), st.none(), st.text(max_size=5),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
    edges, st.lists(edges, min_size=1, max_size=3),
)
laws = st.one_of(presets, st.text(max_size=6), st.floats(allow_nan=True, allow_infinity=True),
                 st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=4, max_size=7))
MINE = ("chinchilla_n", "chinchilla_d", "chinchilla_loss", "chinchilla_compute", "compute_for_loss",
        "tokens_for_loss", "params_for_loss", "overtrain_loss", "overtrain_penalty",
        "overtrain_overhead", "scaling_loss", "train_flops", "inference_flops", "lifetime_flops",
        "inference_tradeoff")


NOT_FITTING = sorted(name for name, e in planner.CATALOG.items() if e.category != "Fitting")


@settings(max_examples=1500, deadline=None)
@given(fname=st.sampled_from(NOT_FITTING), data=st.data())
def test_any_input_gives_a_number_or_a_planner_error(fname, data):
    entry = planner.CATALOG[fname]
    args = []
    for p in entry.params:
        if p.arg.kind == "law":
            args.append(data.draw(laws))
        elif p.arg.kind == "text":
            args.append(data.draw(st.one_of(st.none(), st.sampled_from(p.arg.choices),
                                            st.text(max_size=4))))
        elif p.arg.kind == "gpu":
            args.append(data.draw(st.one_of(st.sampled_from(planner.GPU_NAMES), anything)))
        else:
            args.append(data.draw(anything))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = entry.func(*args)
        except planner.PlannerError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
    values = out.values() if isinstance(out, dict) else [out]
    assert all(np.all(np.isfinite(v)) for v in values)


@settings(max_examples=120, deadline=None)
@given(fname=st.sampled_from(MINE), data=st.data())
def test_extreme_valid_looking_input_gives_a_number_or_a_planner_error(fname, data):
    # Every number positive and finite, anywhere in the float range, with a preset law:
    # the result is finite or a PlannerError saying what is out of range or unreachable.
    entry = planner.CATALOG[fname]
    args = [data.draw(presets) if p.arg.kind == "law" else
            None if p.arg.kind == "text" else
            data.draw(st.floats(min_value=1e-300, max_value=1e300))
            for p in entry.params]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = entry.func(*args)
        except planner.PlannerError as exc:
            assert any(w in str(exc) for w in ("out of range", "irreducible", "cannot reach"))
            return
    values = out.values() if isinstance(out, dict) else [out]
    assert all(np.all(np.isfinite(v)) for v in values)


# --- every catalogue entry: bad arguments, mismatched shapes, arrays against scalars -----

from catalog_examples import example_args, planner_call  # noqa: E402

INVALID = (float("nan"), float("inf"), -float("inf"), "text", [], [[]], 10**400,
           np.array([1 + 1j]), [[1.0, 2.0], [3.0]], {"a": 1}, object(), -1.0, [1.0, "2"],
           [[1.0], [None]], np.array([[{}, {}], [{}, {}]], dtype=object),
           [[1.0] * 100, [2.0] * 99], np.array([["a", "b"], ["c", "d"]]))


def _example_kwargs(entry):
    """The entry's own example as keyword arguments (ranges as flat lists)."""
    flat = [[x for row in a for x in row] if isinstance(a, list) and a and isinstance(a[0], list)
            else a for a in example_args(entry, planner_call)]
    return {p.name: a for p, a in zip(entry.params, flat) if a is not None}


def _number_args(entry, kwargs):
    return [p.name for p in entry.params
            if p.arg.kind in ("number", "gpu") and isinstance(kwargs.get(p.name), (int, float))
            and not isinstance(kwargs.get(p.name), bool)]


@pytest.mark.parametrize("name", sorted(planner.CATALOG))
def test_every_invalid_argument_is_a_planner_error_naming_it(name):
    entry = planner.CATALOG[name]
    kwargs = _example_kwargs(entry)
    for p in entry.params:
        required = [None, True] if not p.optional and p.arg.kind != "flag" else []
        # A negative number is invalid unless the argument takes any number (a slope's change).
        invalid = [b for b in INVALID if not (p.arg.rule == "any" and isinstance(b, float) and b == -1.0)]
        for bad in (*invalid, *required):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with pytest.raises(planner.PlannerError) as info:
                    entry.func(**{**kwargs, p.name: bad})
            message = str(info.value)
            # One line of readable length, however large the bad value.
            assert p.name in message and "\n" not in message and len(message) < 400, \
                (p.name, message)


def _with_number_defaults(entry):
    """The example's arguments plus every optional number argument at its default, given
    explicitly (the same call), so that those arguments are exercised too."""
    defaults = {p.name: p.default for p in entry.params
                if p.optional and p.arg.kind == "number" and isinstance(p.default, (int, float))
                and not isinstance(p.default, bool)}
    return {**defaults, **_example_kwargs(entry)}


def _entries_with_numbers(at_least):
    return [n for n in NOT_FITTING
            if len(_number_args(planner.CATALOG[n], _with_number_defaults(planner.CATALOG[n]))) >= at_least]


# Entries with fewer number arguments have no pair to mismatch (or no number to make an
# array of); they are left out rather than passing with nothing checked.
PAIRS = _entries_with_numbers(2)
SOME_NUMBER = _entries_with_numbers(1)


def test_the_shape_tests_cover_most_of_the_catalogue():
    # Of the functions of numbers alone (a fit, or a function of one, takes data ranges instead).
    numeric = [n for n in NOT_FITTING if not any(p.arg.kind == "data" for p in planner.CATALOG[n].params)]
    assert len(PAIRS) > len(numeric) / 2 and len(SOME_NUMBER) > len(numeric) - 5


@pytest.mark.parametrize("name", PAIRS)
def test_shapes_that_do_not_broadcast_are_a_planner_error_naming_them(name):
    entry = planner.CATALOG[name]
    kwargs = _with_number_defaults(entry)
    numbers = _number_args(entry, kwargs)
    assert len(numbers) >= 2
    for i, first in enumerate(numbers):
        for second in numbers[i + 1:]:
            args = {**kwargs, first: [kwargs[first]] * 3, second: [kwargs[second]] * 2}
            with pytest.raises(planner.PlannerError, match="does not match") as info:
                entry.func(**args)
            assert first in str(info.value) and second in str(info.value)


@pytest.mark.parametrize("name", SOME_NUMBER)
def test_an_array_argument_gives_each_element_its_scalar_result(name):
    entry = planner.CATALOG[name]
    kwargs = _with_number_defaults(entry)
    assert _number_args(entry, kwargs)
    for arg in _number_args(entry, kwargs):
        values = [kwargs[arg], kwargs[arg] * 1.5]
        try:
            scalars = [entry.func(**{**kwargs, arg: v}) for v in values]
        except planner.PlannerError:
            with pytest.raises(planner.PlannerError):
                entry.func(**{**kwargs, arg: values})
            continue
        out = entry.func(**{**kwargs, arg: values})
        # Equal up to the last bits that numpy's vectorised and scalar powers may differ in.
        if isinstance(out, dict):
            for field, column in out.items():
                np.testing.assert_allclose(column, [s[field] for s in scalars], rtol=1e-13,
                                           atol=0, err_msg=f"{arg}, {field}")
        else:
            np.testing.assert_allclose(out, scalars, rtol=1e-13, atol=0, err_msg=arg)


@pytest.mark.parametrize("name", sorted(n for n, e in planner.CATALOG.items() if e.returns == "record"))
def test_a_record_field_argument_offers_exactly_the_record_fields(name):
    entry = planner.CATALOG[name]
    field = next(p for p in entry.params if p.name == "field")
    assert field.arg.choices == entry.fields == tuple(entry.func(**_example_kwargs(entry) | {"field": None}))
    assert all(f in field.arg.doc for f in entry.fields)
    # Any case and surrounding spaces pick the same field; an empty text means all of them.
    first = entry.fields[0]
    kwargs = _example_kwargs(entry)
    assert entry.func(**kwargs | {"field": f" {first.upper()} "}) == entry.func(**kwargs | {"field": first})
    assert entry.func(**kwargs | {"field": ""}).keys() == set(entry.fields)


EDGE_VALUES = [0.0, 5e-324, 1e-320, 1e308, 1.7976931348623157e308, 10**400, -10**400,
               np.longdouble("1e4000"), np.longdouble("-1e4000"), np.longdouble("1e-4000"),
               np.complex128(1 + 2j), 2j, np.float32(3.0), np.int64(2**62), float("nan"),
               [1e24, np.complex128(1j)], [1e300, 1e-300], [10**400, 1.0], np.array([1e308, 5e-324])]


def _example_kwargs(entry) -> dict:
    import catalog_examples as ce

    args = ce.example_args(entry, ce.planner_call)
    return {p.name: ([x for row in a for x in row] if isinstance(a, list) else a)
            for p, a in zip(entry.params, args) if a is not None}


NUMERIC = [(e.name, p.name) for e in planner.CATALOG.values() for p in e.params
           if p.arg.kind in ("number", "option", "gpu")]


@pytest.mark.parametrize("fname, arg", NUMERIC, ids=[f"{f}.{a}" for f, a in NUMERIC])
def test_edge_numbers_in_every_argument_give_a_result_or_a_planner_error_without_warnings(fname, arg):
    """Every number argument of every function, given each edge value in turn: a finite
    result or a PlannerError, and never a warning (all warnings are errors here)."""
    entry = planner.CATALOG[fname]
    for value in EDGE_VALUES:
        kwargs = _example_kwargs(entry) | {arg: value}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                out = entry.func(**kwargs)
            except planner.PlannerError as exc:
                assert exc.kind in ("domain", "type", "shape") and "\n" not in str(exc)
                continue
        values = out.values() if isinstance(out, dict) else [out]
        assert all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values), (value, out)


DATA = [(e.name, p.name) for e in planner.CATALOG.values() for p in e.params if p.arg.kind == "data"]


@pytest.mark.parametrize("fname, arg", DATA, ids=[f"{f}.{a}" for f, a in DATA])
def test_a_data_column_beyond_the_float_range_is_a_planner_error_without_warnings(fname, arg):
    """A column of long doubles too large for a float (numpy reads them, a cell never holds
    them): refused as out of range, not a warning from the cast."""
    entry = planner.CATALOG[fname]
    kwargs = _example_kwargs(entry)
    size = np.asarray(kwargs[arg], dtype=object).size if kwargs.get(arg) is not None else 4
    kwargs[arg] = np.full(size, np.longdouble("1e4000"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(planner.PlannerError):
            entry.func(**kwargs)


FLAGS = [(e.name, p.name) for e in planner.CATALOG.values() for p in e.params if p.arg.kind == "flag"]
FLAG_VALUES = [[np.complex128(1 + 2j)], np.complex128(1j), [1, "x"], [1, None], [[1], [0, 1]], [10**400], 0.5]


@pytest.mark.parametrize("fname, arg", FLAGS, ids=[f"{f}.{a}" for f, a in FLAGS])
def test_a_flag_that_is_not_true_or_false_is_a_planner_error_without_warnings(fname, arg):
    """A TRUE/FALSE argument given a complex number (alone or in a list), text among numbers,
    a blank, a ragged list, an integer beyond the float range or a fraction: a PlannerError
    naming it, never numpy's warning that a complex number lost its imaginary part."""
    entry = planner.CATALOG[fname]
    for value in FLAG_VALUES:
        kwargs = _example_kwargs(entry) | {arg: value}
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(planner.PlannerError) as raised:
                entry.func(**kwargs)
        assert raised.value.argument == arg, value
