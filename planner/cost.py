"""From FLOPs to GPU-hours, days, money and energy.

Everything here rests on one relation: an accelerator delivers `peak * mfu` useful FLOP/s,
where `peak` is its dense peak (see `planner.hardware`) and `mfu` the model FLOPs
utilisation, the fraction of that peak a real job achieves. So

    GPU-hours = FLOPs / (peak * mfu) / 3600.

Defaults, and why:
- gpu = "H100" (the SXM part, 989.4 TFLOP/s dense bf16): the workhorse of current training.
- mfu = 0.4: large dense training runs report 38-46%: PaLM 540B 46.2% (Chowdhery et al.
  2022, Table 3), Llama 3 405B 38-43% in bf16 (Dubey et al. 2024, "The Llama 3 Herd of
  Models", Table 4). Smaller or less tuned jobs often get 20-35%.
- price_per_gpu_hour = 2.0 (US dollars): a round H100 rental price in 2024-25; on-demand
  prices from specialised GPU clouds ran at roughly $2-3 per H100-hour, hyperscalers and
  reserved capacity differ. Set your own.
- pue = 1.2: power usage effectiveness (facility power / IT power). Hyperscalers report
  about 1.1 (Google's fleet-wide trailing-twelve-month PUE, 2023 Environmental Report),
  while the industry average is about 1.58 (Uptime Institute Global Data Center Survey
  2023); 1.2 is a modern large facility.
MFU is a fraction in (0, 1]: 40% is 0.4 (a value over 1 is an error, never silently /100).
"""

from __future__ import annotations

import numpy as np

from . import _args
from .catalog import Arg, formula
from .errors import PlannerError
from .hardware import GPU, Accelerator, peak, resolve_gpu

__all__ = ["gpu_hours", "train_days", "gpus_for_deadline", "compute_from_gpus", "compute_cost",
           "energy_kwh"]

HOUR = 3600.0
DAY = 86400.0
CATEGORY = "Compute & Cost"

FLOPS = Arg("FLOPs", "Total compute of the job (training: 6 x params x tokens)")
MFU = Arg("fraction", "Model FLOPs utilisation: the fraction of peak the job achieves, in (0, 1] "
                      "(0.4 = 40%, typical of large training runs)")
GPUS = Arg("GPUs", "Number of accelerators working in parallel")
DAYS = Arg("days", "Wall-clock time")
PRICE = Arg("$/GPU-hour", "Price of one accelerator for one hour")


def fraction(value, name: str) -> np.ndarray:
    """A utilisation in (0, 1], with a hint when it looks like a percentage."""
    arr = _args.number(value, name)
    _args.check(arr <= 1, name, "must be a fraction in (0, 1] (40% is 0.4)", arr)
    return arr


def _rate(gpu, mfu, mfu_name: str = "mfu"):
    """Useful FLOP/s of one accelerator: peak * mfu (and the peak, for broadcasting)."""
    p = peak(gpu)
    return p * fraction(mfu, mfu_name), p


@formula(CATEGORY, result="GPU-hours", example="=GPU_HOURS(1E24)",
         flops=FLOPS, gpu=GPU, mfu=MFU)
def gpu_hours(flops, gpu="H100", mfu=0.4):
    """Accelerator-hours a job of `flops` FLOPs takes: flops / (peak FLOP/s x mfu) / 3600.

    1e24 FLOPs on H100s (989.4 TFLOP/s dense bf16) at 40% MFU is about 701,900 GPU-hours.
    """
    c = _args.number(flops, "flops", "nonnegative", unit="FLOPs")
    rate, p = _rate(gpu, mfu)
    return _args.result(c / rate / HOUR, flops, p, mfu)


@formula(CATEGORY, result="days", example="=TRAIN_DAYS(1E24, 4096)",
         flops=FLOPS, gpus=GPUS, gpu=GPU, mfu=MFU)
def train_days(flops, gpus, gpu="H100", mfu=0.4):
    """Wall-clock days a job of `flops` FLOPs takes on `gpus` accelerators (perfect scaling)."""
    c = _args.number(flops, "flops", "nonnegative", unit="FLOPs")
    g = _args.number(gpus, "gpus", unit="GPUs")
    rate, p = _rate(gpu, mfu)
    return _args.result(c / (g * rate) / DAY, flops, gpus, p, mfu)


