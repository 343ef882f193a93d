"""`planner fit RUNS.csv`: fit a scaling law to your own training runs.

The CSV needs a header row and, in any order and any letter case:

- model size: a column named `params`, `parameters`, `N` or `Model Size`;
- training tokens: `tokens`, `training tokens` or `D`; or else training compute:
  `Training FLOP`, `FLOPs` or `compute` (then tokens = FLOPs / (6 N));
- final loss: `loss`, `final loss` or `validation loss`.

Other columns are ignored. Rows with a blank or non-numeric entry are skipped with a
warning. `--drop-highest K` leaves out the K runs with the highest loss first (Besiroglu et
al. 2024 drop 5 of the 245 Chinchilla runs).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import re
import sys
import warnings
from pathlib import Path

import numpy as np

import planner
from planner.fitting import FIELDS, MAX_RESAMPLES, MIN_RESAMPLES, bootstrap_scaling_law

# Accepted header names (compared lower-case, with _ and - read as spaces).
COLUMNS = {
    "params": ("params", "parameters", "n", "model size", "model params", "num params"),
    "tokens": ("tokens", "training tokens", "d", "train tokens", "num tokens"),
    "flops": ("training flop", "training flops", "flop", "flops", "compute", "train flops"),
    "loss": ("loss", "final loss", "validation loss", "val loss", "eval loss"),
}


def add_parser(sub) -> None:
    """Register the `fit` subcommand on the `planner` command's subparsers."""
    p = sub.add_parser(
        "fit", help="fit L = E + A/N^alpha + B/D^beta to training runs in a CSV file",
        description="Fit the Chinchilla law L = E + A/N^alpha + B/D^beta to your training runs "
                    "(Approach 3 as replicated by Besiroglu et al. 2024). Columns: params (or "
                    "'Model Size'), tokens (or 'Training FLOP', tokens = FLOP / 6N), loss.")
    p.add_argument("runs", metavar="RUNS.csv", help="CSV file with one training run per row")
    p.add_argument("--ci", action="store_true", help="add bootstrap confidence intervals")
    p.add_argument("--level", type=float, default=0.8,
                   help="confidence level of the intervals (default 0.8)")
    p.add_argument("--resamples", type=int, default=1000,
                   help=f"bootstrap resamples, {MIN_RESAMPLES} to {MAX_RESAMPLES} (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the bootstrap (default 0)")
    p.add_argument("--drop-highest", type=int, default=0, metavar="K",
                   help="leave out the K runs with the highest loss (default 0)")
    p.set_defaults(run=run)


def _key(header: str) -> str:
    return re.sub(r"\s+", " ", header.replace("_", " ").replace("-", " ")).strip().lower()


