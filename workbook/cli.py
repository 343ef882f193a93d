"""The `planner` command line."""

from __future__ import annotations

import argparse
import sys

import planner

from . import fitcmd


def _demo(args) -> int:
    budget = 1e24
    n, d = planner.chinchilla_n(budget), planner.chinchilla_d(budget)
    print(f"Compute-optimal plan for {budget:.1e} FLOPs (Chinchilla law):")
    print(f"  parameters  {n / 1e9:10.1f} B")
    print(f"  tokens      {d / 1e9:10.1f} B  ({d / n:.1f} per parameter)")
    print(f"  loss        {planner.chinchilla_loss(budget):10.4f} nats/token")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="planner", description="Compute-budget planning with scaling laws.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="print an example plan").set_defaults(run=_demo)
    fitcmd.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except planner.PlannerError as exc:
        print(f"planner: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
