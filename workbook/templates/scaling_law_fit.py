"""The scaling-law fit: a law fitted to your own runs (shipped: the Chinchilla Figure 4 runs)."""

from __future__ import annotations

import csv
from pathlib import Path

from workbook.templates.spec import (  # noqa: F401
    BILLIONS, CHECK, CHOICE, Chart, Col, PER_BILLION, PER_TRILLION, FLOPS, INT, In, LAW_SOURCES, LOSS, MILLIONS, Out, SCI, Section,
    Sheet, TOKENS, TRAIN_FLOPS_PER, TWO, Table, Template, constants, law_spread, spill,
)

RUNS_CSV = Path(__file__).parent / "data" / "chinchilla_figure4_runs.csv"  # package data
RUNS_SOURCE = (
    "Training runs: 245 runs (model size N, training FLOPs C, final loss) that Epoch AI extracted "
    "from Figure 4 of Hoffmann et al. 2022 for Besiroglu et al. 2024, \"Chinchilla Scaling: A "
    "replication attempt\" (repository epoch-research/analyzing-chinchilla, file "
    "data/svg_extracted_data.csv). Training tokens D = C / (6N).",
    "The replication leaves out the 5 runs with the highest loss, the first five rows of sheet "
    "Runs, marked 'no' in its Include column; so the shipped fit comes out at the published law "
    "(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658) within its standard errors. Set "
    "them to 'yes' to fit all 245.",
)
SUMMARY = ('="Your "&TEXT(Runs_Count,"0")&" runs follow L = "&TEXT(Fit_E,"0.000")&" + "&TEXT(Fit_A,"0.0")'
           '&"/N^"&TEXT(Fit_Alpha,"0.000")&" + "&TEXT(Fit_B,"0.0")&"/D^"&TEXT(Fit_Beta,"0.000")&": at "'
           '&TEXT(Budget,"0.00E+00")&" FLOPs it recommends "&TEXT(Fit_Opt_Params/Per_Billion,"0.0")'
           '&" B parameters on "&TEXT(Fit_Opt_Tokens/Per_Trillion,"0.00")&" T tokens (root-mean-square "'
           '&"residual "&TEXT(Fit_RMSE,"0.000")&" nats/token)."')
RUN_ROWS = 500  # room for a user's own runs; blank rows are skipped by the fit


def _read_runs(path: Path = RUNS_CSV) -> tuple[tuple[float, float, float], ...]:
    """(parameters, tokens, loss) per run, tokens from the FLOPs as D = C / (6N).

    Rounded to 15 significant digits, which an .xlsx file stores exactly (openpyxl writes 16),
    so the workbook holds the very numbers the tests fit.
    """
    exact = lambda x: float(f"{x:.15g}")  # noqa: E731
    with open(path, newline="") as f:
        return tuple((exact(float(r["Model Size"])),
                      exact(float(r["Training FLOP"]) / (6 * float(r["Model Size"]))),
                      exact(float(r["loss"]))) for r in csv.DictReader(f))


RUNS = _read_runs()
_FIT = 'FIT_SCALING_LAW(Runs_Params,Runs_Tokens,Runs_Loss,Huber_Delta,"huber",Runs_Weight)'
EXCLUDED = 5  # the replication leaves out the five runs of highest loss, the first five rows

