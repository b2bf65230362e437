"""Cell sources of the bundled notebooks: ("md" | "code", source)."""

QUICKSTART = [
    (
        "md",
        """# convoi_nb quickstart

Create Convoi web calls from a notebook. Without `CONVOI_API_KEY` and `CONVOI_BASE_URL` this runs on the
**embedded sandbox**, a local server that implements the same API with simulated calls, durations and costs.
Set both variables (before `connect()`) to talk to the real service with the same code.""",
    ),
    (
        "code",
        """import convoi_nb

client = convoi_nb.connect()
client""",
    ),
    (
        "md",
        """**Switching to the real service** changes nothing below: set `CONVOI_API_KEY` and `CONVOI_BASE_URL` in the
environment before starting Jupyter (or pass `convoi_nb.connect(api_key=..., base_url=...)`). The key never
appears in outputs; `repr(client)` shows `***`.""",
    ),
    ("md", "## Agents on the account\nEach agent has defaults that `agent_overrides` can change for one call."),
    (
        "code",
        """agents = client.list_agents()
for agent in agents:
    print(f"{agent.id}  {agent.name:18} llm={agent.llm['model']:12} voice={agent.tts['voice_id']}")
agent = agents[0]""",
    ),
    ("md", "## A minimal web call\nThe card shows the LiveKit room and a **masked** participant token."),
    (
        "code",
        """call = client.create_web_call(agent.id)
call""",
    ),
    (
        "md",
        """## A call with overrides and metadata
Plain dicts or the typed models both work; input is validated before anything is sent.""",
    ),
    (
        "code",
        """from convoi_nb import AgentOverrides, LLMSettings

call = client.create_web_call(
    agent.id,
    participant_name="Ada",
    agent_overrides=AgentOverrides(
        first_message="Hi, this is a test call. How can I help?",
        llm=LLMSettings(model="gpt-4o", temperature=0.3),
        tts={"voice_id": "alloy", "speed": 1.1},
    ),
    metadata={"source": "quickstart", "user_ref": "u_42"},
)
call""",
    ),
    ("md", "A mistake is caught on the client, naming the field and the rule:"),
    (
        "code",
        """try:
    client.create_web_call(agent.id, agent_overrides={"llm": {"temperature": 2.5}})
except convoi_nb.ValidationError as exc:
    print(exc)""",
    ),
    (
        "md",
        """## Watch duration and cost grow
The browser would join with `call.livekit.url` and `call.livekit.token`; in the sandbox a simulated participant
joins for you, and time runs fast (a three-minute call ends in about a second).""",
    ),
    (
        "code",
        """import time

while True:
    current = client.get_call(call.id)
    print(f"{current.status:12} {current.duration_seconds:7.1f} s  {current.cost.amount:.4f} {current.cost.currency}")
    if current.is_terminal:
        break
    time.sleep(0.25)""",
    ),
    (
        "md",
        """## Retry safely with an idempotency key
Every create carries an `Idempotency-Key`; the client reuses it on its own retries. Pass your own key to make
*your* retries safe too: the same key within 24 hours returns the original call.""",
    ),
    (
        "code",
        """import uuid

key = uuid.uuid4()
first = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
again = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
print(first.id == again.id, "replayed:", again.request_info.replayed)""",
    ),
    (
        "md",
        """## Calls as a DataFrame
`calls_frame()` lists calls (every page) into typed columns, one `metadata.<key>` column per metadata key, with the
LiveKit token masked (below, those two come right after the call's id and status; `frame.columns` lists all).""",
    ),
    (
        "code",
        """frame = client.calls_frame(metadata={"source": "quickstart"})
frame[["id", "status", "metadata.user_ref", "livekit_token",
       "cost_amount", "duration_seconds", "created_at"]]""",
    ),
    ("code", """frame.dtypes.head(8)"""),
    (
        "md",
        """## Async code
`await convoi_nb.aconnect()` makes the same choice as `connect()` (here: the same embedded sandbox) and returns an
`AsyncConvoiClient` with the same methods, each awaited. A notebook cell can `await` at top level.""",
    ),
    (
        "code",
        """async with await convoi_nb.aconnect() as aclient:
    first_agent = (await aclient.list_agents())[0]
    async_call = await aclient.create_web_call(first_agent.id, metadata={"source": "quickstart-async"})
async_call.id, async_call.status""",
    ),
]

