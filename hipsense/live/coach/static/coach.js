// hipsense coach page: draws the recorder's messages (hipsense/live/coach/events.py),
// speaks rep counts, cues and "set complete" (speechSynthesis, offline) and chimes at
// the end of a hold (WebAudio). Each message is acknowledged once drawn, with what the
// page shows and what it asked to be spoken (the recorder measures the latency from it).
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const state = {
  quiet: false, voiceOn: false, spoken: [], chimes: 0, set: null,
  lastReps: 0, lastCues: 0, completeSaid: false, holdChimed: false,
  restFrom: null, prepUntil: null, calGood: [], audio: null, ws: null,
};

// ---- voice and chime -------------------------------------------------------------
function say(text) {
  if (state.quiet) return;
  state.spoken.push(text);
  if (state.spoken.length > 200) state.spoken.shift();
  document.body.dataset.spoken = state.spoken.join("|");
  if (!("speechSynthesis" in window)) return;
  const u = new SpeechSynthesisUtterance(text);
  u.rate = 1.0;
  u.lang = "en";
  window.speechSynthesis.speak(u);
}

function chime() {
  if (state.quiet) return;
  state.chimes += 1;
  document.body.dataset.chimes = String(state.chimes);
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!state.audio) state.audio = new Ctx();
  const ctx = state.audio, t = ctx.currentTime;
  for (const [freq, delay] of [[880, 0], [1318.5, 0.12]]) {
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + delay);
    gain.gain.exponentialRampToValueAtTime(0.4, t + delay + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + delay + 0.8);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t + delay);
    osc.stop(t + delay + 0.85);
  }
}

// browsers speak and play sound only after a tap on the page
$("voice").addEventListener("click", () => {
  state.voiceOn = true;
  $("voice").hidden = true;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (Ctx && !state.audio) state.audio = new Ctx();
  if (state.audio) state.audio.resume();
  if ("speechSynthesis" in window) window.speechSynthesis.speak(new SpeechSynthesisUtterance("Voice on"));
});

// ---- drawing ----------------------------------------------------------------------
function show(screen) {
  document.body.dataset.screen = screen;
  $("end-set").hidden = !(screen === "set" || screen === "calibration");
}

