"""Python results people can use: records with attributes and units, counts as integers,
plain floats from laws and accelerators, and help() that shows every argument."""

from __future__ import annotations

import pickle
import pydoc

import numpy as np
import pytest

import planner
from planner.catalog import CATALOG


def test_a_record_reads_as_attributes_and_items_and_shows_units():
    r = planner.inference_tradeoff(2.0, 1e13)
    assert isinstance(r, dict) and r.params == r["params"] and list(r) == list(planner.inference.TRADEOFF_FIELDS)
    with pytest.raises(AttributeError):
        r.no_such_field
    lines = repr(r).splitlines()
    assert len(lines) == len(r)
    assert lines[0].strip() == f"params: {r.params:.6g} parameters"
    assert lines[-1].strip() == f"savings: {r.savings:.6g} fraction"
    cost = planner.inference_tradeoff_cost(2.0, 1e13, 2e12)
    assert repr(cost).splitlines()[2].strip() == f"train_cost: {cost.train_cost:.6g} $"
    assert pickle.loads(pickle.dumps(cost)) == cost and pickle.loads(pickle.dumps(cost)).units == cost.units


def test_a_record_field_asked_for_is_a_plain_float():
    assert type(planner.inference_tradeoff(2.0, 1e13, field="params")) is float


@pytest.mark.parametrize("call", [
    lambda: planner.gpus_for_deadline(1e24, 30),
    lambda: planner.gpus_for_memory(70e9),
    lambda: planner.gpus_for_memory(70e9, "H200", 2),
])
def test_gpu_counts_are_ints(call):
    assert type(call()) is int


def test_gpu_count_arrays_are_integer_arrays():
    counts = planner.gpus_for_deadline([1e24, 1e25], 30)
    assert counts.dtype == np.int64
    days = 30
    exact = np.array([1e24, 1e25]) / (989.4e12 * 0.4 * days * 86400)
    assert counts.tolist() == np.ceil(exact).astype(int).tolist()


def test_positive_work_needs_at_least_one_accelerator():
    assert planner.gpus_for_deadline(1e-320, 30) == 1  # subnormal work
    assert planner.gpus_for_deadline(1.0, 1e308) == 1  # an enormous deadline
    assert planner.gpus_for_deadline(1.0, 30, 1e308) == 1  # an enormous peak
    assert planner.gpus_for_deadline(0.0, 30) == 0  # no work, no accelerator


def test_no_numpy_scalars_leak_from_laws_or_accelerators():
    for law in planner.PRESETS.values():
        for name in ("E", "A", "B", "alpha", "beta", "gamma"):
            assert type(getattr(law, name)) is float, (law.name, name)
    assert type(planner.resolve_gpu(1e15)) is float
    assert isinstance(planner.resolve_gpu([1e15, 2e15]), np.ndarray)


def test_a_number_as_gpu_is_a_peak_everywhere():
    """A peak FLOP/s as gpu: accepted by the memory functions too, which then ask for memory_gb."""
    with pytest.raises(planner.PlannerError) as err:
        planner.gpus_for_memory(70e9, 989.4e12)
    assert err.value.argument == "memory_gb"
    assert planner.gpus_for_memory(70e9, 989.4e12, memory_gb=80) == planner.gpus_for_memory(70e9, "H100")
    assert planner.gpus_for_memory(70e9, "H100", memory_gb=40) == planner.gpus_for_memory(70e9, "A100 40GB")


@pytest.mark.parametrize("entry", list(CATALOG.values()), ids=list(CATALOG))
def test_help_shows_each_arguments_unit_and_default(entry):
    text = pydoc.plain(pydoc.render_doc(getattr(planner, entry.name)))
    assert entry.summary.split()[0] in text
    section = text.split("Arguments (from the catalogue):", 1)[1].splitlines()
    for p in entry.params:
        line = next(l for l in section if l.strip().startswith((p.name + " ", p.name + ",")))
        if p.arg.unit:
            assert f"[{p.arg.unit}]" in line
        assert (f"default {p.default!r}" in line) if p.optional else ("required" in line)
