"""Accelerator presets: figures, name matching, errors."""

import numpy as np
import pytest

import planner
from planner.catalog import CATALOG
from planner.hardware import GPU_FIELDS, GPU_NAMES, GPU_PRESETS

REQUIRED = ["V100", "A100 40GB", "A100 80GB", "H100 SXM", "H100 PCIe", "H200", "B200", "MI300X",
            "L4", "A10G", "TPU v4", "TPU v5e", "TPU v5p"]


def test_every_required_preset_is_present():
    assert set(REQUIRED) <= set(GPU_NAMES)


@pytest.mark.parametrize("name, bf16_tflops", [
    # Datasheet dense figures (the "with sparsity" figure halved where the datasheet prints it).
    ("H100 SXM", 989.4),        # H100 whitepaper, SXM5 dense bf16
    ("H100 PCIe", 1513 / 2),    # datasheet 1,513 with sparsity
    ("H200", 989.4),            # same compute as H100 SXM
    ("B200", 4500 / 2),         # HGX B200 4.5 PFLOPS with sparsity
    ("A100 80GB", 312),         # datasheet 312 dense (624 sparse)
    ("A100 40GB", 312),
    ("V100", 125),              # fp16 tensor cores (no bf16)
    ("MI300X", 1307.4),         # AMD datasheet, dense
    ("L4", 242 / 2),            # datasheet 242 with sparsity
    ("TPU v4", 275), ("TPU v5e", 197), ("TPU v5p", 459),  # Cloud TPU docs
])
def test_dense_bf16_figures(name, bf16_tflops):
    assert planner.gpu_spec(name, "bf16_flops") == pytest.approx(bf16_tflops * 1e12, rel=1e-12)


def test_h100_anchor_compute_from_architecture():
    # 132 SMs x 4 tensor cores x 1,024 bf16 FLOP/clock x 1.83 GHz (H100 SXM5 whitepaper).
    assert planner.gpu_spec("H100", "bf16_flops") == pytest.approx(132 * 4 * 1024 * 1.83e9, rel=1e-4)


@pytest.mark.parametrize("name", ["H100 SXM", "H100 PCIe", "H200", "B200", "MI300X", "L4"])
def test_fp8_is_twice_bf16_on_chips_that_have_it(name):
    # Datasheets round each figure on its own (L4: 242 and 485 TFLOPS), hence 0.5%.
    assert planner.gpu_spec(name, "fp8_flops") == pytest.approx(2 * planner.gpu_spec(name, "bf16_flops"),
                                                                rel=5e-3)


@pytest.mark.parametrize("name", ["V100", "A100 40GB", "A100 80GB", "A10G", "TPU v4", "TPU v5e", "TPU v5p"])
def test_chip_without_fp8_is_a_clear_error(name):
    with pytest.raises(planner.PlannerError, match="no fp8"):
        planner.gpu_spec(name, "fp8_flops")
    with pytest.raises(planner.PlannerError, match="no fp8"):
        planner.peak_flops(name, "fp8")


@pytest.mark.parametrize("name, field, value", [
    # H100 SXM datasheet: 80 GB HBM3, 3.35 TB/s, max TDP 700 W.
    ("H100", "memory_gb", 80), ("H100", "memory_bandwidth", 3.35e12), ("H100", "power_w", 700),
    ("H200", "memory_gb", 141), ("H200", "memory_bandwidth", 4.8e12),  # H200 datasheet: 141 GB, 4.8 TB/s
    # A100 datasheet (SXM): 1,555 GB/s (40 GB HBM2) and 2,039 GB/s (80 GB HBM2e).
    ("A100 40GB", "memory_bandwidth", 1555e9), ("A100 80GB", "memory_bandwidth", 2039e9),
    ("MI300X", "memory_gb", 192), ("MI300X", "power_w", 750),  # AMD MI300X data sheet: 192 GB, 750 W
    ("L4", "power_w", 72),  # NVIDIA L4 datasheet: 72 W
    # Cloud TPU docs: v5p 2,765 GB/s per chip, v5e 16 GB HBM per chip.
    ("TPU v5p", "memory_bandwidth", 2765e9), ("TPU v5e", "memory_gb", 16),
])
def test_other_figures(name, field, value):
    assert planner.gpu_spec(name, field) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("name", GPU_NAMES)
