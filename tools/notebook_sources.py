"""Cell sources of the bundled notebooks: ("md" | "code", source)."""

QUICKSTART = [
    ("md", """# convoi_nb quickstart

Create Convoi web calls from a notebook. Without `CONVOI_API_KEY` and `CONVOI_BASE_URL` this runs on the
**embedded sandbox**, a local server that implements the same API with simulated calls, durations and costs.
Set both variables (before `connect()`) to talk to the real service with the same code."""),
    ("code", """import convoi_nb

client = convoi_nb.connect()
client"""),
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

NOTEBOOKS = {"01_quickstart.ipynb": QUICKSTART, "04_widgets.ipynb": WIDGETS}