SCALING_LAW_FIT = Template(
    "scaling_law_fit.xlsx",
    "Scaling-law fit: your own law from your training runs",
    answers=(
        "Which scaling law L(N, D) = E + A/N^alpha + B/D^beta do your own training runs follow? "
        "The fit is the Chinchilla paper's Approach 3 as its published replication does it (Huber "
        "loss on log-loss residuals, L-BFGS from a grid of starting points).",
        "How well does it fit (predicted against observed loss, residuals), and what does it imply: "
        "the compute-optimal exponents a = beta/(alpha+beta) for parameters and b = alpha/(alpha+beta) "
        "for tokens, and the model it recommends for a budget, against each preset.",
    ),
    how=(
        "Sheet Runs: paste your runs over the blue columns (parameters, training tokens, final loss in "
        "nats/token), one run per row, up to 500 rows, and clear the Include column (blank or 'yes': "
        "the run is used; 'no': left out). Clear the rows you do not use. Everything on the Fit "
        "sheet follows.",
        "Sheet Fit: the fitted numbers form the range Fit_Law, which any law argument accepts, e.g. "
        "=CHINCHILLA_N(1E+24, Fit_Law) in any cell of this workbook.",
        "Fit five numbers from at least a dozen runs that span model sizes and token counts; "
        "fewer points make a law that extrapolates poorly.",
    ),
    sources=RUNS_SOURCE + LAW_SOURCES + (
        "Fitting method: Hoffmann et al. 2022, section 3.3 and appendix D.2 (Huber delta 1e-3).",
    ),
    sheets=(
        Sheet("Fit", "Scaling-law fit", "The law fitted to the runs on sheet Runs.", (
            Section("Summary", (
                Out("The fit in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs: fit settings", (
                In("Huber delta", "Huber_Delta", 1e-3, "nats (log-loss)", "0.0E+00",
                   note="1e-3 as in Hoffmann et al. 2022; larger is closer to least squares"),
                In("Budget to plan for", "Budget", 1e24, "FLOPs", FLOPS),
            )),
            spill("Output: the fitted law  L = E + A/N^alpha + B/D^beta", "Fit_Law", f"=TRANSPOSE({_FIT})", (
                    ("E (irreducible loss)", "E", "nats/token", LOSS),
                    ("A (parameter term)", "A", "coefficient", "#,##0.00"),
                    ("B (token term)", "B", "coefficient", "#,##0.00"),
                    ("alpha (parameter exponent)", "Alpha", "exponent", "0.0000"),
                    ("beta (token exponent)", "Beta", "exponent", "0.0000"),
                  ), prefix="Fit_", key=True),
            Section("Output: what the law implies", (
                Out("a: N_opt grows as C^a", "=Fit_Beta/(Fit_Alpha+Fit_Beta)", "exponent", "0.000", "Fit_Params_Exponent",
                    key=True, note="Hoffmann et al. 2022 find about 0.5"),
                Out("b: D_opt grows as C^b", "=Fit_Alpha/(Fit_Alpha+Fit_Beta)", "exponent", "0.000", "Fit_Tokens_Exponent",
                    key=True),
                Out("Compute-optimal parameters at the budget", "=CHINCHILLA_N(Budget,Fit_Law)", "parameters",
                    BILLIONS, "Fit_Opt_Params"),
                Out("Compute-optimal tokens at the budget", "=CHINCHILLA_D(Budget,Fit_Law)", "tokens", TOKENS,
                    "Fit_Opt_Tokens"),
                Out("Predicted loss at the budget", "=CHINCHILLA_LOSS(Budget,Fit_Law)", "nats/token", LOSS,
                    "Fit_Opt_Loss"),
            )),
            Section("Output: goodness of fit", (
                Out("Runs used", "=SUM(Runs_Weight)", "runs", INT, "Runs_Count",
                    note="the runs whose Include is 'yes' (sheet Runs)"),
                Out("Root-mean-square residual", "=SQRT(SUMSQ(Runs_Residual_Used)/Runs_Count)", "nats/token",
                    LOSS, "Fit_RMSE", note="over the runs used"),
                Out("Largest absolute residual", "=MAX(MAX(Runs_Residual_Used),-MIN(Runs_Residual_Used))",
                    "nats/token", LOSS, "Fit_Max_Residual", note="over the runs used"),
            )),
            Section("Checks", (
                Out("Enough runs for five numbers", "=Runs_Count>=Fewest_Runs", "TRUE/FALSE", CHECK,
                    "Check_Runs", note="FALSE: include more runs (a dozen or more spanning sizes and tokens)"),
                Out("Both exponents positive", "=AND(Fit_Alpha>0,Fit_Beta>0)", "TRUE/FALSE", CHECK,
                    "Check_Exponents", note="FALSE: the runs do not show loss falling with size and tokens"),
            )),
        ), widths=(44, 18, 16, 62), one_page=True),
        Sheet("Details", "Scaling-law fit: details", "The presets against the fitted law, and how well it "
              "fits the runs.", (
            constants(TRAIN_FLOPS_PER, PER_BILLION, PER_TRILLION,
                      In("Fewest runs for a fit", "Fewest_Runs", 5, "runs", INT, "whole",
                         "one per fitted number; far more are needed for a law that extrapolates")),
            law_spread(
                "The presets at the same budget, against the fitted law (why they differ: About)",
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N(Budget,{law})"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=CHINCHILLA_D(Budget,{law})"),
                Col("vs", "Size against the fitted law's", "x", TWO, "={params}/Fit_Opt_Params"),
            ),
            Chart("runs", "Predicted against observed loss", "loss",
                  (("pred", "Fitted law"), ("loss", "Perfect fit (predicted = observed)")),
                  "Observed loss (nats/token)", "Predicted loss (nats/token)", log_x=False,
                  x_fmt=TWO, y_fmt=TWO, lines=False, line_only=("loss",)),
            Chart("runs", "Residual against training FLOPs", "flops", (("resid", "Observed - predicted"),),
                  "Training FLOPs (log scale)", "Residual (nats/token)", x_fmt=SCI, y_fmt=TWO,
                  lines=False),
        ), widths=(44, 18, 16, 16, 16, 16)),
        Sheet("Runs", "Training runs", "Paste your runs over the blue columns; blank rows are skipped.", (
            Table("runs", (
                Col("n", "Parameters", "parameters", MILLIONS, values=tuple(r[0] for r in RUNS), name="Runs_Params"),
                Col("d", "Training tokens", "tokens", MILLIONS, values=tuple(r[1] for r in RUNS), name="Runs_Tokens"),
                Col("loss", "Final loss", "nats/token", LOSS, values=tuple(r[2] for r in RUNS), name="Runs_Loss"),
                Col("include", "Include in the fit", "yes/no", CHOICE, rule="list:include", name="Runs_Include",
                    values=("no",) * EXCLUDED + ("yes",) * (len(RUNS) - EXCLUDED)),
                Col("weight", "Weight in the fit", "0 or 1", INT, name="Runs_Weight",
                    array='=IF(Runs_Params="","",IF(Runs_Include="no",0,1))'),  # blank: used
                # One array formula per column keeps the sheet quick to recalculate; Excel's own
                # arithmetic on the fitted numbers, so it stays live in any spreadsheet program.
                Col("flops", "Training FLOPs (6ND)", "FLOPs", FLOPS, name="Runs_FLOPs",
                    array='=IF(Runs_Params="","",Train_FLOPs_Per_Param_Token*Runs_Params*Runs_Tokens)'),
                Col("pred", "Predicted loss", "nats/token", LOSS, name="Runs_Predicted",
                    array='=IF(Runs_Params="","",Fit_E+Fit_A/Runs_Params^Fit_Alpha+Fit_B/Runs_Tokens^Fit_Beta)'),
                Col("resid", "Residual (observed - predicted)", "nats/token", "0.0000;-0.0000",
                    name="Runs_Residual", array='=IF(Runs_Params="","",Runs_Loss-Runs_Predicted)'),
                Col("resid_used", "Residual of a run used", "nats/token", "0.0000;-0.0000",
                    name="Runs_Residual_Used", array='=IF(Runs_Weight=1,Runs_Residual,"")'),
            ), RUN_ROWS, printed=len(RUNS)),
        ), widths=(16, 16, 14, 10, 10, 18, 14, 16, 16), freeze="A6"),
    ),
)

TEMPLATE = SCALING_LAW_FIT
