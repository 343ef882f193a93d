"""Compute-optimal allocation: how to split a FLOPs budget between parameters and tokens.

Training compute is C = 6 N D (Kaplan et al. 2020). For a law of the Chinchilla form the
optimum is N_opt = G (C/6)^a, D_opt = G^-1 (C/6)^b with a = beta/(alpha+beta),
b = alpha/(alpha+beta) and G = (alpha A / (beta B))^(1/(alpha+beta)) (Hoffmann et al. 2022,
eq. 4). `law` may also be a number r, the fixed rule "r tokens per parameter".
"""

from __future__ import annotations

from . import _args
from .catalog import LAW, LAW_FOR_LOSS, Arg, formula
from .laws import resolve_law

__all__ = ["chinchilla_n", "chinchilla_d", "chinchilla_loss", "chinchilla_compute"]

COMPUTE = Arg("FLOPs", "Training compute budget C (C = 6ND)")


@formula("Scaling Laws", result="parameters", example="=CHINCHILLA_N(1E24)", compute=COMPUTE, law=LAW)
def chinchilla_n(compute, law="chinchilla"):
    """Compute-optimal number of parameters for a training budget of `compute` FLOPs."""
    c = _args.number(compute, "compute", unit="FLOPs")
    return _args.result(resolve_law(law, allow_ratio=True).optimal_n(c), compute)


@formula("Scaling Laws", result="tokens", example="=CHINCHILLA_D(1E24)", compute=COMPUTE, law=LAW)
def chinchilla_d(compute, law="chinchilla"):
    """Compute-optimal number of training tokens for a budget of `compute` FLOPs."""
    c = _args.number(compute, "compute", unit="FLOPs")
    return _args.result(resolve_law(law, allow_ratio=True).optimal_d(c), compute)


@formula("Scaling Laws", result="nats/token", example="=CHINCHILLA_LOSS(1E24)", compute=COMPUTE,
         law=LAW_FOR_LOSS)
def chinchilla_loss(compute, law="chinchilla"):
    """Loss of the compute-optimal model for a budget of `compute` FLOPs."""
    c = _args.number(compute, "compute", unit="FLOPs")
    return _args.result(resolve_law(law).optimal_loss(c), compute)


@formula("Scaling Laws", result="FLOPs", example="=CHINCHILLA_COMPUTE(70E9)",
         params=Arg("parameters", "Model size N"), law=LAW)
def chinchilla_compute(params, law="chinchilla"):
    """The training budget whose compute-optimal model has `params` parameters."""
    n = _args.number(params, "params", unit="parameters")
    return _args.result(resolve_law(law, allow_ratio=True).compute_for_optimal_n(n), params)