@formula(CATEGORY, result="GPUs", example="=GPUS_FOR_DEADLINE(1E24, 30)",
         flops=FLOPS, days=Arg("days", "Deadline: wall-clock days the job may take"),
         gpu=GPU, mfu=MFU)
def gpus_for_deadline(flops, days, gpu="H100", mfu=0.4):
    """Accelerators needed to finish `flops` FLOPs within `days` days, rounded up to whole GPUs.

    An exact fit is not rounded up: ratios within one part in 1e9 of a whole number (float
    rounding) count as that number.
    """
    c = _args.number(flops, "flops", "nonnegative", unit="FLOPs")
    t = _args.number(days, "days", unit="days")
    rate, p = _rate(gpu, mfu)
    exact = c / (rate * t * DAY)
    return _args.result(np.ceil(exact * (1 - 1e-9)), flops, days, p, mfu)


@formula(CATEGORY, result="FLOPs", example="=COMPUTE_FROM_GPUS(4096, 30)",
         gpus=GPUS, days=DAYS, gpu=GPU, mfu=MFU)
def compute_from_gpus(gpus, days, gpu="H100", mfu=0.4):
    """The FLOPs budget a cluster of `gpus` accelerators delivers in `days` days at `mfu`."""
    g = _args.number(gpus, "gpus", unit="GPUs")
    t = _args.number(days, "days", unit="days")
    rate, p = _rate(gpu, mfu)
    return _args.result(g * t * DAY * rate, gpus, days, p, mfu)


@formula(CATEGORY, result="$", example="=COMPUTE_COST(1E24, 2)",
         flops=FLOPS, price_per_gpu_hour=PRICE, gpu=GPU, mfu=MFU)
def compute_cost(flops, price_per_gpu_hour=2.0, gpu="H100", mfu=0.4):
    """Dollar cost of a job of `flops` FLOPs: GPU-hours x price per GPU-hour.

    The default $2 per GPU-hour is a round 2024-25 H100 rental price; use your own quote.
    """
    c = _args.number(flops, "flops", "nonnegative", unit="FLOPs")
    price = _args.number(price_per_gpu_hour, "price_per_gpu_hour", unit="$/GPU-hour")
    rate, p = _rate(gpu, mfu)
    return _args.result(c / rate / HOUR * price, flops, price_per_gpu_hour, p, mfu)


@formula(CATEGORY, result="kWh", example="=ENERGY_KWH(1E24)",
         flops=FLOPS, gpu=GPU, mfu=MFU,
         pue=Arg("ratio", "Power usage effectiveness of the data centre (facility / IT power), "
                          "at least 1; 1.2 is a modern large facility, 1.1 a hyperscaler, "
                          "about 1.58 the industry average"),
         power_w=Arg("W", "Board power of one accelerator; empty: the preset's figure (needed "
                          "when gpu is a number, or for TPU v5e/v5p whose power is unpublished)"))
def energy_kwh(flops, gpu="H100", mfu=0.4, pue=1.2, power_w=None):
    """Facility energy in kWh for a job: board power x GPU-hours x PUE / 1000.

    Board power (TDP) is the accelerator's full draw, which large training runs come close
    to; host CPUs, networking and storage are not counted, cooling and power delivery are
    (through PUE).
    """
    c = _args.number(flops, "flops", "nonnegative", unit="FLOPs")
    rate, p = _rate(gpu, mfu)
    ratio = _args.number(pue, "pue", "at_least_one")
    if power_w is None:
        acc = resolve_gpu(gpu)
        if not isinstance(acc, Accelerator):
            raise PlannerError("power_w is needed when gpu is given as a number (FLOP/s only)")
        watts = _args.number(_power(acc), "power_w", unit="W")
    else:
        watts = _args.number(power_w, "power_w", unit="W")
    kwh = c / rate / HOUR * watts * ratio / 1000.0
    return _args.result(kwh, flops, p, mfu, pue, watts if power_w is not None else 0.0)


def _power(acc: Accelerator) -> float:
    if acc.power_w is None:
        raise PlannerError(f"gpu {acc.name!r} has no published board power ({acc.note}); "
                           f"give power_w in W")
    return acc.power_w
