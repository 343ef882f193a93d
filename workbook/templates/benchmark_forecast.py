"""The benchmark forecast: from a target accuracy to the loss and the budget that reach it.

Ships the 104 models of Gadre et al. 2024 (their 17-task split): the over-training law and
the loss-to-error law fitted to their small runs, as their paper does; the average score's
sigmoid against loss with a bootstrap interval; each task's own sigmoid; and a model's
compute read off its scores.
"""

from __future__ import annotations

import csv
from pathlib import Path

from workbook.templates.spec import (  # noqa: F401
    BILLIONS, CHECK, Chart, Col, FLOPS, In, LAW_SOURCES, LOSS, ONE, Out, PCT, PER_BILLION, PER_TRILLION,
    Section, Sheet, TEXT, TOKENS, TRAIN_FLOPS_PER, TWO, Table, Template, constants, law_spread, spill,
)

DATA = Path(__file__).parent / "data"  # package data
# Gadre et al. 2024's 17-task split (scaling/constants.py, SUBSET), the tasks their Figure 1 averages.
SUBSET = ("bigbench_operators", "pubmed_qa_labeled", "hellaswag_zeroshot", "boolq", "arc_easy", "coqa",
          "bigbench_dyck_languages", "lambada_openai", "bigbench_novel_concepts", "winograd",
          "bigbench_cs_algorithms", "commonsense_qa", "bigbench_qa_wikidata", "hellaswag", "copa", "squad", "piqa")
# The runs their Figure 1 fits: four sizes at 20 tokens per parameter and the smallest at 320 for
# the loss law; the error law adds the 1.4B model at 20. The two models it predicts.
LOSS_RUNS = ("rpj-d=96_l=8_h=4-1.0", "rpj-d=512_l=8_h=4-1.0", "rpj-d=576_l=24_h=8-1.0",
             "rpj-d=1024_l=24_h=8-1.0", "rpj-d=96_l=8_h=4-16.0")
ERROR_RUNS = LOSS_RUNS + ("rpj-open_lm_1b-1.0",)
PREDICTED = ("rpj-open_lm_1b-32.0", "rpj-open_lm_7b-1.0")
# The compute-optimal models (20 tokens per parameter) of known compute, and one held out as
# the default model whose compute the Size sheet reads off its scores.
HELD_OUT = "rpj-d=1024_l=24_h=8-1.0"
SOURCE = (
    "Models and scores: the 104 language models of Gadre et al. 2024, \"Language models scale reliably "
    "with over-training and on downstream tasks\" (arXiv 2403.08540; repository mlfoundations/scaling, "
    "folder exp_data, MIT licence, copyright (c) 2024 mlfoundations): parameters, training tokens, C4 "
    "validation loss and accuracy on the 17 tasks of their Figure 1, with each task's chance score "
    "(eval_metadata.csv).",
    "Laws: their eq. 4 (one exponent for parameters and tokens) fitted to five small RedPajama runs "
    "and eq. 5 (Err = epsilon - k exp(-gamma L)) to six, as their scaling_explorer notebook does; with "
    "those, the sheet Laws reproduces their Figure 1: 0.71% and 0.73% relative error in the loss of the "
    "1.4B model trained 32x longer than compute-optimal and of the 6.9B model, 3.64% and 0.05% in their "
    "top-1 error.",
    "Sigmoids of scores: Owen 2024, \"How predictable is language model benchmark performance?\" "
    "(arXiv 2401.04757): a task's score rises along a sigmoid from its chance score; single tasks are "
    "noisy to forecast, their average far less.",
)


def _read():
    exact = lambda x: float(f"{float(x):.15g}")  # noqa: E731 - what an .xlsx cell stores exactly
    with open(DATA / "gadre2024_overtraining_runs.csv", newline="") as f:
        runs = list(csv.DictReader(f))
    with open(DATA / "gadre2024_tasks.csv", newline="") as f:
        tasks = {r["task"]: r for r in csv.DictReader(f)}
    rows = tuple((r["name"], exact(r["params"]), exact(r["tokens"]), exact(r["tokens_per_param"]),
                  exact(r["loss_c4"]), tuple(exact(r[f"acc_{t}"]) for t in SUBSET)) for r in runs)
    chance = tuple(exact(tasks[t]["random_baseline_percent"]) / 100 for t in SUBSET)
    category = tuple(tasks[t]["category"] for t in SUBSET)
    return rows, chance, category


