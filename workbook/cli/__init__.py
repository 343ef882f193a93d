"""The `planner` command line: one module per command, each with its own parser."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading

from workbook.cli.common import BAD_INPUT, EXIT_CODES, USAGE, Parser, UsageError, one_line

# Command modules, in the order `planner --help` lists them.
COMMANDS = ("demo", "calc", "fit", "templates", "export_lite", "reference")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("compute-planner")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


class _Version(argparse.Action):
    """--version, looking the version up only when asked (importlib.metadata takes 15 ms)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show the program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"planner {version()}")
        parser.exit()


def parser() -> Parser:
    import importlib

    p = Parser(prog="planner", description="Compute-budget planning with scaling laws.",
               epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"workbook.cli.{name}").add_parser(sub)
    for command in sub.choices.values():
        command.epilog = command.epilog or EXIT_CODES
        command.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


class Terminated(BaseException):
    """SIGTERM (what `timeout`, `kill` and container stops send), raised like Ctrl-C's
    KeyboardInterrupt so that every temporary file and folder is removed on the way out."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    try:  # Ctrl-C or SIGTERM at any moment, imports included, ends quietly and cleanly
        return _main(sys.argv[1:] if argv is None else list(argv), ending=argv is None)
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("planner: terminated", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if argv is None:  # the `planner` command: the process ends here
            gc.freeze()  # its objects go with it, not through one more pass of the cycle collector


def _main(argv: list, ending: bool = False) -> int:
    """Run the command line `argv`; `ending` when the process ends with it (the `planner`
    command itself rather than a caller of main)."""
    # numpy, scipy and the engine take a moment to load: each command imports what it needs.
    import planner

    p = parser()
    if ending:
        # The modules live as long as the process: left out of the cycle collector's passes,
        # which otherwise walk them again and again (with the pass at exit, about 60 ms of a
        # template's run).
        gc.freeze()
    if not argv:
        p.error("give a command: " + ", ".join(c.replace("_", "-") for c in COMMANDS))
    args = p.parse_args(argv)
    args.ending = ending
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"planner: {one_line(str(exc))} (see planner {args.command} --help)", file=sys.stderr)
        return USAGE
    except planner.PlannerError as exc:
        print(f"planner: {one_line(str(exc))}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:  # the reader (e.g. `| head`) stopped early
        sys.stdout = open(os.devnull, "w")
        return 141
    except OSError as exc:  # a file or folder the command could not read or write
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"planner: {one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        line = exc.line() if hasattr(exc, "line") else f"{type(exc).__name__}: {exc}"
        print(f"planner: {one_line(str(line))}", file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
