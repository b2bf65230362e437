// The front end of convoi_nb's Join button and secret field, as one anywidget module: the shared runtime.
//
// A notebook holds this bundle once, in one runtime widget (its `initialize` exports the two renderers); every Join
// button and secret field carries a few lines that find the runtime with anywidget's `host.getWidget` and render
// with its exports, so twenty buttons do not save twenty copies of livekit-client into the notebook.
//
// Join joins a call's LiveKit room from the notebook's browser tab. The token never enters the widget's synced
// state: the kernel sends it in a custom message only after the user presses Join, it is handed to livekit-client
// and dropped; nothing here logs it. State the kernel should see (connection state, error, participants, muted) is
// synced back as traits, until the kernel closes the widget.
import { ConnectionState, DisconnectReason, Room, RoomEvent, Track, createLocalAudioTrack } from "livekit-client";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function hostOf(url) {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

// Problems the browser would otherwise report only as a 15 s timeout or not at all.
function preflight(url) {
  if (!/^wss?:\/\//.test(url)) return `the LiveKit URL must start with ws:// or wss://, got ${url}`;
  if (window.location.protocol === "https:" && url.startsWith("ws://") && !LOOPBACK.has(hostOf(url))) {
    return `this notebook is served over https, and browsers block the insecure ${url}: the LiveKit server needs wss://`;
  }
  return "";
}

function microphoneProblem() {
  if (!window.isSecureContext) {
    return "no microphone: the browser allows it only on https or localhost pages (listening still works)";
  }
  if (!navigator.mediaDevices) return "no microphone: this browser gives no access to media devices";
  return "";
}

function describeError(error, url, hint) {
  const message = (error && error.message) || String(error);
  const status = error && error.status;
  if (status === 401 || status === 403 || /authoriz|token/i.test(message)) {
    return `LiveKit refused the call's token (${message})`;
  }
  if (/fetch|unreachable|websocket|could not connect|failed to connect/i.test(message) || status === 0) {
    return `no LiveKit server answers at ${url}` + (hint ? `: ${hint}` : "");
  }
  return message;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderJoin({ model, el }) {
  el.classList.add("convoi-join");
  const join = element("button", "convoi-join-button jupyter-button", "Join");
  const mute = element("button", "convoi-join-mute jupyter-button", "Mute");
  const leave = element("button", "convoi-join-leave jupyter-button", "Leave");
  const state = element("span", "convoi-join-state");
  const level = element("span", "convoi-join-level");
  const bar = element("span", "convoi-join-level-bar");
  const people = element("div", "convoi-join-participants");
  const note = element("div", "convoi-join-note");
  level.appendChild(bar);
  level.title = "microphone level";
  const controls = element("div", "convoi-join-controls");
  controls.append(join, mute, leave, state, level);
  el.append(controls, people, note);

  let room = null;
  let microphone = null;
  let meter = null;
  let leaving = false;
  let closed = false; // the kernel closed the widget: its model can no longer be written

  function sync(values) {
    if (closed) return;
    for (const [key, value] of Object.entries(values)) model.set(key, value);
    model.save_changes();
  }

  function setState(value, error = "") {
    state.textContent = value + (error ? `: ${error}` : "");
    state.dataset.state = value;
    sync({ state: value, error });
    const live = value !== "idle" && value !== "disconnected" && value !== "requesting";
    join.disabled = live || value === "requesting" || !model.get("available");
    mute.style.display = leave.style.display = level.style.display = live ? "" : "none";
  }

  function showParticipants() {
    const names = room ? [room.localParticipant, ...room.remoteParticipants.values()].map((p) => p.identity) : [];
    people.textContent = names.length ? `in the room: ${names.join(", ")}` : "";
    sync({ participants: names });
  }

  function showAvailability() {
    const reason = model.get("unavailable_reason");
    join.disabled = !model.get("available") || (room !== null);
    join.title = reason || "join this call's LiveKit room from this browser (asks for the microphone)";
    note.textContent = model.get("available") ? note.textContent : reason;
  }

  function startMeter(track) {
    // Web Audio on the microphone's own track: the level never leaves this tab.
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 256;
    context.createMediaStreamSource(new MediaStream([track.mediaStreamTrack])).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s - 128));
      bar.style.width = `${Math.min(100, (peak / 128) * 100)}%`;
    }, 100);
    return () => {
      clearInterval(timer);
      context.close();
    };
  }

  async function release() {
    if (meter) meter();
    meter = null;
    if (microphone) microphone.stop();
    microphone = null;
    el.querySelectorAll("audio").forEach((audio) => audio.remove());
  }

  async function disconnect(reasonText) {
    leaving = true;
    const current = room;
    room = null;
    if (current) await current.disconnect();
    await release();
    showParticipants();
    setState("disconnected", reasonText || "");
    showAvailability();
  }

  async function connect(url, token, hint) {
    const problem = preflight(url);
    if (problem) {
      setState("disconnected", problem);
      return;
    }
    leaving = false;
    setState("connecting");
    note.textContent = "";
    const micProblem = microphoneProblem();
    if (micProblem) {
      note.textContent = micProblem;
    } else {
      try {
        microphone = await createLocalAudioTrack({ echoCancellation: true, noiseSuppression: true });
        meter = startMeter(microphone);
      } catch (error) {
        note.textContent = `no microphone (${error.message || error}); listening only`;
      }
    }
    let joined = false;
    room = new Room({ singlePeerConnection: false, adaptiveStream: true });
    room
      .on(RoomEvent.ConnectionStateChanged, (value) => {
        if (value !== ConnectionState.Disconnected) setState(value);
      })
      .on(RoomEvent.ParticipantConnected, showParticipants)
      .on(RoomEvent.ParticipantDisconnected, showParticipants)
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) {
          const audio = track.attach(); // the agent's voice
          audio.style.display = "none";
          el.appendChild(audio);
        }
      })
      .on(RoomEvent.Disconnected, (reason) => {
        if (leaving || !joined) return; // before connect() resolves, its rejection explains the failure
        const why = reason === undefined ? "" : `ended by the server (${DisconnectReason[reason] || reason})`;
        disconnect(why);
      });
    const joining = room;
    try {
      await joining.connect(url, token, { autoSubscribe: true, maxRetries: 0 });
      joined = true;
      if (microphone && room === joining) await joining.localParticipant.publishTrack(microphone);
      showParticipants();
    } catch (error) {
      if (leaving || room !== joining) return; // the user left while connecting: not an error
      await disconnect(describeError(error, url, hint));
    }
  }

  join.addEventListener("click", () => {
    setState("requesting");
    model.send({ type: "join" }); // the kernel answers with the call's current connection details
  });
  leave.addEventListener("click", () => disconnect("left"));
  mute.addEventListener("click", async () => {
    if (!room) return;
    const muted = !model.get("muted");
    await room.localParticipant.setMicrophoneEnabled(!muted);
    if (microphone) (muted ? microphone.mute() : microphone.unmute());
    mute.textContent = muted ? "Unmute" : "Mute";
    sync({ muted });
  });
  model.on("msg:custom", (message) => {
    if (message.type === "connect") connect(message.url, message.token, message.hint);
    else if (message.type === "leave") {
      closed = closed || Boolean(message.closing); // the widget's comm closes right after this message
      disconnect("left");
    }
    else if (message.type === "error") setState("disconnected", message.message);
  });
  model.on("change:available", showAvailability);
  model.on("change:unavailable_reason", showAvailability);

  setState("idle");
  showAvailability();
  model.send({ type: "rendered" }); // the kernel hides its "Join is unavailable here" note
  return () => {
    // The view is gone (cell cleared, widget closed, kernel stopped): never leave a call running unseen.
    leaving = true;
    closed = true;
    if (room) room.disconnect();
    room = null;
    release();
  };
}

// A read-only box for a secret the user asked to see (a LiveKit token): the kernel sends the text in a custom
// message, so it is shown but never part of the widget's synced, saved state.
function renderSecret({ model, el }) {
  const box = element("input", "convoi-secret widget-input");
  box.readOnly = true;
  box.style.width = "100%";
  box.style.display = "none";
  el.appendChild(box);
  model.on("msg:custom", (message) => {
    box.value = message.type === "show" ? message.text : "";
    box.style.display = message.type === "show" ? "" : "none";
  });
  model.send({ type: "rendered" }); // the kernel sends the text again if it is being shown
  return () => {
    box.value = "";
  };
}

export default {
  initialize() {
    return { join: renderJoin, secret: renderSecret };
  },
};