RUNS, CHANCE, CATEGORY = _read()
KNOWN = tuple(r for r in RUNS if r[3] == 20 and r[0] != HELD_OUT)
HELD = next(r for r in RUNS if r[0] == HELD_OUT)
TASK_NAMES = tuple(f"Scores_{i + 1}" for i in range(len(SUBSET)))  # a name per task's column

SUMMARY = ('="An average accuracy of "&TEXT(Target_Accuracy,"0.0%")&" on the 17 tasks needs a C4 loss of "'
           '&TEXT(Target_Loss,"0.000")&" (error law): "&TEXT(Forecast_Compute,"0.00E+00")&" FLOPs, a "'
           '&TEXT(Forecast_Params/Per_Billion,"0.0")&" B model on "&TEXT(Forecast_Tokens/Per_Trillion,"0.00")'
           '&" T tokens. The scores\' own sigmoid puts the loss at "&TEXT(Sigmoid_Loss,"0.000")&" ("'
           '&TEXT(Sigmoid_Compute_Low,"0.0E+00")&" to "&TEXT(Sigmoid_Compute_High,"0.0E+00")&" FLOPs at "'
           '&TEXT(Interval_Level,"0%")&")."')

_AVG_CI = ('=FIT_BENCHMARK_CI(Runs_Loss,Runs_Average,Average_Chance,Target_Accuracy,Interval_Level,'
           'Bootstrap_Resamples,Bootstrap_Seed,0)')  # 0: against the loss itself


def _ci(row: str) -> str:
    return f'INDEX(Average_CI_Loss,MATCH("{row}",Average_CI_Row,0))'


CURVE_LOSSES = (2.2, 2.4, 2.6, 2.8, 3.0, 3.25, 3.5, 3.75, 4.0, 4.5, 5.0, 5.5, 6.0)

