"""The training budget: the compute-optimal model for a cluster or a FLOPs budget."""

from __future__ import annotations

from workbook.templates.spec import (  # noqa: F401
    DAYS_PER_MONTH, DAYS_PER_YEAR,
    BILLIONS, BYTES_PER_GB, CHECK, CHOICE, Chart, Col, COUNT_TOLERANCE, FLOPS, GPU_MEMORY_IN,
    GPU_MEMORY_OUT, GPU_PEAK_OUT, GWH, GPU_SOURCES, HARDWARE_SHEET, HOURS_PER_DAY, INT, In, LAW_IN,
    LAW_SOURCES, LOSS, ONE, Out, PCT, PER_BILLION, PER_MILLION, PER_TRILLION, SCI, SECONDS_PER_HOUR,
    Section, Sheet, TOKENS, TRAIN_BYTES_IN, TRAIN_FLOPS_PER, TWO, Table,
    Template, USD, USD_M, WATTS_PER_KW, constants, law_spread,
)

SUMMARY = ('="Train a "&TEXT(Opt_Params/Per_Billion,"0.0")&" B-parameter model on "'
           '&TEXT(Opt_Tokens/Per_Trillion,"0.00")&" T tokens: $"&TEXT(Cost_Total/Per_Million,"0.00")'
           '&" M, "&TEXT(GPU_Hours,"#,##0")&" accelerator-hours ("&TEXT(Wall_Days,"0")&" days on "'
           '&TEXT(GPU_Count,"#,##0")&" x "&GPU&"); predicted loss "&TEXT(Opt_Loss,"0.000")&" under the "'
           '&Law&" law. Its training state needs at least "&TEXT(Memory_GPUs,"#,##0")&" accelerators; "'
           '&"the "&TEXT(Cluster_Days,"0")&"-day deadline needs "&TEXT(Deadline_GPUs,"#,##0")&"."')

SENS_MULTIPLES = (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10)
SCHEDULE_MONTHS = 12

