"""What every `planner` command shares: the parser, the exit codes and one-line messages."""

from __future__ import annotations

import argparse

# Exit codes, the same for every command (and listed in `planner --help`).
OK = 0
BAD_INPUT = 1  # a bad input value or file, a formula the engine cannot compute
USAGE = 2  # the command line itself is wrong (unknown option, missing argument)
EXIT_CODES = (f"exit status: {OK} done; {BAD_INPUT} a bad input or file (the message says "
              f"which); {USAGE} bad usage of the command line")


class UsageError(Exception):
    """The command line is wrong: exit status 2, like argparse's own usage errors."""


class Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line like every other error."""

    def error(self, message):
        self.exit(USAGE, f"planner: {message} (see {self.prog} --help)\n")


def one_line(text: str) -> str:
    """A message as one printable line: a file's own bytes (a header, a cell) may hold anything."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