BENCHMARK_FORECAST = Template(
    "benchmark_forecast.xlsx",
    "Benchmark forecast: from a target accuracy to the loss and the budget",
    answers=(
        "What loss, and so what training budget and model, does a target average accuracy on "
        "downstream tasks need? Two routes side by side: Gadre et al. 2024's laws (loss from "
        "parameters and tokens, top-1 error from loss), and a sigmoid of the average score against "
        "loss with a bootstrap interval (Owen 2024).",
        "How differently do single tasks behave: each task's sigmoid and its score at the planned "
        "loss.",
        "How large is a model, judged by its scores: its compute read off each task's sigmoid, "
        "pooled, with an interval, and whether the tasks agree.",
    ),
    how=(
        "Sheet Forecast: set the target average accuracy on the 17 tasks (a fraction: 0.6 is 60%) and "
        "the interval's level.",
        "Sheet Laws holds the runs each law is fitted to (Gadre et al.'s choice, looked up by name on "
        "sheet Scores) and the check that it reproduces their Figure 1; sheet Scores the shipped "
        "models' losses and scores, which the average's sigmoid and the tasks' sigmoids are fitted to.",
        "Sheet Tasks: each task's sigmoid against loss and its score at the planned loss.",
        "Sheet Size: type a model's 17 scores (the default is a held-out model whose compute is "
        "known) to read its compute off the tasks' sigmoids.",
    ),
    sources=SOURCE + LAW_SOURCES,
    sheets=(
        Sheet("Forecast", "Benchmark forecast", "Inputs in blue on yellow; everything else is computed.", (
            Section("Summary", (
                Out("The forecast in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs", (
                In("Target average accuracy on the 17 tasks", "Target_Accuracy", 0.6, "fraction", PCT,
                   "open_fraction", "the largest shipped model (6.9B) averages 55%"),
                In("Level of the interval", "Interval_Level", 0.8, "fraction", PCT, "open_fraction",
                   "0.8: the 10th to 90th percentile of the bootstrap"),
            )),
            Section("Output: through the laws (Gadre et al. 2024)", (
                Out("Target average top-1 error", "=1-Target_Accuracy", "fraction", PCT, "Target_Error"),
                Out("Loss that reaches it", "=LOSS_FOR_ERROR(Target_Error,Error_Law)", "nats/token", LOSS,
                    "Target_Loss", key=True, note="C4 validation loss, the error law inverted"),
                Out("Training compute for that loss", "=COMPUTE_FOR_LOSS(Target_Loss,Loss_Law)", "FLOPs", FLOPS,
                    "Forecast_Compute", key=True, note="the over-training law's compute-optimal model"),
                Out("Parameters", "=CHINCHILLA_N(Forecast_Compute,Loss_Law)", "parameters", BILLIONS,
                    "Forecast_Params", key=True),
                Out("Training tokens", "=CHINCHILLA_D(Forecast_Compute,Loss_Law)", "tokens", TOKENS,
                    "Forecast_Tokens"),
            )),
            Section("Output: through the average score's sigmoid (Owen 2024)", (
                Out("Loss at which the sigmoid reaches the target", "=" + _ci("estimate"), "nats/token", LOSS,
                    "Sigmoid_Loss", key=True, note="fitted to every model on sheet Scores"),
                Out("Its interval: the lower loss", "=" + _ci("low"), "nats/token", LOSS, "Sigmoid_Loss_Low",
                    note="sheet Laws: the bootstrap"),
                Out("Its interval: the higher loss", "=" + _ci("high"), "nats/token", LOSS, "Sigmoid_Loss_High"),
                Out("Training compute for the higher loss", "=COMPUTE_FOR_LOSS(Sigmoid_Loss_High,Loss_Law)",
                    "FLOPs", FLOPS, "Sigmoid_Compute_Low", key=True, note="the interval's cheap end"),
                Out("Training compute for the lower loss", "=COMPUTE_FOR_LOSS(Sigmoid_Loss_Low,Loss_Law)",
                    "FLOPs", FLOPS, "Sigmoid_Compute_High", key=True, note="its dear end"),
                Out("The laws' loss lies within the interval", "=AND(Target_Loss>=Sigmoid_Loss_Low,"
                    "Target_Loss<=Sigmoid_Loss_High)", "TRUE/FALSE", CHECK, "Routes_Agree",
                    note="FALSE: the two routes differ by more than the scores' noise"),
            )),
            Section("Checks", (
                Out("The error law reaches the target", "=AND(Target_Error<Error_Law_Epsilon,Target_Error>"
                    "Error_Law_Epsilon-Error_Law_K)", "TRUE/FALSE", CHECK, "Check_Error_Law",
                    note="FALSE: no loss gives that error under the law; aim lower"),
                Out("The sigmoid reaches the target", "=Target_Accuracy<Average_Fit_Ceiling", "TRUE/FALSE", CHECK,
                    "Check_Sigmoid", note="FALSE: the fitted ceiling is below the target"),
                Out("The laws reproduce Gadre et al.'s Figure 1", "=MAX(Figure1_Loss_Error,Figure1_Top1_Error)"
                    "<Figure1_Tolerance", "TRUE/FALSE", CHECK, "Check_Figure1",
                    note="FALSE: the runs on sheet Laws were changed"),
            )),
        ), widths=(44, 18, 14, 60), one_page=True),
        Sheet("Laws", "The laws and the runs they are fitted to", "Gadre et al. 2024's laws, fitted as their "
              "Figure 1 is; the average score's sigmoid with its bootstrap; and charts.", (
            spill("Output: the over-training law  L = E + A/N^alpha + B/D^alpha", "Loss_Law",
                  "=TRANSPOSE(FIT_OVERTRAINING_LAW(Loss_Runs_Params,Loss_Runs_Tokens,Loss_Runs_Loss))", (
                    ("E (irreducible loss)", "E", "nats/token", LOSS),
                    ("A (parameter term)", "A", "coefficient", "#,##0.00"),
                    ("B (token term)", "B", "coefficient", "#,##0.00"),
                    ("alpha (parameter exponent)", "Alpha", "exponent", "0.0000"),
                    ("beta (token exponent, equal)", "Beta", "exponent", "0.0000"),
                  ), prefix="Loss_Law_"),
            spill("Output: the error law  Err = epsilon - k exp(-gamma L)", "Error_Law",
                  "=TRANSPOSE(FIT_ERROR_LAW(Error_Runs_Loss,Error_Runs_Error))", (
                    ("epsilon (the error at high loss)", "Epsilon", "fraction", "0.0000"),
                    ("k", "K", "fraction", "0.0000"),
                    ("gamma", "Gamma", "per nat", "0.0000"),
                  ), prefix="Error_Law_"),
            spill("Output: the average score's sigmoid against loss", "Average_Fit",
                  "=TRANSPOSE(FIT_BENCHMARK(Runs_Loss,Runs_Average,Average_Chance,0))", (
                    ("Floor (the tasks' average chance)", "Chance", "fraction", PCT),
                    ("Ceiling", "Ceiling", "fraction", PCT),
                    ("Halfway at loss", "Midpoint", "nats/token", LOSS),
                    ("Slope", "Slope", "per nat", TWO),
                    ("Against log x (0: against the loss)", "Log_X", "0/1", "0"),
                  ), prefix="Average_Fit_"),
            Section("Calculations", (
                Out("Tasks averaged", "=COUNTA(Tasks_Name)", "tasks", "0", "Task_Count"),
                Out("Their average chance score", "=SUM(Tasks_Chance)/Task_Count", "fraction", PCT, "Average_Chance"),
            )),
            constants(TRAIN_FLOPS_PER, PER_BILLION, PER_TRILLION,
                      In("Largest relative error Figure 1 shows", "Figure1_Tolerance", 0.05, "fraction", PCT,
                         "open_fraction", "the paper's relative errors are all below 5%"),
                      In("Bootstrap resamples", "Bootstrap_Resamples", 1000, "count", "#,##0", "whole"),
                      In("Bootstrap seed", "Bootstrap_Seed", 0, "integer", "0", "count")),
            Table("loss_runs", (
                Col("name", "Run (Gadre et al.'s name)", "", TEXT, values=LOSS_RUNS, rule="none",
                    name="Loss_Runs_Name"),
                Col("params", "Parameters", "parameters", BILLIONS, "=INDEX(Runs_Params,MATCH({name},Runs_Name,0))",
                    name="Loss_Runs_Params"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=INDEX(Runs_Tokens,MATCH({name},Runs_Name,0))",
                    name="Loss_Runs_Tokens"),
                Col("loss", "C4 loss", "nats/token", LOSS, "=INDEX(Runs_Loss,MATCH({name},Runs_Name,0))",
                    name="Loss_Runs_Loss"),
            ), len(LOSS_RUNS), title="The runs the over-training law is fitted to"),
            Table("error_runs", (
                Col("name", "Run (Gadre et al.'s name)", "", TEXT, values=ERROR_RUNS, rule="none",
                    name="Error_Runs_Name"),
                Col("loss", "C4 loss", "nats/token", LOSS, "=INDEX(Runs_Loss,MATCH({name},Runs_Name,0))",
                    name="Error_Runs_Loss"),
                Col("error", "Average top-1 error, 17 tasks", "fraction", PCT,
                    "=INDEX(Runs_Error,MATCH({name},Runs_Name,0))", name="Error_Runs_Error"),
            ), len(ERROR_RUNS), title="The runs the error law is fitted to"),
            Table("figure1", (
                Col("name", "Model predicted", "", TEXT, values=PREDICTED, rule="none", name="Figure1_Name"),
                Col("params", "Parameters", "parameters", BILLIONS, "=INDEX(Runs_Params,MATCH({name},Runs_Name,0))"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=INDEX(Runs_Tokens,MATCH({name},Runs_Name,0))"),
                Col("pred_loss", "Predicted loss", "nats/token", LOSS, "=SCALING_LOSS({params},{tokens},Loss_Law)"),
                Col("loss", "Its loss", "nats/token", LOSS, "=INDEX(Runs_Loss,MATCH({name},Runs_Name,0))"),
                Col("loss_err", "Relative error", "fraction", "0.0000%", "=MAX({pred_loss}-{loss},{loss}-{pred_loss})/{loss}",
                    name="Figure1_Loss_Error"),
                Col("pred_err", "Predicted top-1 error", "fraction", PCT, "=DOWNSTREAM_ERROR({pred_loss},Error_Law)"),
                Col("err", "Its error", "fraction", PCT, "=INDEX(Runs_Error,MATCH({name},Runs_Name,0))"),
                Col("top1_err", "Relative error", "fraction", "0.0000%", "=MAX({pred_err}-{err},{err}-{pred_err})/{err}",
                    name="Figure1_Top1_Error"),
            ), len(PREDICTED), title="Gadre et al.'s Figure 1: the laws' predictions for two larger models"),
            Table("average_ci", (
                Col("row", "Row", "", TEXT, values=("estimate", "low", "high"), rule="none", name="Average_CI_Row"),
                Col("chance", "Chance", "fraction", PCT, array=_AVG_CI, span=6),
                Col("ceiling", "Ceiling", "fraction", PCT),
                Col("midpoint", "Midpoint", "nats/token", LOSS),
                Col("slope", "Slope", "per nat", TWO),
                Col("log_x", "log x", "0/1", "0"),
                Col("loss", "Loss for the target", "nats/token", LOSS, name="Average_CI_Loss"),
            ), 3, title="The average score's sigmoid against loss, and the loss for the target, bootstrapped"),
            law_spread(
                "The forecast compute's model under each scaling-law preset (allocations only: losses "
                "on other data are not comparable)",
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N(Forecast_Compute,{law})"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=CHINCHILLA_D(Forecast_Compute,{law})"),
                Col("tpp", "Tokens per parameter", "tokens/parameter", ONE, "={tokens}/{params}"),
            ),
            Table("curve", (
                Col("loss", "C4 loss", "nats/token", LOSS, values=CURVE_LOSSES, name="Curve_Loss"),
                Col("error", "Top-1 error, error law", "fraction", PCT, "=DOWNSTREAM_ERROR({loss},Error_Law)"),
                Col("sigmoid", "Accuracy, the sigmoid", "fraction", PCT,
                    "=BENCHMARK_SCORE({loss},Average_Fit)"),
            ), len(CURVE_LOSSES), title="The laws along the loss (edit the losses)"),
            Table("target_mark", (
                Col("loss", "Target loss", "nats/token", LOSS, per_row=(("=Target_Loss", 1),)),
                Col("error", "Target error", "fraction", PCT, per_row=(("=Target_Error", 1),)),
                Col("accuracy", "Target accuracy", "fraction", PCT, per_row=(("=Target_Accuracy", 1),)),
            ), 1, title="The target, marked on the charts"),
            Chart("curve", "Average top-1 error against loss", "loss", (("error", "Error law (Gadre et al. eq. 5)"),),
                  "C4 loss (nats/token)", "Top-1 error, 17-task average", log_x=False, x_fmt=TWO, y_fmt="0%",
                  markers=False, marks=(("runs", "loss", "error", "The shipped models"),
                                        ("target_mark", "loss", "error", "The target"))),
            Chart("curve", "Average accuracy against loss", "loss", (("sigmoid", "Sigmoid (Owen 2024)"),),
                  "C4 loss (nats/token)", "Accuracy, 17-task average", log_x=False, x_fmt=TWO, y_fmt="0%",
                  markers=False, marks=(("runs", "loss", "average", "The shipped models"),
                                        ("target_mark", "loss", "accuracy", "The target"))),
        ), widths=(34, 14, 14, 12, 12, 12, 14, 14, 12)),
        Sheet("Tasks", "Each task on its own", "Each task's sigmoid against loss (every model on sheet Scores) and "
              "its score at the planned loss.", (
            Table("tasks", (
                Col("task", "Task", "", TEXT, values=SUBSET, rule="none", name="Tasks_Name"),
                Col("category", "Category", "", TEXT, values=CATEGORY, rule="none", name="Tasks_Category"),
                Col("chance", "Chance score", "fraction", PCT, values=CHANCE, rule="chance", name="Tasks_Chance"),
                Col("fit_chance", "Floor", "fraction", PCT,
                    per_row=tuple((f"=FIT_BENCHMARK(Runs_Loss,{name},{{chance}},0)", 5) for name in TASK_NAMES)),
                Col("ceiling", "Ceiling", "fraction", PCT),
                Col("midpoint", "Halfway at loss", "nats/token", LOSS),
                Col("slope", "Slope", "per nat", TWO),
                Col("log_x", "log x", "0/1", "0"),
                Col("at_target", "Score at the planned loss", "fraction", PCT,
                    "=BENCHMARK_SCORE(Target_Loss,{fit_chance}:{log_x})",
                    name="Tasks_At_Target"),
            ), len(SUBSET), title="The 17 tasks of Gadre et al.'s Figure 1"),
        ), widths=(26, 26, 10, 9, 9, 11, 9, 7, 14)),
        Sheet("Size", "A model's size from its scores", "Each task's sigmoid against compute, fitted to the "
              "models of known compute below, read backwards at the model's score, then pooled.", (
            spill("Output: the model's training compute, read off its scores", "Size_Result",
                  "=TRANSPOSE(SIZE_FROM_SCORES(Known_Compute,Known_Scores,Tasks_Chance,Model_Scores,"
                  "Interval_Level))", (
                    ("Estimate (pooled over the tasks)", "Size_Estimate", "FLOPs", FLOPS, True),
                    ("Interval: low", "Size_Low", "FLOPs", FLOPS, False),
                    ("Interval: high", "Size_High", "FLOPs", FLOPS, False),
                    ("Disagreement (1: as the noise allows)", "Size_Disagreement", "ratio", TWO, True),
                    ("Chance of that much from noise alone", "Size_P_Value", "fraction", PCT, False),
                    ("Tasks that read it", "Size_Tasks", "tasks", "0", False),
                  )),
            Section("Checks", (
                Out("The tasks agree", "=Size_P_Value>=1-Interval_Level", "TRUE/FALSE", CHECK, "Check_Size_Agree",
                    note="FALSE: the model is unlike the known ones, or a task was seen in training"),
            )),
            Table("model", (
                Col("task", "Task", "", TEXT, values=SUBSET, rule="none", name="Model_Task"),
                Col("score", "The model's score", "fraction", PCT, values=HELD[5], rule="chance", name="Model_Scores"),
            ), len(SUBSET), title=f"The model's scores (default: {HELD_OUT}, held out of the known models; its "
                                  f"compute is {6 * HELD[1] * HELD[2]:.3g} FLOPs)"),
            Table("known", (
                Col("name", "Known model", "", TEXT, values=tuple(r[0] for r in KNOWN), rule="none",
                    name="Known_Name"),
                Col("params", "Parameters", "parameters", BILLIONS, values=tuple(r[1] for r in KNOWN),
                    name="Known_Params"),
                Col("tokens", "Training tokens", "tokens", TOKENS, values=tuple(r[2] for r in KNOWN),
                    name="Known_Tokens"),
                Col("compute", "Training compute", "FLOPs", FLOPS, "=Train_FLOPs_Per_Param_Token*{params}*{tokens}",
                    name="Known_Compute"),
                *(Col(f"s{i}", task, "fraction", "0.00", values=tuple(r[5][i] for r in KNOWN), rule="chance",
                      name=f"Known_Scores_{i + 1}") for i, task in enumerate(SUBSET)),
            ), len(KNOWN), title="Models of known compute (Gadre et al.'s at 20 tokens per parameter)",
                block=("Known_Scores", "s0", f"s{len(SUBSET) - 1}")),
        ), widths=(36, 11, 11, 11) + (5,) * len(SUBSET)),
        Sheet("Scores", "The shipped models", "Gadre et al. 2024's 104 models (trained on C4, RedPajama and RefinedWeb): "
              "size, training tokens, C4 loss and accuracy on each of the 17 tasks (a fraction).", (
            Table("runs", (
                Col("name", "Model", "", TEXT, values=tuple(r[0] for r in RUNS), rule="none", name="Runs_Name"),
                Col("params", "Parameters", "parameters", BILLIONS, values=tuple(r[1] for r in RUNS), name="Runs_Params"),
                Col("tokens", "Tokens", "tokens", TOKENS, values=tuple(r[2] for r in RUNS), name="Runs_Tokens"),
                Col("loss", "C4 loss", "nats/token", LOSS, values=tuple(r[4] for r in RUNS), name="Runs_Loss"),
                Col("average", "17-task average", "fraction", "0.000", name="Runs_Average",
                    array=f"=({'+'.join(TASK_NAMES)})/Task_Count"),
                Col("error", "Its top-1 error", "fraction", "0.000", name="Runs_Error", array="=1-Runs_Average"),
                *(Col(f"t{i}", task, "fraction", "0.00", values=tuple(r[5][i] for r in RUNS), rule="chance",
                      name=TASK_NAMES[i]) for i, task in enumerate(SUBSET)),
            ), len(RUNS)),
        ), widths=(24, 9, 9, 7, 8, 8) + (5,) * len(SUBSET)),
    ),
)

TEMPLATE = BENCHMARK_FORECAST
