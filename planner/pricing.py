"""What an accelerator-hour costs: rented on demand, committed for a term, or owned.

On demand, the price is the cloud's hourly rate, which every cost function takes as
`price_per_gpu_hour`. The two functions here turn the other ways of paying into that same
figure, so any plan can compare them:

- COMMITTED_HOUR_PRICE: a reserved instance or committed-use contract, a discount on the
  on-demand rate for a term paid whether used or not.
- OWNED_HOUR_COST: hardware bought and run, following the amortised hardware and energy
  model of Cottier et al. 2024, "The rising costs of training frontier AI models" (Epoch AI;
  section 2 and its code, github.com/epoch-research/training-cost-trends,
  cost_analysis_standalone.py, read 2026-12-01): the accelerator's price times a server
  overhead (the rest of the server), plus the cluster's interconnect, amortised over the
  hardware's useful life, plus the energy it draws at the facility's PUE.
"""

from __future__ import annotations

import numpy as np

from . import _args, hardware
from .catalog import Arg, formula
from .cost import board_power

__all__ = ["committed_hour_price", "owned_hour_cost"]

CATEGORY = "Compute & Cost"
HOURS_PER_YEAR = 24 * 365.25

# Cottier et al. 2024 amortise hardware at the rate ML GPU price-performance improves, 0.14
# orders of magnitude a year: replacing it is worth while at k ln 10 = 32% of its value a
# year, a useful life of 1 / (0.14 ln 10) = 3.1 years (their code's
# ML_GPU_PRICE_PERFORMANCE_OOMS_PER_YEAR and hardware_replacement_per_year).
USEFUL_LIFE_YEARS = float(1.0 / (0.14 * np.log(10.0)))
# The rest of a server per accelerator's price: 1.54 (P100), 1.69 (V100) and 1.66 (A100)
# in their cost breakdowns, 1.64 on average (get_server_cost_overhead).
SERVER_OVERHEAD = 1.64
# Cluster-level interconnect: 19% of the cluster's hardware cost
# (CLUSTER_INTERCONNECT_COST_FRACTION).
INTERCONNECT_FRACTION = 0.19
# A training server's draw per accelerator over the accelerator's board power: a DGX H100
# draws 10.2 kW for 8 GPUs of 700 W (chip_to_server_power), at 75% of that while training
# (server_TDP_fraction): 10.2/8/0.7 x 0.75 = 1.37.
SERVER_POWER = 10.2 / 8 / 0.7 * 0.75
# Average US industrial electricity price in 2024, $/kWh, from their energy_price table.
PRICE_PER_KWH = 0.0771


@formula(CATEGORY, result="$/GPU-hour used", example="=COMMITTED_HOUR_PRICE(4.10, 0.41, 1, 0.5)",
         on_demand_price=Arg("$/GPU-hour", "The on-demand price of one accelerator-hour"),
         discount=Arg("fraction", "The contract's discount on the on-demand price, a fraction below 1 "
                                  "(Cottier et al.'s price data: AWS p4d A100 in 2021, $4.10 on demand, "
                                  "$2.40 with a 1-year and $1.45 with a 3-year commitment: 0.41 and 0.65)",
                      rule="open_fraction"),
         term_years=Arg("years", "The commitment's term, paid in full whether the hours are used or not"),
         years_used=Arg("years", "How long you need the accelerators; empty: the whole term. Longer "
                                 "than the term renews it in whole terms"))
def committed_hour_price(on_demand_price, discount, term_years=1, years_used=None):
    """The price of an accelerator-hour you use under a reserved or committed-use contract.

    on_demand_price x (1 - discount) x the years paid / the years used, where the years paid
    are whole terms covering the years used: a 1-year commitment used for 6 months costs
    twice its hourly rate per hour used, and can cost more than on demand. Give the result
    as `price_per_gpu_hour` to any cost function.
    """
    price = _args.number(on_demand_price, "on_demand_price")
    d = _args.number(discount, "discount")
    term = _args.number(term_years, "term_years")
    used = term if years_used is None else _args.number(years_used, "years_used")
    _args.broadcast(on_demand_price=price, discount=d, term_years=term, years_used=used)
    with np.errstate(all="ignore"):
        terms = np.ceil(used / term * (1.0 - _args.WHOLE_TOLERANCE))  # an exact fit is not a new term
        hourly = price * (1.0 - d) * terms * term / used
    hourly = _args.in_range(hourly, "price per hour used", "on_demand_price", price)
    return _args.result(hourly, on_demand_price, discount, term_years, used)


