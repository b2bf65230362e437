"""Cell sources of the bundled notebooks: ("md" | "code", source)."""

QUICKSTART = [
    ("md", """# convoi_nb quickstart

Create Convoi web calls from a notebook. Without `CONVOI_API_KEY` and `CONVOI_BASE_URL` this runs on the
**embedded sandbox**, a local server that implements the same API with simulated calls, durations and costs.
Set both variables (before `connect()`) to talk to the real service with the same code."""),
    ("code", """import convoi_nb

client = convoi_nb.connect()
client"""),
    ("md", """**Switching to the real service** changes nothing below: set `CONVOI_API_KEY` and `CONVOI_BASE_URL` in the
environment before starting Jupyter (or pass `convoi_nb.connect(api_key=..., base_url=...)`). The key never
appears in outputs; `repr(client)` shows `***`."""),
    ("md", "## Agents on the account\nEach agent has defaults that `agent_overrides` can change for one call."),
    ("code", """agents = client.list_agents()
for agent in agents:
    print(f"{agent.id}  {agent.name:18} llm={agent.llm['model']:12} voice={agent.tts['voice_id']}")
agent = agents[0]"""),
    ("md", "## A minimal web call\nThe card shows the LiveKit room and a **masked** participant token."),
    ("code", """call = client.create_web_call(agent.id)
call"""),
    ("md", """## A call with overrides and metadata
Plain dicts or the typed models both work; input is validated before anything is sent."""),
    ("code", """from convoi_nb import AgentOverrides, LLMSettings

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
call"""),
    ("md", "A mistake is caught on the client, naming the field and the rule:"),
    ("code", """try:
    client.create_web_call(agent.id, agent_overrides={"llm": {"temperature": 2.5}})
except convoi_nb.ValidationError as exc:
    print(exc)"""),
    ("md", """## Watch duration and cost grow
The browser would join with `call.livekit.url` and `call.livekit.token`; in the sandbox a simulated participant
joins for you, and time runs fast (a three-minute call ends in about a second)."""),
    ("code", """import time

while True:
    current = client.get_call(call.id)
    print(f"{current.status:12} {current.duration_seconds:7.1f} s  {current.cost.amount:.4f} {current.cost.currency}")
    if current.is_terminal:
        break
    time.sleep(0.25)"""),
    ("md", """## Retry safely with an idempotency key
Every create carries an `Idempotency-Key`; the client reuses it on its own retries. Pass your own key to make
*your* retries safe too: the same key within 24 hours returns the original call."""),
    ("code", """import uuid

key = uuid.uuid4()
first = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
again = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
print(first.id == again.id, "replayed:", again.request_info.replayed)"""),
    ("md", """## Calls as a DataFrame
`calls_frame()` lists calls (every page) into typed columns, one `metadata.<key>` column per metadata key, with the
LiveKit token masked."""),
    ("code", """frame = client.calls_frame(metadata={"source": "quickstart"})
frame[["id", "status", "created_at", "duration_seconds", "cost_amount", "metadata.user_ref", "livekit_token"]]"""),
    ("code", """frame.dtypes.head(8)"""),
]

WIDGETS = [
    ("md", """# The widget tour

Everything the API offers, without typing JSON. Runs on the embedded sandbox unless `CONVOI_API_KEY` and
`CONVOI_BASE_URL` are set. Tokens are masked; the API key never reaches the page."""),
    ("code", """import convoi_nb
from convoi_nb.models import AgentOverrides
from convoi_nb.widgets import CallLauncher, ExperimentPanel, OverridesForm, VariantBuilder

client = convoi_nb.connect()
agents = client.list_agents()"""),
    ("md", """## OverridesForm
Each field shows the agent's default as a placeholder and is sent only when set (↺ returns it to "inherit",
sliders are sent only when ticked). The preview shows exactly the `agent_overrides` that will be sent; invalid
input is flagged next to its field."""),
    ("code", """form = OverridesForm(agents[0])
form"""),
    ("md", "`.value` is an `AgentOverrides`; setting it fills the form:"),
    ("code", """form.value = AgentOverrides(llm={"model": "gpt-4o", "temperature": 0.3}, tts={"speed": 1.15})
form.value.to_body()"""),
    ("md", """## CallLauncher
Pick an agent, add metadata and overrides, press **Create call**. The card refreshes status, duration and cost
while the call runs; *Show code* gives the same request as Python and curl."""),
    ("code", """launcher = CallLauncher(client)
launcher"""),
    ("md", "Every call created from the launcher is collected:"),
    ("code", """launcher.frame()"""),
    ("md", """## VariantBuilder
Named variants, one form each; the *Grid* tab generates every combination of the values you list per axis."""),
    ("code", """builder = VariantBuilder(agents[0])
builder.add("gpt-4o")
builder.entries[1].form.value = AgentOverrides(llm={"model": "gpt-4o"})
builder"""),
    ("code", """[(variant.name, variant.body) for variant in builder.value]"""),
    ("md", """## ExperimentPanel
Variants × replicates with a progress bar, a live table, then the summary with confidence intervals and plots.
*Resume* continues an interrupted experiment without duplicating calls."""),
    ("code", """panel = ExperimentPanel(client)
panel"""),
]