WIDGETS = [
    (
        "md",
        """# The widget tour

Everything the API offers, without typing JSON. Runs on the embedded sandbox unless `CONVOI_API_KEY` and
`CONVOI_BASE_URL` are set. Tokens are masked; the API key never reaches the page.""",
    ),
    (
        "code",
        """import convoi_nb
from convoi_nb.models import AgentOverrides
from convoi_nb.widgets import CallLauncher, ExperimentPanel, OverridesForm, VariantBuilder

client = convoi_nb.connect()
agents = client.list_agents()""",
    ),
    (
        "md",
        """## OverridesForm
Each field shows the agent's default as a placeholder and is sent only when set (↺ returns it to "inherit",
sliders are sent only when ticked). The preview shows exactly the `agent_overrides` that will be sent; invalid
input is flagged next to its field.""",
    ),
    (
        "code",
        """form = OverridesForm(agents[0])
form""",
    ),
    ("md", "`.value` is an `AgentOverrides`; setting it fills the form:"),
    (
        "code",
        """form.value = AgentOverrides(llm={"model": "gpt-4o", "temperature": 0.3}, tts={"speed": 1.15})
form.value.to_body()""",
    ),
    (
        "md",
        """## CallLauncher
Pick an agent, add metadata and overrides, press **Create call**. The card refreshes status, duration and cost
while the call runs; *Show code* gives the same request as Python and curl.""",
    ),
    (
        "code",
        """launcher = CallLauncher(client)
launcher""",
    ),
    (
        "md",
        """Every call created from the launcher is collected: the launcher's own table (under the card) updates by
itself, and `launcher.frame()` fetches each call's current state when you run it:""",
    ),
    ("code", """launcher.frame()"""),
    (
        "md",
        """## VariantBuilder
Named variants, one form each; the *Grid* tab generates every combination of the values you list per axis.""",
    ),
    (
        "code",
        """builder = VariantBuilder(agents[0])
builder.add("gpt-4o")
builder.entries[1].form.value = AgentOverrides(llm={"model": "gpt-4o"})
builder""",
    ),
    ("code", """[(variant.name, variant.body) for variant in builder.value]"""),
    (
        "md",
        """## ExperimentPanel
Variants × replicates with a progress bar, a live table, then the summary with confidence intervals and plots.
*Resume* continues an interrupted experiment without duplicating calls.""",
    ),
    (
        "code",
        """panel = ExperimentPanel(client)
panel""",
    ),
]

