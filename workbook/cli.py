"""The `planner` command line."""

from __future__ import annotations

import argparse
import os
import sys


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line like every other error."""

    def error(self, message):
        self.exit(2, f"planner: {message} (see {self.prog} --help)\n")


def main(argv=None) -> int:
    try:  # Ctrl-C at any moment, imports included, ends quietly
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        return 130


def _main(argv: list) -> int:
    # Imported here, not at the top: numpy, scipy and the engine take a moment to load.
    import planner

    from . import calccmd, demo, fitcmd, lite, reference, templates

    parser = _Parser(prog="planner", description="Compute-budget planning with scaling laws.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.add_parser(sub)
    calccmd.add_parser(sub)
    fitcmd.add_parser(sub)
    templates.add_parser(sub)
    lite.add_parser(sub)
    reference.add_parser(sub)
    if not argv:
        parser.error(f"give a command: {', '.join(sub.choices)}")
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except planner.PlannerError as exc:
        print(f"planner: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped early
        sys.stdout = open(os.devnull, "w")
        return 141
    except OSError as exc:  # a file or folder the command could not read or write
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"planner: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        line = exc.line() if hasattr(exc, "line") else f"{type(exc).__name__}: {exc}"
        print(f"planner: {_one_line(str(line))}", file=sys.stderr)
        return 1


def _one_line(text: str) -> str:
    """A message as one printable line: a file's own bytes (a header, a cell) may hold anything."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


if __name__ == "__main__":
    sys.exit(main())