TRAINING_BUDGET = Template(
    "training_budget.xlsx",
    "Training budget: from a cluster, FLOPs or dollars to the compute-optimal model",
    answers=(
        "Given a cluster (accelerator, count, days, utilisation, price), a FLOPs budget or a dollar "
        "budget, what is the compute-optimal model: parameters, training tokens, tokens per "
        "parameter, predicted loss, and what it costs in GPU-hours, days, dollars and energy?",
        "Does the training data suffice: how many epochs over the unique tokens available, and "
        "how much loss the repetition costs?",
        "How do model, loss and cost move for budgets from 0.1x to 10x (table and chart)?",
        "How many accelerators does the plan need: for the deadline, and to hold the training state "
        "in memory?",
    ),
    how=(
        "Sheet Budget: change the blue-on-yellow inputs; sheet Details shows the workings, the "
        "data limit, the other laws and the sensitivity table and charts. 'Budget from' chooses between the "
        "cluster (GPUs x days x MFU), the FLOPs budget and the dollar budget typed below it (the dollars "
        "pay for the final run and its overheads at the price per accelerator-hour).",
        "MFU is the model FLOPs utilisation, a fraction (0.4 = 40% of the dense peak). The price "
        "is per GPU-hour. PUE scales board power to facility power.",
        "Unique tokens available: the size of your deduplicated training corpus; when the "
        "optimal token count exceeds it, the data-limit rows show the repetition's cost.",
        "Sensitivity: edit the multiples column to try other budgets.",
        "Sheet Details also holds the overheads beyond the final run (experiments, restarts, "
        "evaluation, with their sources) and a commitment's discount and term.",
    ),
    sources=LAW_SOURCES + GPU_SOURCES + (
        "Repeated data: Muennighoff et al. 2023, \"Scaling Data-Constrained Language Models\" "
        "(effective tokens with R* = 15.4).",
    ),
    sheets=(
        Sheet("Budget", "Training budget", "Inputs in blue on yellow; everything else is computed. Details: "
              "sheet Details.", (
            Section("Summary", (
                Out("The plan in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs", (
                LAW_IN,
                In("Budget from", "Budget_Mode", "Cluster", "choice", CHOICE, "list:budget_mode",
                   "Cluster: the cluster below; FLOPs or Dollars: the budget below"),
                In("Accelerator", "GPU", "H100 SXM", "preset", CHOICE, "list:gpu",
                   "or a peak FLOP/s number"),
                In("Number of accelerators (available)", "GPU_Count", 2048, "GPUs", INT,
                   note="the cluster; with a FLOPs or dollar budget, the most you can get"),
                In("Training time (the deadline)", "Cluster_Days", 60, "days", ONE,
                   note="the cluster's days; with a FLOPs budget, the time it must take"),
                In("Model FLOPs utilisation (MFU)", "MFU", 0.4, "fraction", PCT, "fraction",
                   "0.3-0.5 is typical for large dense models"),
                In("Price per accelerator-hour", "Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD),
                In("Power usage effectiveness (PUE)", "PUE", 1.2, "ratio", TWO, "at_least_one"),
                In("Board power per accelerator (blank: the preset's)", "Board_Power_W", None, "W", INT,
                   note="needed for TPU v5e/v5p (unpublished) or an accelerator given as FLOP/s"),
                In("FLOPs budget (when 'Budget from' is FLOPs)", "FLOPs_Budget", 1e24, "FLOPs", FLOPS,
                   ignored_when='Budget_Mode<>"FLOPs"', note="the final run's"),
                In("Dollar budget (when 'Budget from' is Dollars)", "Dollar_Budget", 10e6, "USD", USD_M,
                   ignored_when='Budget_Mode<>"Dollars"',
                   note="all in: the final run and its overheads (sheet Details) at the price above"),
                In("Unique tokens available", "Unique_Tokens", 5e12, "tokens", TOKENS,
                   note="deduplicated corpus size"),
                TRAIN_BYTES_IN,
                In("Activation memory per accelerator", "Activation_GB", 0, "GB", ONE, "nonnegative",
                   "ACTIVATION_MEMORY_GB for your shape; 0: the training state alone"),
                GPU_MEMORY_IN,
            )),
            Section("Output: the compute-optimal plan", (
                Out("Training budget used", '=IF(Budget_Mode="FLOPs",FLOPs_Budget,IF(Budget_Mode="Dollars",'
                    'Dollar_Budget_FLOPs,GPU_Count*Cluster_Days*Hours_Per_Day*Seconds_Per_Hour*GPU_Peak*MFU'
                    '/(1+Restart_Overhead)))',
                    "FLOPs", FLOPS, "Budget", key=True, note="the final run's: a cluster also spends its restarts"),
                Out("Parameters", "=CHINCHILLA_N(Budget,Law)", "parameters", BILLIONS, "Opt_Params", key=True),
                Out("Training tokens", "=CHINCHILLA_D(Budget,Law)", "tokens", TOKENS, "Opt_Tokens", key=True),
                Out("Predicted loss", "=CHINCHILLA_LOSS(Budget,Law)", "nats/token", LOSS, "Opt_Loss", key=True),
                Out("Accelerator-hours", "=Budget/(GPU_Peak*MFU*Seconds_Per_Hour)", "GPU-hours", INT,
                    "GPU_Hours", key=True),
                Out("Wall-clock time on the accelerators available", "=Run_GPU_Hours/GPU_Count/Hours_Per_Day", "days", ONE, "Wall_Days", note="restarts included"),
                Out("Training cost of the final run", "=GPU_Hours*Price_Per_GPU_Hour", "USD", USD_M, "Cost_Total",
                    key=True),
                Out("With experiments, restarts and evaluation", "=Cost_Total*(1+Overheads)", "USD", USD_M,
                    "Development_Cost", key=True, note="the overheads on sheet Details"),
                Out("The final run at the committed price", "=GPU_Count*ROUNDUP(Wall_Days/(Commit_Term_Years*"
                    "Days_Per_Year)*(1-Count_Tolerance),0)*Commit_Term_Years*Days_Per_Year*Hours_Per_Day*"
                    "Price_Per_GPU_Hour*(1-Commit_Discount)", "USD", USD_M, "Committed_Cost",
                    note="whole terms of the accelerators available, used or not"),
                Out("Energy", "=GPU_Hours*GPU_Power_W/Watts_Per_kW*PUE", "GWh", GWH, "Energy_kWh",
                    note="board power x hours x PUE"),
                Out("Accelerators for the deadline", "=ROUNDUP(Run_GPU_Hours/(Cluster_Days*Hours_Per_Day)"
                    "*(1-Count_Tolerance),0)",
                    "GPUs", INT, "Deadline_GPUs", key=True, note="to finish the budget in the training time"),
                Out("Accelerators to hold the training state", "=ROUNDUP(Train_Memory_GB/(GPU_Memory_GB-Activation_GB)*(1-Count_Tolerance),0)",
                    "GPUs", INT, "Memory_GPUs", key=True,
                    note="the state sharded evenly (ZeRO-3 / FSDP) beside the activations"),
                Out("Accelerators to plan for", "=MAX(Deadline_GPUs,Memory_GPUs)", "GPUs", INT, "Plan_GPUs", key=True,
                    note="the larger of the two"),
            )),
            Section("Checks", (
                Out("Accelerator found on sheet Hardware", "=ISNUMBER(GPU_Peak)", "TRUE/FALSE",
                    CHECK, "Check_Accelerator", note="FALSE: pick a name from the list or add it on Hardware"),
                Out("Board power known (for the energy)", "=ISNUMBER(GPU_Power_W)", "TRUE/FALSE",
                    CHECK, "Check_Power", note="FALSE: type the board power above (TPU v5e/v5p publish none)"),
                Out("Unique data covers the optimal tokens", "=Opt_Tokens<=Unique_Tokens", "TRUE/FALSE",
                    CHECK, "Check_Data", note="FALSE: the data-limited plan (sheet Details) is the one to use"),
                Out("The cluster holds the training state", "=GPU_Count>=Memory_GPUs", "TRUE/FALSE",
                    CHECK, "Check_Memory", note="FALSE: add accelerators, or shard or shrink the state"),
                Out("The accelerators available meet the deadline", "=GPU_Count>=Deadline_GPUs", "TRUE/FALSE",
                    CHECK, "Check_Deadline", note="FALSE: the run takes the wall-clock days above instead"),
            )),
        ), widths=(40, 18, 16, 60), one_page=True),
        Sheet("Details", "Training budget: details", "How the plan was computed, the data limit, the "
              "other laws and other budgets.", (
            Section("Inputs: overheads and a committed price", (
                In("Experiments and ablations before the final run", "Experiments_Overhead", 0.5, "x final run",
                   TWO, "nonnegative", "0.5: 10:20 experimentation to training at Facebook (Wu et al. 2022); "
                   "GPT-3's smaller models alone were 0.14 (Brown et al. 2020, Table 2.1)"),
                In("Failed and restarted runs", "Restart_Overhead", 0.1, "x final run", TWO, "nonnegative",
                   "0.1: Llama 3 405B kept over 90% effective training time (Dubey et al. 2024, 3.3.4)"),
                In("Evaluation", "Eval_Overhead", 0.0, "x final run", TWO, "nonnegative",
                   "not counted unless you set it"),
                In("Commitment discount on the price", "Commit_Discount", 0.41, "fraction", PCT, "open_fraction",
                   "1-year: AWS p4d A100, $4.10 on demand, $2.40 committed (Cottier et al. 2024's price data)"),
                In("Commitment term", "Commit_Term_Years", 1, "years", TWO),
            )),
            constants(SECONDS_PER_HOUR, HOURS_PER_DAY, WATTS_PER_KW, BYTES_PER_GB, PER_MILLION, PER_BILLION,
                      PER_TRILLION, COUNT_TOLERANCE,
                      DAYS_PER_YEAR, DAYS_PER_MONTH),
            Section("Calculations", (
                GPU_PEAK_OUT,
                Out("Board power from sheet Hardware", "=IF(ISNUMBER(GPU),0,INDEX(HW_Power_W,MATCH(GPU,HW_Name,0)))",
                    "W", INT, "Table_Power_W", note="0: not published, or the accelerator is a number"),
                Out("Board power used", "=IF(ISBLANK(Board_Power_W),IF(Table_Power_W>0,Table_Power_W,NA()),"
                    "Board_Power_W)", "W", INT, "GPU_Power_W", note="#N/A until a board power is known"),
                GPU_MEMORY_OUT,
                Out("Overheads on the final run", "=Experiments_Overhead+Restart_Overhead+Eval_Overhead",
                    "x final run", TWO, "Overheads"),
                Out("The final run's FLOPs the dollar budget buys", "=Dollar_Budget/(1+Overheads)/Price_Per_GPU_Hour*"
                    "GPU_Peak*MFU*Seconds_Per_Hour", "FLOPs", FLOPS, "Dollar_Budget_FLOPs",
                    note="the budget when 'Budget from' is Dollars"),
            )),
            Section("Output: the plan in detail", (
                Out("Accelerator-hours with the restarts", "=GPU_Hours*(1+Restart_Overhead)", "GPU-hours", INT,
                    "Run_GPU_Hours", note="what the accelerators available are busy for"),
                Out("Their cost", "=Run_GPU_Hours*Price_Per_GPU_Hour", "USD", USD_M, "Run_Cost"),
                Out("Tokens per parameter", "=Opt_Tokens/Opt_Params", "tokens/parameter", ONE, "Opt_Tokens_Per_Param"),
                Out("Training state (weights, gradients, optimizer)", "=Opt_Params*Train_Bytes_Per_Param/Bytes_Per_GB",
                    "GB", INT, "Train_Memory_GB"),
            )),
            Section("Output: the data limit", (
                Out("Epochs over the unique data", "=Opt_Tokens/Unique_Tokens", "epochs", TWO, "Epochs"),
                Out("Effective tokens (repeats discounted)", "=EFFECTIVE_TOKENS(Opt_Tokens,Unique_Tokens)",
                    "tokens", TOKENS, "Effective_Tokens", note="equals the tokens when nothing repeats"),
                Out("Loss with the data limit", "=DATA_CONSTRAINED_LOSS(Opt_Params,Opt_Tokens,Unique_Tokens,Law)",
                    "nats/token", LOSS, "Data_Limited_Loss", key=True),
                Out("Loss cost of repetition", "=MAX(0,Data_Limited_Loss-Opt_Loss)", "nats/token", LOSS,
                    "Data_Loss_Penalty"),
                Out("Epochs worth training at this budget", "=EPOCHS_WORTH_IT(Unique_Tokens,Budget,Law)", "epochs",
                    TWO, "Epochs_Worth_It",
                    note="past this, more repetition buys less than a bigger model; below 1, data is not the limit"),
                Out("Data-limited plan: parameters", "=DATA_CONSTRAINED_N(Unique_Tokens,Budget,Law)", "parameters",
                    BILLIONS, "Data_Limited_Params", note="the loss-minimising model for this budget and data"),
                Out("Data-limited plan: training tokens", "=DATA_CONSTRAINED_D(Unique_Tokens,Budget,Law)", "tokens",
                    TOKENS, "Data_Limited_Tokens", note="repeats included (Muennighoff et al. 2023)"),
                Out("Data-limited plan: loss",
                    "=DATA_CONSTRAINED_LOSS(Data_Limited_Params,Data_Limited_Tokens,Unique_Tokens,Law)",
                    "nats/token", LOSS, "Data_Limited_Plan_Loss"),
            )),
            law_spread(
                "The same budget under each scaling-law preset (why they differ: About)",
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N(Budget,{law})"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=CHINCHILLA_D(Budget,{law})"),
                Col("tpp", "Tokens per parameter", "tokens/parameter", ONE, "={tokens}/{params}"),
                Col("vs", "Size against the chosen law's", "x", TWO, "={params}/Opt_Params"),
            ),
            Table("sens", (
                Col("mult", "Budget multiple", "x", "0.0#", values=SENS_MULTIPLES, name="Sens_Multiples"),
                Col("budget", "Budget", "FLOPs", FLOPS, "={mult}*Budget"),
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N({budget},Law)"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "=CHINCHILLA_D({budget},Law)"),
                Col("loss", "Predicted loss", "nats/token", LOSS, "=CHINCHILLA_LOSS({budget},Law)"),
                Col("hours", "Accelerator-hours", "GPU-hours", INT, "={budget}/(GPU_Peak*MFU*Seconds_Per_Hour)"),
                Col("days", "Days on the cluster", "days", ONE, "={hours}*(1+Restart_Overhead)/GPU_Count/Hours_Per_Day"),
                Col("cost", "Training cost", "USD", USD_M, "={hours}*Price_Per_GPU_Hour"),
            ), len(SENS_MULTIPLES)),
            Table("months", (
                Col("month", "Month", "month", INT, values=tuple(range(1, SCHEDULE_MONTHS + 1)), name="Spend_Months"),
                Col("end", "Days from the start, at its end", "days", INT, "={month}*Days_Per_Month"),
                Col("spend", "Spent on the final run in the month", "USD", USD_M,
                    "=Run_Cost*(MIN(1,{end}/Wall_Days)-MAX(0,MIN(1,({end}-Days_Per_Month)"
                    "/Wall_Days)))", name="Spend_Monthly"),
                Col("cumulative", "Spent so far", "USD", USD_M,
                    "=Run_Cost*MIN(1,{end}/Wall_Days)", name="Spend_Cumulative"),
            ), SCHEDULE_MONTHS, title="Monthly spend of the final run on the accelerators available (restarts included)"),
            Table("plan_mark", (
                Col("cost", "Training cost of the plan", "USD", USD_M, per_row=(("=Cost_Total", 1),)),
                Col("loss", "Its predicted loss", "nats/token", LOSS, per_row=(("=Opt_Loss", 1),)),
            ), 1, title="The plan, marked on the chart below"),
            Chart("sens", "Predicted loss against training cost", "cost", (("loss", "Compute-optimal loss"),),
                  "Training cost (USD, log scale)", "Loss (nats/token)", x_fmt='#,##0,,"M"', y_fmt=TWO,
                  marks=(("plan_mark", "cost", "loss", "The plan"),)),
            Chart("sens", "Training cost against budget", "budget", (("cost", "Training cost (USD)"),),
                  "Training budget (FLOPs, log scale)", "USD (log scale)", log_y=True, x_fmt=SCI,
                  y_fmt='"$"#,##0'),
        ), widths=(40, 18, 16, 16, 16, 18, 16, 16)),
        HARDWARE_SHEET,
    ),
)

TEMPLATE = TRAINING_BUDGET