COMPARE = [
    (
        "md",
        """# Which settings make a support call cheaper?

**The question.** Our support agent runs on `gpt-4o-mini` at normal speech speed. Would `gpt-4o`, faster speech,
or a prompt asking for short answers make a call cheaper, and which is the cheapest?

**How.** Same agent, five `agent_overrides` variants (two LLM models × two TTS speeds, plus a short-answers prompt).
The calls are made in **waves**, one call per variant still in the race. After each wave, an interval for each pair
of variants' difference in mean cost per call says which are clearly dearer, and those get no more calls. The
intervals are *anytime-valid*: they hold at 95 % over every look at once, so looking after every wave (or stopping
by hand) does not make them lie. The run stops when one variant is left (the winner), when the next wave could pass
the budget, or after 120 calls per variant (no winner: the leader is named).

On the embedded sandbox the figures are **simulated** (a documented rate card and seeded call lengths): the
workflow is real, the numbers illustrative; the sandbox here plays its calls 20× faster than its default, so the
waves go by in seconds (`time_scale`, ignored on the real service). With `CONVOI_API_KEY` and `CONVOI_BASE_URL`
set, the same cells measure the real service.""",
    ),
    (
        "code",
        """import math

import convoi_nb
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.money import format_money

client = convoi_nb.connect(sandbox_settings={"time_scale": 3600})
agent = client.list_agents()[0]
print(f"{agent.name}: llm={agent.llm}, tts={agent.tts}")""",
    ),
    ("md", """## The variants"""),
    (
        "code",
        """grid = Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]})
short_prompt = Variant("model=gpt-4o-mini, speed=1.0, short answers", {
    "llm": {"model": "gpt-4o-mini"}, "tts": {"speed": 1.0},
    "system_prompt": "You are a support agent. Answer in one or two short sentences.",
})
variants = [*grid, short_prompt]
[(variant.name, variant.body) for variant in variants]""",
    ),
    (
        "md",
        """## What the run may cost
At most 120 calls per variant. A pilot of two calls per variant (the run keeps them as its first calls) tells what
a call costs, and so what all 120 × 5 calls would cost if no variant were ever dropped (a 90 % prediction
interval). Dropping the dearer variants early costs less than that; the budget is a cap on top: a wave is created
only when the spend so far plus the wave's projected cost fits within it.""",
    ),
    (
        "code",
        """MAX_CALLS = 120  # per variant
experiment = Experiment("compare-override-variants", agent.id, variants, replicates=MAX_CALLS,
                        metadata={"notebook": "02_compare_override_variants"})
estimate = experiment.estimate(client, pilot=2)
print(f"every variant to {MAX_CALLS} calls: {estimate}")
budget = math.ceil(float(estimate.spent.amount) + estimate.cost.estimate / 2)
print(f"budget (max_cost): {budget} {estimate.currency}")""",
    ),
    (
        "md",
        """## Run until decided
`until="decided"` runs the waves; `metric="cost"` is the one figure compared, declared before any data (deciding
on cost and call length at once would halve the error budget of each). Each (experiment, variant, replicate) has
a fixed idempotency key, and the run's settings are recorded in the experiment's results store
(`experiment.store_path`, in the project's working folder `.convoi_nb/`, which git ignores): running this cell again, after an interruption too, continues from the recorded calls
with the same eliminations and creates no call twice. Changing a setting afterwards is refused: it would void the
intervals.""",
    ),
    (
        "code",
        """results = experiment.run(client, until="decided", metric="cost", max_replicates=MAX_CALLS, max_cost=budget)
decision = results.decision
print(decision)""",
    ),
    (
        "md",
        """## The decision
`decision.status` says why the run stopped (`"winner"`, `"budget"`, `"max_replicates"`, or `"equivalent"` when
a `tolerance` is given), `decision.eliminated` each dropped variant with the look at which it left. The intervals
at the stop: one row per pair (the differences the eliminations were made on) and one per variant (its mean cost
per call, for reading: never used to drop a variant).""",
    ),
    ("code", """decision.intervals"""),
    ("md", """One row per look (a look follows each wave):"""),
    ("code", """decision.history.tail(8)"""),
    (
        "md",
        """**Why "short answers" is not cheaper here.** The sandbox does not read prompts: it lengthens a call with the
length of its system prompt (more context per turn) and with slower models and speech, as documented in the
sandbox how-to (docs/how-to/sandbox-and-faults.md). So a longer prompt asking for short answers makes sandbox calls a little longer and
dearer. Whether short answers shorten real calls is exactly what this notebook measures on the real service.

## What to do next""",
    ),
    (
        "code",
        """still_in = ", ".join(decision.active)
if decision.status == "winner":
    print(f"{decision.winner} is the cheapest per call, every other variant eliminated: listen to a few of its "
          "calls before adopting it (quality is not in these numbers).")
elif decision.status == "budget":
    print(f"Stopped by the budget with {still_in} still in (leader: {decision.leader}): run the cell above again "
          "with a higher max_cost to continue from here.")
elif decision.status == "equivalent":
    print(f"{still_in} cost the same per call within the tolerance: choose between them on other grounds.")
else:
    print(f"No winner within {MAX_CALLS} calls per variant: {still_in} are closer than these calls can tell apart "
          f"(leader: {decision.leader}). Choose between them on other grounds (listen to them), or start a new "
          "experiment of those variants with a larger max_replicates.")
spent = format_money(decision.spend.amount, decision.spend.currency)
print(f"{decision.calls} calls made, {spent} spent; {MAX_CALLS} calls of every variant would have been "
      f"{MAX_CALLS * len(variants)}.")""",
    ),
    (
        "md",
        """## The fixed design
`experiment.run(client)` without `until` makes `replicates` calls per variant at once; `results.verdict()`,
`summary_table()`, `compare_table()` and `plot()` read them, and `experiment.plan(client)` says how many calls
that takes. Those intervals hold for **one** look, at the end: re-reading them after every batch and stopping at
the first "significant" difference calls identical variants different several times more often than their 5 %.
To watch as the calls come in, or to stop as soon as the answer is known, use `until="decided"` as above.

Every call made here, joined with its variant and the overrides it sent, for your own analysis:""",
    ),
    (
        "code",
        """frame = results.frame()
frame[["variant", "replicate", "status", "duration_seconds", "cost_amount", "cost_currency",
       "override.llm.model", "override.tts.speed"]].head(10)""",
    ),
]