// the runner on the floor ends the set (or the calibration) from the page
$("end-set").addEventListener("click", () => {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: "command", what: "end_set" }));
  }
});
function fmt(v, digits = 1) { return v === null || v === undefined ? "-" : (v > 0 ? "+" : "") + v.toFixed(digits); }
function clock(s) { s = Math.max(0, Math.floor(s)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; }

function repDots(box, values, status) {
  box.textContent = "";
  values.forEach((v, i) => {
    const d = document.createElement("span");
    d.className = `rep ${status[i] || "none"}`;
    d.textContent = String(i + 1);
    d.title = v === null ? "not measured" : `${fmt(v)} deg`;
    box.appendChild(d);
  });
}

const SVG = "http://www.w3.org/2000/svg";
function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawGauge(set, value) {
  const g = $("gauge");
  g.textContent = "";
  const span = set.gauge_span_deg, x = (v) => 500 + Math.max(-1, Math.min(1, v / span)) * 480;
  g.appendChild(el("rect", { x: 20, y: 50, width: 960, height: 50, fill: "#2a2a2a" }));
  const thr = set.threshold_deg;
  if (thr) {
    const near = set.near_deg;
    const zones = [[near, thr, "#f5a623"], [thr, span, "#ff4d4d"]];
    if (set.two_sided) zones.push([-thr, -near, "#f5a623"], [-span, -thr, "#ff4d4d"]);
    for (const [a, b, c] of zones) {
      g.appendChild(el("rect", { x: x(Math.min(a, b)), y: 50, width: Math.abs(x(b) - x(a)), height: 50, fill: c, opacity: 0.55 }));
    }
    const lines = set.two_sided ? [thr, -thr] : [thr];
    for (const t of lines) {
      g.appendChild(el("line", { x1: x(t), x2: x(t), y1: 40, y2: 110, stroke: "#ff4d4d", "stroke-width": 6 }));
      g.appendChild(el("text", { x: x(t), y: 36, fill: "#ff8080", "font-size": 34, "text-anchor": "middle", "font-weight": 700 },
                       `${t > 0 ? "" : "-"}${Math.abs(t).toFixed(0)}° limit`));
    }
  }
  g.appendChild(el("line", { x1: 500, x2: 500, y1: 45, y2: 105, stroke: "#ddd", "stroke-width": 3 }));
  g.appendChild(el("text", { x: 500, y: 142, fill: "#aaa", "font-size": 30, "text-anchor": "middle" }, "level"));
  if (value !== null && value !== undefined) {
    const status = thr ? (Math.abs(set.two_sided ? value : Math.max(value, 0)) > thr ? "#ff4d4d"
                   : (Math.abs(set.two_sided ? value : Math.max(value, 0)) >= set.near_deg ? "#f5a623" : "#2ecc71")) : "#7fc8ff";
    g.appendChild(el("rect", { x: x(value) - 10, y: 30, width: 20, height: 90, fill: status, stroke: "#fff", "stroke-width": 3 }));
  }
}

function onSetBegin(m) {
  state.set = m;
  state.lastReps = 0; state.lastCues = 0; state.completeSaid = false; state.holdChimed = false;
  state.restFrom = null;
  $("title").textContent = m.title;
  $("count").textContent = m.kind === "reps" ? "0" : "0";
  $("target").textContent = m.kind === "reps" ? `/ ${m.target_reps[0]}-${m.target_reps[1]}` : `/ ${m.hold_target_s.toFixed(0)} s`;
  $("cue").textContent = "";
  $("hold").textContent = "";
  $("complete").hidden = true;
  repDots($("reps"), [], []);
  drawGauge(m, null);
  $("angle").textContent = "Be still a moment...";
  show("set");
}

function onLive(m) {
  const set = state.set;
  if (!set) return;
  const link = m.link || {};
  $("link").textContent = `${link.state || ""} · ${link.samples || 0} samples · ${link.lost_packets || 0} lost`;
  if (!m.ready) { $("angle").textContent = "Be still a moment..."; return; }
  if (set.kind === "reps") {
    $("count").textContent = String(m.reps);
    if (m.reps > state.lastReps) say(String(m.reps));
    state.lastReps = m.reps;
    repDots($("reps"), m.rep_angles_deg, m.rep_status);
    const aim = set.hold_target_s;
    if (aim > 0 && m.in_rep && m.hold_s > 0.2) {
      const left = aim - m.hold_s;
      $("hold").textContent = left > 0 ? `Hold ${left.toFixed(1)} s` : "Hold done";
      $("hold").classList.toggle("done", left <= 0);
      if (left <= 0 && !state.holdChimed) { state.holdChimed = true; chime(); }
    } else {
      $("hold").textContent = "";
      if (!m.in_rep) state.holdChimed = false;
    }
  } else {
    const held = m.hold_s || 0, aim = set.hold_target_s;
    $("count").textContent = held.toFixed(0);
    const left = aim - held;
    $("hold").textContent = held > 0.5 ? (left > 0 ? `${left.toFixed(0)} s to go` : "Hold done") : "Get into the stretch";
    $("hold").classList.toggle("done", left <= 0);
    if (held > 0.5 && left <= 0 && !state.holdChimed) { state.holdChimed = true; chime(); }
  }
  drawGauge(set, m.angle_deg);
  $("angle").textContent = `${set.metric_label} ${fmt(m.angle_deg)}°` + (set.threshold_deg ? `  (limit ${set.threshold_deg.toFixed(0)}°)` : "");
  if (m.cue && m.cues > state.lastCues) say(m.cue);
  state.lastCues = m.cues;
  $("cue").textContent = m.cue || "";
  if (m.complete && !state.completeSaid) { state.completeSaid = true; say("Set complete"); }
  $("complete").hidden = !m.complete;
}

function onSetEnd(m) {
  state.set = null;
  $("title").textContent = m.title;
  $("rest-title").textContent = m.title;
  let words;
  if (!m.saved) words = m.summary;
  else if (m.kind === "reps") words = `${m.reps} reps` + (m.target_reps ? ` of ${m.target_reps[0]}-${m.target_reps[1]}` : "");
  else words = `held ${m.hold_s === null ? 0 : m.hold_s.toFixed(0)} s of ${m.hold_target_s.toFixed(0)} s`;
  if (m.median_deg !== null && m.saved) {
    words += ` · ${m.metric_label} ${fmt(m.median_deg)}°`;
    if (m.other_side_deg !== null) words += ` (${m.other_side} ${fmt(m.other_side_deg)}°)`;
  }
  $("rest-summary").textContent = words;
  repDots($("rest-reps"), m.rep_angles_deg, m.rep_status);
  $("rest-cue").textContent = m.cue || "";
  $("rest-end").textContent = m.complete ? "Set complete" : "";
  if (m.complete && !state.completeSaid) say("Set complete");
  state.completeSaid = false;
  if (m.cue) say(m.cue);
  state.restFrom = performance.now();
  show("rest");
}

function onCalibration(m) {
  if (m.current === 0 && m.phases[0].state === "now") state.calGood = [];  // a new attempt
  $("title").textContent = "Calibration";
  const box = $("phases");
  box.textContent = "";
  m.phases.forEach((p, i) => {
    const li = document.createElement("li");
    li.className = p.state;
    const name = document.createElement("strong");
    name.textContent = `${i + 1}. ${p.name}`;
    const what = document.createElement("span");
    what.className = "phase-state";
    if (p.state === "good") what.textContent = "✓ Good";
    else if (p.state === "short") what.textContent = "short";
    else if (p.target !== null && p.target !== undefined) what.textContent = `${p.count} of ${p.target}`;
    else if (p.remaining_s !== null && p.remaining_s !== undefined) what.textContent = `${Math.ceil(p.remaining_s)} s`;
    li.append(name, what);
    box.appendChild(li);
    const wasGood = state.calGood[i];
    if (p.state === "good" && !wasGood) {
      const next = m.phases[i + 1];
      say(next ? `Good. Now: ${next.name.toLowerCase()}` : "Good. Calibration done");
    }
    state.calGood[i] = p.state === "good";
  });
  const now = m.phases[Math.min(m.current, m.phases.length - 1)];
  $("cal-note").textContent = m.done ? "All good: stay still a moment" : now.instruction;
  show("calibration");
}

function onPrepare(m) {
  state.calGood = [];
  $("title").textContent = m.title;
  $("prep-title").textContent = m.title;
  $("prep-side").textContent = m.side_words;
  const ol = $("prep-steps");
  ol.textContent = "";
  for (const s of m.steps) { const li = document.createElement("li"); li.textContent = s; ol.appendChild(li); }
  state.prepUntil = performance.now() + 1000 * (m.countdown_s || 0);
  $("prep-count").textContent = String(Math.ceil(m.countdown_s || 0));
  say(`${m.title}. ${m.steps[0] || ""}`);
  show("prepare");
}

function onRunLive(m) {
  $("title").textContent = m.title;
  $("run-cadence").textContent = m.cadence_spm === null ? "-" : m.cadence_spm.toFixed(0);
  for (const side of ["left", "right"]) {
    const d = m[side];
    $(`run-${side}`).className = `run-side ${d.status}`;
    $(`run-${side}-drop`).textContent = d.drop_deg === null ? "-" : `${d.drop_deg.toFixed(1)}°`;
  }
  $("run-note").textContent = `Hip drop, last ${m.steps} steps (limit ${m.threshold_deg.toFixed(0)}°)`;
  show("run");
}

function onSessionEnd(m) {
  $("title").textContent = "Session done";
  $("end-words").textContent = m.report ? `${m.sets} sets saved. The report: ${m.report}` : `${m.sets} sets saved in ${m.folder}`;
  $("end-report").hidden = !m.report;
  $("end-report").href = `report?token=${encodeURIComponent(token)}`;
  say("Session done");
  show("end");
}

function shown() {
  return {
    screen: document.body.dataset.screen,
    count: $("count").textContent,
    cue: $("cue").textContent || $("rest-cue").textContent,
    complete: !$("complete").hidden || $("rest-end").textContent === "Set complete",
    reps: [...document.querySelectorAll(document.body.dataset.screen === "rest" ? "#rest-reps .rep" : "#reps .rep")].map((d) => d.className.replace("rep ", "")),
    summary: $("rest-summary").textContent,
    chimes: state.chimes,
    run: {
      cadence: $("run-cadence").textContent,
      left: $("run-left-drop").textContent, right: $("run-right-drop").textContent,
      left_status: $("run-left").className.replace("run-side ", ""),
      right_status: $("run-right").className.replace("run-side ", ""),
      note: $("run-note").textContent,
    },
  };
}

function handle(m) {
  switch (m.type) {
    case "hello": state.quiet = !!m.quiet; $("voice").hidden = state.quiet || state.voiceOn; break;
    case "calibration": onCalibration(m); break;
    case "prepare": onPrepare(m); break;
    case "set_begin": onSetBegin(m); break;
    case "live": onLive(m); break;
    case "run_live": onRunLive(m); break;
    case "set_end": onSetEnd(m); break;
    case "session_end": onSessionEnd(m); break;
    case "message": $("message").textContent = m.text; break;
  }
  // acknowledged once drawn (after the next frame is painted), with what this
  // message left on the page
  const ack = JSON.stringify({ type: "ack", id: m.id, of: m.type, shown: shown(), spoken: state.spoken.slice(-20) });
  requestAnimationFrame(() => setTimeout(() => {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(ack);
  }, 0));
}

setInterval(() => {
  if (state.restFrom !== null && document.body.dataset.screen === "rest") {
    $("rest-timer").textContent = clock((performance.now() - state.restFrom) / 1000);
  }
  if (state.prepUntil !== null && document.body.dataset.screen === "prepare") {
    $("prep-count").textContent = String(Math.max(0, Math.ceil((state.prepUntil - performance.now()) / 1000)));
  }
}, 200);

function connect() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  state.ws = ws;
  ws.onopen = () => { $("link").textContent = "connected"; };
  ws.onmessage = (e) => handle(JSON.parse(e.data));
  ws.onclose = () => { $("link").textContent = "recorder gone: reconnecting..."; setTimeout(connect, 1000); };
}
connect();