COMPARE = [
    ("md", """# Compare agent-override variants

Same agent, several `agent_overrides` variants, several calls each: which settings cost more, which make calls
longer, and how sure can we be? On the embedded sandbox the figures are **simulated** (a documented rate card and
seeded call lengths), so the workflow is real and the numbers are illustrative; with `CONVOI_API_KEY` and
`CONVOI_BASE_URL` set, the same cells measure the real service."""),
    ("code", """import convoi_nb
from convoi_nb.experiments import Experiment, Variant

client = convoi_nb.connect()
agent = client.list_agents()[0]
print(f"{agent.name}: llm={agent.llm}, tts={agent.tts}")"""),
    ("md", """## Variants
Two LLM models × two TTS speeds as a grid, plus a prompt variant on top of the cheapest arm."""),
    ("code", """grid = Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]})
short_prompt = Variant("model=gpt-4o-mini, speed=1.0, short answers", {
    "llm": {"model": "gpt-4o-mini"}, "tts": {"speed": 1.0},
    "system_prompt": "You are a support agent. Answer in one or two short sentences.",
})
variants = [*grid, short_prompt]
baseline = variants[0].name
[(variant.name, variant.body) for variant in variants]"""),
    ("md", """## Plan before you spend
A pilot of three calls per variant tells how much calls vary, and so how many are needed to see a 10 % difference
in mean cost or duration (80 % power, corrected for comparing several variants), and what those calls would
cost. The pilot calls are the experiment's first replicates: the main run below keeps them."""),
    ("code", """experiment = Experiment("compare-override-variants", agent.id, variants, replicates=8,
                        metadata={"notebook": "02_compare_override_variants"})
plan = experiment.plan(client, pilot=3, detect=0.10)
print(f"to detect a 10 % difference: up to {plan['replicates'].max():.0f} calls per variant, "
      f"about {plan.attrs['total_spend']} {plan['currency'].iloc[0]} in all")
plan[["pilot_calls", "cost_mean", "cost_sd", "replicates_for_cost", "replicates_for_duration", "estimated_spend"]]"""),
    ("md", """## Run
Eight calls per variant here (fewer than the plan asks for: see how the verdict below handles that), sixteen at
a time. Each (experiment, variant, replicate) has a fixed idempotency key, so re-running this cell returns the
same calls, and an interrupted run resumes where it stopped (results are kept in `convoi_experiments.sqlite3`
next to this notebook)."""),
    ("code", """results = experiment.run(client, concurrency=16)
results.wait(timeout=120)"""),
    ("md", "Every call, joined with its variant and the overrides it sent:"),
    ("code", """frame = results.frame()
frame[["variant", "replicate", "status", "duration_seconds", "cost_amount", "override.llm.model", "override.tts.speed"]].head(10)"""),
    ("md", """## Summary
Statistics use calls that **ended**; failed or expired calls are counted (`failure_rate`) but not averaged in.
Means come with 95 % Student-t intervals; `spend_total` is every billed call, summed exactly."""),
    ("code", """summary = results.summary()
summary[["n", "ended", "failure_rate", "duration_mean", "duration_ci_low", "duration_ci_high",
         "cost_mean", "cost_ci_low", "cost_ci_high", "cost_per_minute", "spend_total", "currency"]].round(4)"""),
    ("md", """## Against the baseline
Differences of the mean per call with Welch 95 % intervals; p-values are Holm-adjusted for comparing four
variants with the baseline, and *significant* is decided on the adjusted value."""),
    ("code", """comparison = results.compare(baseline=baseline)
comparison[["cost_delta", "cost_delta_ci_low", "cost_delta_ci_high", "cost_delta_pct", "cost_p_adjusted",
            "cost_significant", "duration_delta_pct", "duration_p_adjusted", "duration_significant"]].round(4)"""),
    ("code", """results.plot()"""),
    ("md", """## Verdict
Computed from the calls above: a variant is named cheapest (or shortest) only when it is separated from every
other variant after the adjustment; otherwise the verdict says so and how many calls would settle it."""),
    ("code", """verdict = results.verdict(baseline=baseline)
print(verdict)
failing = summary[summary["failure_rate"] > 0]
if len(failing):
    print("Calls that did not end (excluded from the averages): " +
          ", ".join(f"{v}: {r['failure_rate']:.0%}" for v, r in failing.iterrows()) + ".")"""),
]