COST_REVIEW = [
    (
        "md",
        """# Call cost review at account scale

The analyst's view over a busy account: every call streamed from the listing into a **Parquet dataset** (one
file per day), then cost questions answered by **DuckDB** over those files, as pandas frames: cost and minutes by
agent, day, week, status and metadata, the most expensive calls, cost per minute by experiment variant, and the
change from week to week. Totals are exact decimals, per currency, each with a float twin for plotting.

With `CONVOI_API_KEY` and `CONVOI_BASE_URL` set this reads your real calls (and a second run only fetches what
changed); otherwise it generates an account of **100,000 simulated calls** over 60 days in a sandbox of its own.
For the account-scale run, set `CONVOI_REVIEW_CALLS=1000000` before starting Jupyter (the whole notebook then
takes about two minutes on a 2-core machine, most of it the export; `bench/review.py` measures it).""",
    ),
    (
        "code",
        """import os
import shutil
import time

import convoi_nb
from convoi_nb import workspace
from convoi_nb.review import Review
from convoi_nb.sandbox import Sandbox, default_seed

CALLS = int(os.environ.get("CONVOI_REVIEW_CALLS", "100000"))
REAL_SERVICE = bool(os.environ.get("CONVOI_API_KEY") and os.environ.get("CONVOI_BASE_URL"))
if REAL_SERVICE:
    client = convoi_nb.connect()
else:
    sandbox = Sandbox(db_path=":memory:", seed=default_seed()).start()
    started = time.perf_counter()
    sandbox.generate_history(CALLS, days=60, seed=default_seed())
    print(f"generated {CALLS:,} simulated calls in {time.perf_counter() - started:.1f} s")
    client = convoi_nb.ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
agent_names = {agent.id: agent.name for agent in client.list_agents()}
client""",
    ),
    (
        "md",
        """## Export: the listing, page by page, into one Parquet file per day

`export_calls` writes `day=YYYY-MM-DD/part-0.parquet` files and a `_manifest.json`, here under
`.convoi_nb/exports/` (the project's working folder, which git ignores). Interrupt it and run the
cell again: it resumes after the last day it wrote. Run it again later: it fetches only the newest day (and any
day whose calls were still in flight). LiveKit tokens are never written; the folder and its files are private to
you (0700 and 0600), and one export runs in a folder at a time (a second one stops at once and says so).
`Review` reads exactly the files the manifest lists, after checking them against it.""",
    ),
    (
        "code",
        """folder = workspace.path("exports", "calls" if REAL_SERVICE else "sandbox-calls")
if not REAL_SERVICE:
    shutil.rmtree(folder, ignore_errors=True)  # a new sandbox each run: its export starts afresh
started = time.perf_counter()
summary = client.export_calls(folder)
seconds = time.perf_counter() - started
print(f"{summary.calls:,} calls in {len(summary.days_written)} day files, {seconds:.1f} s "
      f"({summary.calls / seconds:,.0f} calls/s); the dataset holds {summary.total_calls:,} calls")""",
    ),
    (
        "code",
        """review = Review(folder)
review""",
    ),
    (
        "md",
        """## Cost by agent
Each money column comes twice: `total_cost` holds exact decimals (sum and compare these), `total_cost_float` the
same amounts as floats, which pandas and matplotlib plot.""",
    ),
    (
        "code",
        """by_agent = review.cost_by("agent").rename(index=agent_names)
by_agent""",
    ),
    ("md", "## Cost by day and by week\nDays are UTC dates; weeks start on Monday."),
    (
        "code",
        """by_day = review.cost_by("day")
ax = by_day["total_cost_float"].plot(figsize=(10, 3), title="cost per day (USD)")
ax.set_xlabel("")
by_day.tail(7)""",
    ),
    (
        "md",
        """## Cost per agent per week
`cost_by` takes several dimensions (`cost_by("week", "agent")` or a list): one row per week, agent and currency,
indexed by both. Amounts in two currencies never add up, so the plot shows one.""",
    ),
    (
        "code",
        """weekly = review.cost_by("week", "agent").rename(index=agent_names, level="agent")
currency = weekly["currency"].mode()[0]
per_agent = weekly[weekly["currency"] == currency]["total_cost_float"].unstack("agent")
ax = per_agent.plot.bar(figsize=(10, 3), rot=0, title=f"cost per agent per week ({currency})")
ax.set_xlabel("week starting")
weekly[["calls", "total_cost", "minutes", "cost_per_minute"]].head(6)""",
    ),
    ("md", "Week over week (the first and last weeks of the history are partial, so their changes are too):"),
    ("code", """review.period_change("week")"""),
    ("md", "## Cost by status and by metadata"),
    ("code", """review.cost_by("status")"""),
    ("code", """review.cost_by("metadata.source")"""),
    ("code", """review.cost_by("metadata.customer_tier")"""),
    ("md", "## The most expensive calls"),
    (
        "code",
        """top = review.top_calls(10)
top.insert(1, "agent", top["agent_id"].map(agent_names))
top.drop(columns=["agent_id"])""",
    ),
    (
        "md",
        """## Cost per minute by experiment variant

Calls made by `convoi_nb.experiments` carry `experiment` and `variant` metadata; a grid variant's name says its
model and voice.""",
    ),
    (
        "code",
        """if "experiment" in review.metadata_keys:
    rates = review.variant_rates()
else:
    rates = "no call carries experiment metadata"
rates""",
    ),
    (
        "md",
        """## The same review on Spark

The questions above are written once (with Ibis) and run on any engine. Embedded DuckDB, used so far, needs no
service and answers an account's whole history on one machine in tens of milliseconds: keep it for a laptop or a
notebook server. Use Spark when the files sit on a cluster's shared storage or outgrow one machine:
`Review(folder, backend=spark)` with your cluster's `SparkSession` (here `"spark"`: the active session, or a new
local one). The totals are the same decimals, exactly. Spark needs `pip install "convoi_nb[spark]"` and Java 17;
where either is missing (as on Binder) this cell says so and the rest of the notebook does not need it.""",
    ),
    (
        "code",
        """try:
    on_spark = Review(folder, backend="spark")
except convoi_nb.ConfigurationError as missing:
    on_spark = None
    print(f"Spark section skipped: {missing}")
if on_spark is not None:
    started = time.perf_counter()
    spark_by_agent = on_spark.cost_by("agent")
    print(f"Spark answered in {time.perf_counter() - started:.1f} s")
    same = spark_by_agent["total_cost"].sort_index().equals(review.cost_by("agent")["total_cost"].sort_index())
    print("the same exact totals as DuckDB:", same)
    display(spark_by_agent.rename(index=agent_names))""",
    ),
    (
        "md",
        """## The same SQL elsewhere

Each answer is one query over a table `calls` (the files, with their `day` column), compiled by Ibis for the
dialect you ask for: `duckdb`, `spark`, `databricks`, `trino` or `snowflake`. A table you already have in one of
those engines (through Ibis) reviews in place: `Review.from_table(table)`.""",
    ),
    ("code", """print(review.sql("cost_by", by="week", dialect="spark"))"""),
]

