// The Join widget's front end (anywidget ESM): joins a call's LiveKit room from the notebook's browser tab.
//
// The token never enters the widget's synced state: the kernel sends it in a custom message only after the user
// presses Join, it is handed to livekit-client and dropped; nothing here logs it. State the kernel should see
// (connection state, error, participants, muted) is synced back as traits.
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

function render({ model, el }) {
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

  function setState(value, error = "") {
    state.textContent = value + (error ? `: ${error}` : "");
    state.dataset.state = value;
    model.set("state", value);
    model.set("error", error);
    model.save_changes();
    const live = value !== "idle" && value !== "disconnected" && value !== "requesting";
    join.disabled = live || value === "requesting" || !model.get("available");
    mute.style.display = leave.style.display = level.style.display = live ? "" : "none";
  }

  function showParticipants() {
    const names = room ? [room.localParticipant, ...room.remoteParticipants.values()].map((p) => p.identity) : [];
    people.textContent = names.length ? `in the room: ${names.join(", ")}` : "";
    model.set("participants", names);
    model.save_changes();
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
    model.set("muted", muted);
    model.save_changes();
  });
  model.on("msg:custom", (message) => {
    if (message.type === "connect") connect(message.url, message.token, message.hint);
    else if (message.type === "leave") disconnect("left");
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
    if (room) room.disconnect();
    room = null;
    release();
  };
}

export default { render };
