"""The `planner` command line."""

from __future__ import annotations

import argparse
import os
import sys

import planner

from . import calccmd, demo, fitcmd, lite, reference, templates


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="planner", description="Compute-budget planning with scaling laws.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo.add_parser(sub)
    calccmd.add_parser(sub)
    fitcmd.add_parser(sub)
    templates.add_parser(sub)
    lite.add_parser(sub)
    reference.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except planner.PlannerError as exc:
        print(f"planner: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped early
        sys.stdout = open(os.devnull, "w")
        return 141
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        line = exc.line() if hasattr(exc, "line") else f"{type(exc).__name__}: {exc}"
        print(f"planner: {' '.join(str(line).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