LISTENING = [
    (
        "md",
        """# Listen to the variants, blind

Cost and call length say what a variant costs; whether it is *better* you decide by listening. A listening session
plays each variant's calls in a secret random order, labelled only "Call 3 of 6", asks for a 1–5 rating on the
criteria you name (and a note), and reveals which call was which only after the last rating. Ratings are stored
with the experiment's results, so they sit next to cost in `summary()` and `verdict()`.

On the embedded sandbox there is no LiveKit server, so **Join** says so in one line and the simulated calls end by
themselves: rate them anyway to try the workflow (or mark them *broken*). With `CONVOI_API_KEY` and
`CONVOI_BASE_URL` set, Join connects you to the agent.""",
    ),
    (
        "code",
        """import random
import time

import convoi_nb
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets import ListeningSessionPanel

client = convoi_nb.connect()
agent = client.list_agents()[0]
variants = [
    Variant("baseline"),
    Variant("gpt-4o", {"llm": {"model": "gpt-4o"}}),
    Variant("warm voice", {"tts": {"speed": 0.9}, "first_message": "Hi! Lovely to hear from you. How can I help?"}),
]
experiment = Experiment("listening-session", agent.id, variants, replicates=3,
                        metadata={"notebook": "05_listening_session"})
experiment.run(client, progress=False).wait(timeout=120, progress=False)  # the cost side: calls nobody listens to
sandbox = client.base_url.startswith("http://127.0.0.1")""",
    ),
    (
        "md",
        """## Your session
Press **Start call**, join it, listen, and rate it when it ends (or when you leave). Each rater gets calls of their
own and an order of their own, drawn from a secret kept with the session (nothing you know predicts it); a session
survives a kernel restart (it resumes at the first unrated call, in the same order).""",
    ),
    (
        "code",
        """criteria = ["helpful", "natural voice"]
mine = ListeningSession(experiment, rater="you", calls_per_variant=2, criteria=criteria)
ListeningSessionPanel(client, mine)""",
    ),
    (
        "md",
        """## A scripted rater
So that this notebook has ratings to show when run top to bottom, a second rater rates by script: what you do
with the panel above, in code.""",
    ),
    (
        "code",
        """# On the real service calls end only when someone talks to the agent (or they expire): script on the sandbox only.
scripted = ListeningSession(experiment, rater="scripted", calls_per_variant=2, criteria=criteria)
taste = {"baseline": (3, 3), "gpt-4o": (4, 3), "warm voice": (3, 4)}  # the script's ear, give or take one
ear = random.Random(2)
while sandbox and not scripted.done:
    call = scripted.start(client)
    while not client.get_call(call.id).is_terminal:  # the sandbox's calls end by themselves
        time.sleep(0.1)
    variant = scripted._plan[scripted.step.index][0]  # a script may peek; the panel never shows it
    helpful, natural = (min(5, max(1, score + ear.choice((-1, 0, 1)))) for score in taste[variant])
    scripted.rate({"helpful": helpful, "natural voice": natural}, note="scripted")
print(scripted.progress)
scripted.reveal() if scripted.done else None""",
    ),
    (
        "md",
        """## Quality next to cost
Mean rating per criterion with its 95 % interval, over the calls rated (skipped, *broken*, failed and expired calls
are counted, not averaged in), next to what the sweep's calls cost (the listened calls are left out of cost and
length: a listener changes both). All raters pooled; `summary(rater="you")` for one, and `summary()` for the
numbers as columns (`rating.helpful_mean`, `rating.helpful_ci_low`, ...).""",
    ),
    (
        "code",
        """results = experiment.results(client)
results.summary_table()""",
    ),
    ("code", """print(results.verdict(baseline="baseline"))"""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_compare_override_variants.ipynb": COMPARE,
    "03_call_cost_review.ipynb": COST_REVIEW,
    "04_widgets.ipynb": WIDGETS,
    "05_listening_session.ipynb": LISTENING,
}