def test_every_preset_names_its_source(name):
    acc = GPU_PRESETS[name]
    vendor = ("Google" if name.startswith("TPU") else "AMD" if name.startswith("MI")
              else "AWS" if name == "A10G" else "NVIDIA")
    assert vendor in acc.source


def test_every_published_figure_is_positive_and_finite():
    for acc in GPU_PRESETS.values():
        for field in GPU_FIELDS:
            value = getattr(acc, field)
            if value is not None:
                assert np.isfinite(value) and value > 0, (acc.name, field)


def test_unpublished_tpu_power_is_an_error_not_a_guess():
    for name in ["TPU v5e", "TPU v5p"]:
        with pytest.raises(planner.PlannerError, match="does not publish"):
            planner.gpu_spec(name, "power_w")


@pytest.mark.parametrize("spelling, preset", [
    ("h100", "H100 SXM"), ("H100", "H100 SXM"), ("H100-SXM", "H100 SXM"), ("H100 SXM5", "H100 SXM"),
    ("h100_sxm", "H100 SXM"), ("NVIDIA H100", "H100 SXM"), ("h100 pcie", "H100 PCIe"),
    ("A100", "A100 80GB"), ("a100-80gb", "A100 80GB"), ("A100 SXM4 80GB", "A100 80GB"),
    ("a100 40gb", "A100 40GB"), ("tpu v5e", "TPU v5e"), ("TPUv5e", "TPU v5e"), ("TPU-v5p", "TPU v5p"),
    ("Cloud TPU v4", "TPU v4"), ("mi300x", "MI300X"), ("AMD Instinct MI300X", "MI300X"),
    ("  b200 ", "B200"), ("l4", "L4"), ("A10G", "A10G"), ("Tesla V100", "V100"),
])
def test_forgiving_names(spelling, preset):
    assert planner.resolve_gpu(spelling) is GPU_PRESETS[preset]
    assert planner.gpu_spec(spelling, "memory_gb") == GPU_PRESETS[preset].memory_gb


def test_unknown_name_lists_known_ones():
    with pytest.raises(planner.PlannerError) as err:
        planner.gpu_spec("H1000", "bf16_flops")
    msg = str(err.value)
    assert "gpu 'H1000'" in msg
    for name in REQUIRED:
        assert name in msg


def test_number_instead_of_name():
    assert planner.gpu_spec(5e14, "bf16_flops") == 5e14
    assert planner.peak_flops(5e14) == 5e14
    out = planner.peak_flops([1e14, 2e14])
    assert isinstance(out, np.ndarray) and np.array_equal(out, [1e14, 2e14])
    with pytest.raises(planner.PlannerError, match="name a preset"):
        planner.gpu_spec(5e14, "memory_gb")


@pytest.mark.parametrize("gpu, pattern", [
    (-1e15, "gpu must be positive"), (0, "gpu must be positive"), (True, "gpu must be"),
    (float("nan"), "gpu must be a finite number"), (["h100", 1e15], "gpu must be"),
    ([[1e15, 2e15], [3e15]], "gpu must be a number or an array of numbers"),  # ragged rows
    (None, None),  # None is the default accelerator, not an error
])
def test_bad_gpu(gpu, pattern):
    if pattern is None:
        assert planner.peak_flops(gpu) == planner.peak_flops("H100")
        return
    with pytest.raises(planner.PlannerError, match=pattern):
        planner.peak_flops(gpu)


def test_bad_field_and_precision():
    with pytest.raises(planner.PlannerError, match="field must be one of bf16_flops"):
        planner.gpu_spec("H100", "tflops")
    with pytest.raises(planner.PlannerError, match="field must be one of"):
        planner.gpu_spec("H100", 3)
    with pytest.raises(planner.PlannerError, match="precision must be one of"):
        planner.peak_flops("H100", "fp4")
    assert planner.gpu_spec("H100", " Memory_GB ") == 80


def test_catalogue_entries():
    for name in ["gpu_spec", "peak_flops"]:
        entry = CATALOG[name]
        assert entry.category == "Compute & Cost"
        assert next(p for p in entry.params if p.name == "gpu").arg.kind == "gpu"
    field = next(p for p in CATALOG["gpu_spec"].params if p.name == "field")
    assert field.arg.choices == GPU_FIELDS


def test_exported_from_package():
    for name in ["gpu_spec", "peak_flops", "resolve_gpu", "GPU_NAMES", "GPU_PRESETS"]:
        assert hasattr(planner, name)