COST_REVIEW = [
    ("md", """# Call cost review at account scale

The analyst's view over a busy account: every call streamed from the listing into a **Parquet dataset** (one
file per day), then cost questions answered by **DuckDB** over those files, as pandas frames: cost and minutes by
agent, day, week, status and metadata, the most expensive calls, cost per minute by experiment variant, and the
change from week to week. Totals are exact decimals, per currency.

With `CONVOI_API_KEY` and `CONVOI_BASE_URL` set this reads your real calls (and a second run only fetches what
changed); otherwise it generates an account of **100,000 simulated calls** over 60 days in a sandbox of its own.
For the account-scale run, set `CONVOI_REVIEW_CALLS=1000000` before starting Jupyter (the whole notebook then
takes about two minutes on a 2-core machine, most of it the export; `bench/review.py` measures it)."""),
    ("code", """import os
import shutil
import time
from pathlib import Path

import convoi_nb
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
client"""),
    ("md", """## Export: the listing, page by page, into one Parquet file per day

`export_calls` writes `day=YYYY-MM-DD/part-0.parquet` files and a `_manifest.json`. Interrupt it and run the
cell again: it resumes after the last day it wrote. Run it again later: it fetches only the newest day (and any
day whose calls were still in flight). LiveKit tokens are never written."""),
    ("code", """folder = Path("exports") / ("calls" if REAL_SERVICE else "sandbox-calls")
if not REAL_SERVICE:
    shutil.rmtree(folder, ignore_errors=True)  # a new sandbox each run: its export starts afresh
started = time.perf_counter()
summary = client.export_calls(folder)
seconds = time.perf_counter() - started
print(f"{summary.calls:,} calls in {len(summary.days_written)} day files, {seconds:.1f} s "
      f"({summary.calls / seconds:,.0f} calls/s); the dataset holds {summary.total_calls:,} calls")"""),
    ("code", """review = Review(folder)
review"""),
    ("md", "## Cost by agent"),
    ("code", """by_agent = review.cost_by("agent").rename(index=agent_names)
by_agent"""),
    ("md", "## Cost by day and by week\nDays are UTC dates; weeks start on Monday."),
    ("code", """by_day = review.cost_by("day")
ax = by_day["total_cost"].astype(float).plot(figsize=(10, 3), title="cost per day (USD)")
ax.set_xlabel("")
by_day.tail(7)"""),
    ("md", "Week over week (the first and last weeks of the history are partial, so their changes are too):"),
    ("code", """review.period_change("week")"""),
    ("md", "## Cost by status and by metadata"),
    ("code", """review.cost_by("status")"""),
    ("code", """review.cost_by("metadata.source")"""),
    ("code", """review.cost_by("metadata.customer_tier")"""),
    ("md", "## The most expensive calls"),
    ("code", """top = review.top_calls(10)
top.insert(1, "agent", top["agent_id"].map(agent_names))
top.drop(columns=["agent_id"])"""),
    ("md", """## Cost per minute by experiment variant

Calls made by `convoi_nb.experiments` carry `experiment` and `variant` metadata; a grid variant's name says its
model and voice."""),
    ("code", """if "experiment" in review.metadata_keys:
    rates = review.variant_rates()
else:
    rates = "no call carries experiment metadata"
rates"""),
    ("md", """## The same SQL elsewhere

Each answer is one standard SQL query over a table `calls`. Register the same files as `calls` in Spark
(`spark.read.parquet(folder)`, backticks: `dialect="spark"`) or Trino (a Hive table over the folder) and run it
there when an account outgrows one machine."""),
    ("code", """print(review.sql("cost_by", by="week"))"""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_compare_override_variants.ipynb": COMPARE,
    "03_call_cost_review.ipynb": COST_REVIEW,
    "04_widgets.ipynb": WIDGETS,
}
