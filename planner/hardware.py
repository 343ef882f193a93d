"""Accelerator presets: peak FLOP/s, memory, bandwidth, power.

Every figure below is the vendor's published number for ONE chip (one GPU, one TPU chip),
with its source next to it. FLOP/s are DENSE peaks: NVIDIA's datasheets print the tensor-core
figures "with sparsity" (2:4 structured sparsity doubles them), so the dense figure used here
is half the datasheet number wherever the datasheet marks it with sparsity. Training and most
inference run dense, and MFU (model FLOPs utilisation) is measured against the dense peak.

Units: FLOP/s; memory in GB as the vendor labels it (HBM sizes are really GiB-ish, e.g. the
"80 GB" H100 has 80 GiB; TPU docs say GiB for v4); memory bandwidth in bytes/s; board power
(TDP / max board power) in W.

Sources: each preset's `source` names the published documents its figures come from (NVIDIA,
AMD and Google Cloud datasheets and documentation; for the A10G, which has no datasheet, AWS's
G5 documentation and a published comparison; for TPU v4 power, Jouppi et al. 2023), and the
comment next to it in the table below quotes the figures as published.

Name matching is forgiving: case, spaces, hyphens, underscores and dots are ignored, and a
leading vendor word (nvidia, amd, google, cloud, tesla, instinct) is dropped, so "h100",
"H100-SXM", "H100 SXM5", "a100-80gb", "tpu v5e" and "TPUv5e" all match. A bare "H100" is the
SXM part (the one used for large training runs) and a bare "A100" the 80 GB SXM part.
Wherever a function takes `gpu`, a peak FLOP/s number works too, e.g. 989.4e12.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import _args
from .catalog import Arg, formula
from .errors import DOMAIN, TYPE, PlannerError

__all__ = ["Accelerator", "GPU_PRESETS", "GPU_NAMES", "GPU_FIELDS", "resolve_gpu", "gpu_spec",
           "peak_flops"]


@dataclass(frozen=True)
class Accelerator:
    """One accelerator preset; None marks a figure the chip lacks or the vendor does not publish."""

    name: str
    bf16_flops: float  # dense peak, FLOP/s
    fp8_flops: float | None  # dense peak, FLOP/s; None: no fp8 in hardware
    memory_gb: float
    memory_bandwidth: float  # bytes/s
    power_w: float | None  # board power; None: not published
    aliases: tuple[str, ...] = ()
    note: str = ""  # why the power figure is missing
    source: str = ""  # the published documents the figures come from


T = 1e12  # tera

_PRESETS: tuple[Accelerator, ...] = (
    # NVIDIA Tesla V100 GPU Accelerator datasheet (SXM2, 32 GB), https://www.nvidia.com/en-us/data-center/v100/:
    # tensor performance 125 TFLOPS, 32 GB HBM2, 900 GB/s, 300 W.
    # V100 has no bf16: its tensor cores run fp16 (mixed precision with fp32 accumulate),
    # which is how V100s train, so bf16_flops holds the fp16 tensor-core peak, 125 TFLOP/s
    # (dense; Volta has no sparsity feature).
    Accelerator("V100", 125 * T, None, 32, 900e9, 300,
                aliases=("v100sxm2", "v100sxm", "v10032gb"),
                source="NVIDIA Tesla V100 GPU Accelerator datasheet (SXM2, 32 GB), "
                       "nvidia.com/en-us/data-center/v100"),
    # NVIDIA A100 Tensor Core GPU datasheet, https://www.nvidia.com/en-us/data-center/a100/:
    # BF16 tensor core 312 TFLOPS (624 with sparsity), A100 40GB SXM: 40 GB HBM2, 1,555 GB/s,
    # 400 W max TDP. Ampere has no fp8.
    Accelerator("A100 40GB", 312 * T, None, 40, 1555e9, 400,
                aliases=("a10040gbsxm", "a100sxm40gb", "a10040", "a100sxm440gb"),
                source="NVIDIA A100 Tensor Core GPU datasheet (SXM), nvidia.com/en-us/data-"
                       "center/a100"),
    # Same datasheet, A100 80GB SXM: 312 TFLOPS BF16 dense, 80 GB HBM2e, 2,039 GB/s, 400 W.
    Accelerator("A100 80GB", 312 * T, None, 80, 2039e9, 400,
                aliases=("a100", "a100sxm", "a10080gbsxm", "a100sxm80gb", "a10080", "a100sxm4",
                         "a100sxm480gb"),
                source="NVIDIA A100 Tensor Core GPU datasheet (SXM), nvidia.com/en-us/data-"
                       "center/a100"),
    # NVIDIA H100 Tensor Core GPU Architecture whitepaper (Hopper, 2022), table "NVIDIA H100
    # SXM5": peak BF16 tensor 989.4 TFLOPS dense (1,978.9 sparse), FP8 1,978.9 dense
    # (= 132 SMs x 4 tensor cores x 1,024 bf16 FLOP/clock x 1.83 GHz). NVIDIA H100 datasheet,
    # https://www.nvidia.com/en-us/data-center/h100/:
    # 80 GB HBM3, 3.35 TB/s, up to 700 W.
    Accelerator("H100 SXM", 989.4 * T, 1978.9 * T, 80, 3.35e12, 700,
                aliases=("h100", "h100sxm5", "h100sxm80gb", "h10080gb"),
                source="NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022), H100 SXM5 "
                       "table; NVIDIA H100 datasheet, nvidia.com/en-us/data-center/h100"),
    # Same datasheet, H100 PCIe: BF16 1,513 and FP8 3,026 TFLOPS with sparsity, so 756.5 and
    # 1,513 dense; 80 GB HBM2e, 2 TB/s, 300-350 W (the upper figure used).
    Accelerator("H100 PCIe", 756.5 * T, 1513 * T, 80, 2.0e12, 350,
                aliases=("h100pcie80gb",),
                source="NVIDIA H100 datasheet (PCIe), nvidia.com/en-us/data-center/h100"),
    # NVIDIA H200 datasheet, https://www.nvidia.com/en-us/data-center/h200/: same GH100
    # compute as H100 SXM (BF16 1,979 / FP8 3,958 TFLOPS with sparsity, so the whitepaper's
    # dense 989.4 / 1,978.9), 141 GB HBM3e, 4.8 TB/s, up to 700 W.
    Accelerator("H200", 989.4 * T, 1978.9 * T, 141, 4.8e12, 700,
                aliases=("h200sxm", "h200141gb"),
                source="NVIDIA H200 datasheet, nvidia.com/en-us/data-center/h200"),
    # NVIDIA HGX B200 datasheet / spec table, https://www.nvidia.com/en-us/data-center/hgx/
    # (per-GPU column "HGX B200"): FP16/BF16 tensor 4.5 PFLOPS and FP8 9 PFLOPS, both with
    # sparsity, so 2.25 and 4.5 PFLOP/s dense; 180 GB HBM3e, 7.7 TB/s, up to 1,000 W.
    # (The B200 inside GB200 NVL72 runs at up to 1,200 W and 2.5 PFLOP/s bf16 dense.)
    Accelerator("B200", 2250 * T, 4500 * T, 180, 7.7e12, 1000,
                aliases=("b200sxm", "hgxb200", "dgxb200"),
                source="NVIDIA HGX B200 specifications (per GPU), nvidia.com/en-us/data-"
                       "center/hgx"),
    # AMD Instinct MI300X accelerator data sheet, https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html:
    # peak BF16 1,307.4 TFLOPS and FP8 2,614.9 TFLOPS dense (twice that with structured
    # sparsity), 192 GB HBM3, 5.3 TB/s, 750 W peak board power.
    Accelerator("MI300X", 1307.4 * T, 2614.9 * T, 192, 5.3e12, 750,
                aliases=("mi300", "mi300xoam"),
                source="AMD Instinct MI300X accelerator data sheet, "
                       "amd.com/en/products/accelerators/instinct/mi300/mi300x.html"),
    # NVIDIA L4 Tensor Core GPU datasheet, https://www.nvidia.com/en-us/data-center/l4/:
    # BF16 242 and FP8 485 TFLOPS with sparsity, so 121 and 242.5 dense; 24 GB GDDR6,
    # 300 GB/s, 72 W.
    Accelerator("L4", 121 * T, 242.5 * T, 24, 300e9, 72,
                aliases=("l424gb",),
                source="NVIDIA L4 Tensor Core GPU datasheet, nvidia.com/en-us/data-center/l4"),
    # A10G: an AWS-only variant of the A10 (EC2 G5 instances) with no NVIDIA datasheet.
    # AWS G5 documentation, https://aws.amazon.com/ec2/instance-types/g5/: 24 GB per GPU.
    # Tensor peak (70 TFLOPS bf16 dense, vs 125 on the A10), 600 GB/s and 300 W from
    # Baseten's side-by-side of the two cards, https://www.baseten.co/blog/nvidia-a10-vs-a10g-for-ml-model-inference/.
    # Ampere: no fp8.
    Accelerator("A10G", 70 * T, None, 24, 600e9, 300,
                aliases=("a10g24gb",),
                source="AWS EC2 G5 instance documentation (memory), "
                       "aws.amazon.com/ec2/instance-types/g5; Baseten, NVIDIA A10 vs A10G for "
                       "ML model inference (compute, bandwidth, power)"),
    # Google Cloud TPU v4 docs, https://cloud.google.com/tpu/docs/v4: 275 TFLOPS bf16 per
    # chip, 32 GiB HBM2, 1,200 GB/s. Google publishes no cloud power figure; the 192 W max
    # chip power is from Jouppi et al. 2023, "TPU v4: An Optically Reconfigurable
    # Supercomputer for Machine Learning with Hardware Support for Embeddings" (ISCA).
    # TPUs have int8, not fp8, and no sparsity.
    Accelerator("TPU v4", 275 * T, None, 32, 1200e9, 192,
                aliases=("v4",),
                source="Google Cloud TPU v4 documentation, cloud.google.com/tpu/docs/v4; "
                       "power: Jouppi et al. 2023, TPU v4 (ISCA)"),
    # Google Cloud TPU v5e docs, https://cloud.google.com/tpu/docs/v5e: 197 TFLOPS bf16
    # (393 TOPS int8), 16 GB HBM2, 819 GB/s. Google does not publish v5e chip power.
    Accelerator("TPU v5e", 197 * T, None, 16, 819e9, None,
                aliases=("v5e", "v5litepod", "tpuv5lite"),
                note="Google does not publish TPU v5e chip power",
                source="Google Cloud TPU v5e documentation, cloud.google.com/tpu/docs/v5e"),
    # Google Cloud TPU v5p docs, https://cloud.google.com/tpu/docs/v5p: 459 TFLOPS bf16,
    # 95 GB HBM2e, 2,765 GB/s. Google does not publish v5p chip power.
    Accelerator("TPU v5p", 459 * T, None, 95, 2765e9, None,
                aliases=("v5p",),
                note="Google does not publish TPU v5p chip power",
                source="Google Cloud TPU v5p documentation, cloud.google.com/tpu/docs/v5p"),
)

GPU_PRESETS: dict[str, Accelerator] = {a.name: a for a in _PRESETS}
GPU_NAMES: tuple[str, ...] = tuple(GPU_PRESETS)
GPU_FIELDS: tuple[str, ...] = ("bf16_flops", "fp8_flops", "memory_gb", "memory_bandwidth", "power_w")

_VENDOR = re.compile(r"^(nvidia|amd|google|cloud|tesla|instinct)+")


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    key = _VENDOR.sub("", key)
    return key[:-3] if key.endswith("gpu") and len(key) > 3 else key


_LOOKUP: dict[str, Accelerator] = {}
for _acc in _PRESETS:
    for _alias in (_acc.name, *_acc.aliases):
        _k = _key(_alias)
        assert _k not in _LOOKUP, f"duplicate accelerator alias {_alias!r}"
        _LOOKUP[_k] = _acc


def resolve_gpu(gpu="H100", name: str = "gpu"):
    """An Accelerator for a preset name, or the peak FLOP/s for a number (a float; an array for an array).

    A number (or array of numbers) is taken as the peak FLOP/s to use and must be positive.
    """
    if isinstance(gpu, Accelerator):
        return gpu
    if gpu is None:
        return GPU_PRESETS["H100 SXM"]
    if isinstance(gpu, str):
        acc = _LOOKUP.get(_key(gpu))
        if acc is None:
            raise PlannerError(f"{name} {_args.show(gpu)} is not a known accelerator; known: "
                               f"{', '.join(GPU_NAMES)}; or give the peak FLOP/s as a number", argument=name, kind=TYPE)
        return acc
    if isinstance(gpu, (bool, np.bool_)):
        raise PlannerError(f"{name} must be an accelerator name or a peak FLOP/s number; got {gpu}", argument=name, kind=TYPE)
    try:
        flops = _args.number(gpu, name, "positive", "FLOP/s")
        return float(flops) if flops.ndim == 0 else flops
    except PlannerError:
        if not _has_text(gpu):
            raise
        raise PlannerError(f"{name} must be one accelerator name or peak FLOP/s numbers; "
                           f"got {_args.show(gpu)}", argument=name, kind=TYPE) from None


def _has_text(value) -> bool:
    """Whether an array-like argument holds text among its cells (a name in a range)."""
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        return value.dtype.kind in "US"
    try:
        cells = np.asarray(value, dtype=object).ravel()
    except ValueError:  # ragged nesting: not a range of cells, so no name inside it
        return False
    return any(isinstance(v, str) for v in cells)


def _figure(acc: Accelerator, field: str, name: str = "gpu") -> float:
    value = getattr(acc, field)
    if value is None:
        if field == "fp8_flops":
            raise PlannerError(f"{name} {acc.name!r} has no fp8 support in hardware; use bf16", argument=name, kind=DOMAIN)
        raise PlannerError(f"{name} {acc.name!r} has no published {field} ({acc.note}); "
                           f"give the power in W yourself where a function takes power_w", argument=name, kind=DOMAIN)
    return float(value)


GPU = Arg("preset or FLOP/s",
          "Accelerator: a preset name (" + ", ".join(GPU_NAMES) + "; 'H100' is the SXM part, "
          "'A100' the 80 GB SXM part) or its peak dense FLOP/s as a number",
          kind="gpu")

_PRECISIONS = {"bf16": "bf16_flops", "fp8": "fp8_flops"}


def peak(gpu, name: str = "gpu", precision: str = "bf16"):
    """Dense peak FLOP/s of `gpu` (a float, or an array when gpu is an array of numbers)."""
    acc = resolve_gpu(gpu, name)
    if isinstance(acc, Accelerator):
        return _figure(acc, _PRECISIONS[precision], name)
    return acc


@formula("Compute & Cost", result="FLOP/s", example='=PEAK_FLOPS("H100")',
         gpu=GPU,
         precision=Arg("", "Number format: 'bf16' (default; fp16 tensor cores on V100) or 'fp8'",
                       kind="text", choices=tuple(_PRECISIONS)))
def peak_flops(gpu="H100", precision="bf16"):
    """Dense peak FLOP/s of an accelerator (half the datasheet figure "with sparsity").

    A number given as `gpu` is returned as it is (it already is a peak FLOP/s).
    """
    value = peak(gpu, precision=_args.choice(precision, "precision", tuple(_PRECISIONS)))
    return _args.result(value, value)


@formula("Compute & Cost", result="see field", example='=GPU_SPEC("H100", "memory_gb")',
         gpu=GPU,
         field=Arg("", "Which figure: bf16_flops, fp8_flops (dense FLOP/s), memory_gb (GB), "
                       "memory_bandwidth (bytes/s) or power_w (board power, W)",
                   kind="text", choices=GPU_FIELDS))
def gpu_spec(gpu="H100", field="bf16_flops"):
    """One published figure of an accelerator preset: dense peak FLOP/s, memory, bandwidth or power.

    Units: bf16_flops and fp8_flops in FLOP/s (dense, not "with sparsity"), memory_gb in GB,
    memory_bandwidth in bytes/s, power_w in W. Every figure is the vendor's published one
    (see `planner.hardware`; each preset's `source` names the datasheet). A chip without fp8, or a figure its vendor
    does not publish (TPU v5e/v5p power), is an error saying so rather than a blank.
    """
    field = _args.choice(field, "field", GPU_FIELDS)
    acc = resolve_gpu(gpu)
    if isinstance(acc, Accelerator):
        return _figure(acc, field)
    if field == "bf16_flops":
        return _args.result(acc, acc)
    raise PlannerError(f"gpu given as a number is only a peak FLOP/s; name a preset to get {field}", argument="field", kind=TYPE)