@formula(CATEGORY, result="$/GPU-hour used", example='=OWNED_HOUR_COST(33750, "H100")',
         purchase_price=Arg("$", "What one accelerator costs to buy (Cottier et al.'s price data: an "
                                 "H100 SXM at about $33,750, from a DGX H100 at $270,000 for 8, May "
                                 "2023). For a whole server's price per accelerator, set "
                                 "server_overhead to 1"),
         gpu=hardware.GPU,
         useful_life_years=Arg("years", "Years over which the hardware is written off; default 3.1, the "
                                        "life at which Cottier et al. 2024 amortise it (hardware "
                                        "price-performance improves 0.14 orders of magnitude a year)"),
         utilisation=Arg("fraction", "Fraction of all hours the hardware is busy: the write-off accrues "
                                     "every hour, so idle hours raise the cost of a busy one",
                         rule="fraction"),
         server_overhead=Arg("ratio", "The server's price over its accelerators' (CPUs, memory, "
                                      "networking cards, chassis): 1.64, Cottier et al.'s average",
                             rule="at_least_one"),
         interconnect_fraction=Arg("fraction", "Share of the cluster's hardware cost in its "
                                               "interconnect (switches, cables): 0.19, Cottier et al.",
                                   rule="nonnegative", bounds=(0.0, 0.9)),
         pue=Arg("ratio", "Power usage effectiveness of the facility (1.2 as in ENERGY_KWH; Cottier "
                          "et al. use 1.1 for hyperscalers, 1.25 otherwise)", rule="at_least_one"),
         price_per_kwh=Arg("$/kWh", "Electricity price: 0.0771, the 2024 US industrial average in "
                                    "Cottier et al.'s code", rule="nonnegative"),
         power_w=Arg("W", "Board power of one accelerator; empty: the preset's figure"),
         server_power=Arg("ratio", "The server's draw per accelerator while training, over the "
                                   "accelerator's board power: 1.37, a DGX H100 (10.2 kW for 8 x "
                                   "700 W, at 75% while training; Cottier et al.)", rule="positive"))
def owned_hour_cost(purchase_price, gpu="H100", useful_life_years=USEFUL_LIFE_YEARS, utilisation=1.0,
                    server_overhead=SERVER_OVERHEAD, interconnect_fraction=INTERCONNECT_FRACTION, pue=1.2,
                    price_per_kwh=PRICE_PER_KWH, power_w=None, server_power=SERVER_POWER):
    """What an hour of an owned accelerator costs: its hardware written off, plus its energy.

    Hardware: purchase_price x server_overhead / (1 - interconnect_fraction), written off
    evenly over useful_life_years of 8,766 hours, per busy hour at the utilisation. Energy:
    power_w x server_power x pue / 1000 kWh per busy hour at price_per_kwh. This is Cottier
    et al. 2024's amortised hardware and energy model; their default life, 3.1 years,
    amortises an H100 bought at $33,750 at about $2.51 an hour, and its energy adds $0.09:
    within the $2-5 on-demand H100 prices of 2023-24 in the same price data. Staff, buildings and financing are not included. Give the result as
    `price_per_gpu_hour` to any cost function.
    """
    price = _args.number(purchase_price, "purchase_price")
    life = _args.number(useful_life_years, "useful_life_years")
    busy = _args.number(utilisation, "utilisation")
    overhead = _args.number(server_overhead, "server_overhead")
    network = _args.number(interconnect_fraction, "interconnect_fraction")
    ratio = _args.number(pue, "pue")
    kwh_price = _args.number(price_per_kwh, "price_per_kwh")
    watts = board_power(gpu, power_w)
    draw = _args.number(server_power, "server_power")
    _args.broadcast(purchase_price=price, useful_life_years=life, utilisation=busy, server_overhead=overhead,
                    interconnect_fraction=network, pue=ratio, price_per_kwh=kwh_price, power_w=watts,
                    server_power=draw)
    with np.errstate(all="ignore"):
        hardware_cost = price * overhead / (1.0 - network) / (life * HOURS_PER_YEAR) / busy
        energy = watts * draw * ratio / 1000.0 * kwh_price
        hourly = hardware_cost + energy
    hourly = _args.in_range(hourly, "cost per hour", "purchase_price", price)
    return _args.result(hourly, purchase_price, useful_life_years, utilisation, server_overhead,
                        interconnect_fraction, pue, price_per_kwh, watts if power_w is not None else 0.0,
                        server_power)