def _cell(text: str):
    """A CSV cell as a number, None when blank, or the text itself (skipped by the fit)."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _tokens(flops, params):
    """D = C / (6 N) for two numbers; a blank or text cell stays as it is, to be skipped."""
    if not isinstance(flops, float):
        return flops
    if not isinstance(params, float):
        return None  # the row is skipped for its params cell
    return flops / (6.0 * params) if params else float("inf")  # N = 0 fails on params


# Byte-order marks, longest first (UTF-32's little-endian mark begins like UTF-16's).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decode(raw: bytes) -> str:
    """A CSV file's text: UTF-8, UTF-16 or UTF-32 (what Excel's "Unicode Text" and "CSV UTF-8"
    write, with a byte-order mark or, for UTF-16 and UTF-32, without), else the Windows
    code page Excel's plain CSV uses."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    # No mark: the pattern of zero bytes in an ASCII header tells UTF-16 and UTF-32 apart.
    head = raw[:64]
    for encoding, pattern in (("utf-32-le", b"\0\0\0"), ("utf-32-be", b"\0\0\0"), ("utf-16-le", b"\0"),
                              ("utf-16-be", b"\0")):
        width = 4 if "32" in encoding else 2
        zeros = [head[i + 1:i + width] if encoding.endswith("le") else head[i:i + width - 1]
                 for i in range(0, len(head) - width + 1, width)]
        if head and len(raw) % width == 0 and zeros and all(z == pattern for z in zeros):
            return raw.decode(encoding, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # Excel on Windows saves plain CSV in the ANSI code page
        return raw.decode("cp1252", errors="replace")


def read_runs(path) -> tuple[list, list, list]:
    """(params, tokens, losses) columns from a CSV file; cells are numbers, None or text."""
    path = Path(path)
    try:
        if path.is_dir():
            raise planner.PlannerError(f"{path}: is a folder, not a CSV file")
        if path.exists() and not path.is_file():  # a pipe or a device would block or never end
            raise planner.PlannerError(f"{path}: is not a regular file (a pipe or device)")
        text = _decode(path.read_bytes())
        if "\0" in text:
            raise planner.PlannerError(f"{path}: is not a text file (CSV)")
        try:  # Excel in many locales separates fields with ';'
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except FileNotFoundError:
        raise planner.PlannerError(f"{path}: no such file") from None
    except (OSError, csv.Error) as exc:
        raise planner.PlannerError(f"{path}: cannot read as a CSV file ({getattr(exc, 'strerror', None) or exc})") from None
    if not rows:
        raise planner.PlannerError(f"{path}: the file is empty")
    header = [_key(h) for h in rows[0]]
    found = {}
    for role, names in COLUMNS.items():
        for name in names:
            if name in header:
                found[role] = header.index(name)
                break
    if "params" not in found or "loss" not in found or not ("tokens" in found or "flops" in found):
        need = [r for r in ("params", "loss") if r not in found]
        if "tokens" not in found and "flops" not in found:
            need.append("tokens (or training FLOPs)")
        names = ", ".join(rows[0])
        names = names if len(names) <= 80 else names[:77] + "..."
        raise planner.PlannerError(f"{path}: no column for {', '.join(need)}; the header has "
                                   f"{names or 'no names'}")
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    col = {role: [_cell(r[i]) if i < len(r) else None for r in body] for role, i in found.items()}
    n = col["params"]
    if "tokens" in found:
        d = col["tokens"]
    else:
        d = [_tokens(c, p) for c, p in zip(col["flops"], n)]
    return n, d, col["loss"]


def drop_highest(n, d, loss, k: int):
    """The runs without the k highest numeric losses."""
    if k < 0:
        raise planner.PlannerError(f"--drop-highest must be zero or positive; got {k}")
    if k == 0:
        return n, d, loss
    numeric = [i for i, v in enumerate(loss) if isinstance(v, float) and np.isfinite(v)]
    if k >= len(numeric):
        raise planner.PlannerError(f"--drop-highest {k} would leave no runs; the file has "
                                   f"{len(numeric)} runs with a loss")
    order = sorted(numeric, key=lambda i: loss[i])
    gone = set(order[len(order) - k:])
    keep = [i for i in range(len(loss)) if i not in gone]
    return [n[i] for i in keep], [d[i] for i in keep], [loss[i] for i in keep]


class _ProgressBar:
    """A tqdm bar on stderr, opened at the first resample (after the arguments are checked)."""

    def __init__(self, total: int):
        self.total, self.bar = total, None

    def update(self, k: int) -> None:
        if self.bar is None:
            from tqdm import tqdm
            self.bar = tqdm(total=self.total, desc="bootstrap", unit="fit", file=sys.stderr,
                            leave=False)
        self.bar.update(k)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def run(args) -> int:
    try:
        return _run(args)
    except planner.PlannerError as exc:
        if str(exc).startswith(str(Path(args.runs))):
            raise
        raise planner.PlannerError(f"{Path(args.runs)}: {exc}") from None


def _run(args) -> int:
    n, d, loss = drop_highest(*read_runs(args.runs), args.drop_highest)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", planner.PlannerWarning)
        if args.ci:
            bar = _ProgressBar(args.resamples)
            try:
                table = bootstrap_scaling_law(n, d, loss, args.level, args.resamples, args.seed,
                                              progress=bar.update)
            finally:
                bar.close()
            law = table[0]
        else:
            table = None
            law = planner.fit_scaling_law(n, d, loss)
    for w in caught:
        if issubclass(w.category, planner.PlannerWarning):
            print(f"planner: warning: {w.message}", file=sys.stderr)
    used = sum(isinstance(a, float) and isinstance(b, float) and isinstance(c, float)
               and np.isfinite([a, b, c]).all() for a, b, c in zip(n, d, loss))
    E, A, B, alpha, beta = law
    print(f"Fitted L = E + A/N^alpha + B/D^beta to {used} runs "
          f"(Approach 3: Huber loss on log loss, delta 1e-3)")
    notes = {"E": "nats/token, irreducible loss", "A": "parameter term", "B": "data term",
             "alpha": "model-size exponent", "beta": "data exponent"}
    if table is None:
        for name, v in zip(FIELDS, law):
            print(f"  {name:<6} {_fmt(v):>10}   {notes[name]}")
    else:
        pct = f"{args.level * 100:g}%"
        print(f"  {'':<6} {'estimate':>10} {'low':>10} {'high':>10}   "
              f"{pct} bootstrap interval, {args.resamples} resamples, seed {args.seed}")
        for j, name in enumerate(FIELDS):
            print(f"  {name:<6} {_fmt(table[0, j]):>10} {_fmt(table[1, j]):>10} "
                  f"{_fmt(table[2, j]):>10}   {notes[name]}")
    a, b = beta / (alpha + beta), alpha / (alpha + beta)
    print(f"Compute-optimal scaling: N_opt ~ C^a, D_opt ~ C^b with "
          f"a = beta/(alpha+beta) = {a:.4f}, b = alpha/(alpha+beta) = {b:.4f}")
    print("As a law in a formula: {" + ",".join(_fmt(v) for v in law) + "}")
    return 0
