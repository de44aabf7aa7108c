// activelearn labeling page. No framework, no build step, no CDN.
// User data is only ever written with textContent and SVG attributes, never parsed as HTML.
// Every answer is queued in localStorage before it is sent and removed once the
// server has it, so closing the tab never loses work: the queue is replayed on load.
// An answer the server refuses is listed, with its item, until the person dismisses it.
"use strict";

const TOKEN_KEY = "activelearn.token";
const QUEUE_KEY = "activelearn.queue";
const REFUSED_KEY = "activelearn.refused";
const SNIPPET = 80;  // characters of an item's text that name it in messages
const $ = (id) => document.getElementById(id);
// Reviews mark line breaks as "<br />": show them as breaks (the text box keeps
// newlines), and everything else, markup included, as the plain text it is.
const readable = (text) => text.replace(/<br\s*\/?>/gi, "\n");

const state = { token: null, classes: [], item: null, busy: false };

// -- server calls ------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${state.token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.headers.get("content-type")?.includes("json")
    ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(describe(data) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function describe(data) {
  if (!data) return "";
  if (typeof data.detail === "string") return data.detail;
  if (Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join("; ");
  return "";
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// -- the outbox: answers survive a closed tab ------------------------------------------------

function readQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch { return []; }
}
function writeQueue(queue) { localStorage.setItem(QUEUE_KEY, JSON.stringify(queue)); }

// `what` ("your label “pos”") and `item` (its id and a snippet) say what a refusal concerns.
async function send(path, body, what, item) {
  writeQueue([...readQueue(), { path, body, what, item: { id: item.id, snippet: snippet(item) } }]);
  await flush();
}

// Send queued answers oldest first. A 4xx answer is final (the server refused it and wrote
// nothing): it leaves the queue for the list of refusals, which stays on screen until
// dismissed. A network error keeps the answer queued for the next try.
async function flush() {
  for (const entry of readQueue()) {
    try {
      await api("POST", entry.path, entry.body);
    } catch (error) {
      if (!error.status || error.status >= 500) throw error;
      refuse(entry, error.message);
    }
    writeQueue(readQueue().filter((e) => e.body.submission_id !== entry.body.submission_id));
  }
}

// -- refusals: kept (across reloads too) until the person has seen and dismissed them ------------

function readRefused() {
  try { return JSON.parse(localStorage.getItem(REFUSED_KEY) || "[]"); } catch { return []; }
}
function writeRefused(list) {
  localStorage.setItem(REFUSED_KEY, JSON.stringify(list));
  renderRefused();
}

function refuse(entry, reason) {
  const item = entry.item || { id: entry.body.item_id, snippet: "" };
  writeRefused([...readRefused(), {
    key: entry.body.submission_id, what: entry.what || "your answer", item, reason,
  }]);
}

function dismiss(key) {
  writeRefused(key === undefined ? [] : readRefused().filter((r) => r.key !== key));
  show("");
}

function renderRefused() {
  const list = readRefused();
  $("refused").hidden = list.length === 0;
  $("refused-list").replaceChildren(...list.map((r) => {
    const li = document.createElement("li");
    li.dataset.itemId = r.item.id;
    const text = document.createElement("span");
    text.textContent = `Not saved: ${r.what} for item ${r.item.id}` +
      (r.item.snippet ? ` (“${r.item.snippet}”)` : "") + ` was refused: ${r.reason}`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Dismiss";
    button.addEventListener("click", () => dismiss(r.key));
    li.append(text, " ", button);
    return li;
  }));
}

// -- rendering ---------------------------------------------------------------------------------

function show(message) { $("message").textContent = message; }

function snippet(item) {
  if (!item.text) return item.has_image ? "an image" : "";
  const text = readable(item.text).replace(/\s+/g, " ").trim();
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET - 1)}…` : text;
}

function named(item) {
  const words = snippet(item);
  return words ? `item ${item.id} (“${words}”)` : `item ${item.id}`;
}

async function render(item, reason) {
  state.item = item;
  const card = $("card");
  card.dataset.itemId = item ? item.id : "";
  $("item-text").textContent = item && item.text !== null ? readable(item.text) : "";
  $("empty").hidden = Boolean(item);
  $("empty").textContent = item ? "" : `Nothing to label: ${reason || "queue empty"}.`;
  const p = item && item.prediction;
  $("prediction").textContent = p
    ? `Model v${p.version} says: ${p.label} (${Math.round(p.confidence * 100)}%)` : "";
  const image = $("item-image");
  if (image.src) URL.revokeObjectURL(image.src);
  image.hidden = true;
  image.removeAttribute("src");
  if (item && item.has_image) {
    const response = await fetch(`/api/image?item=${encodeURIComponent(item.id)}`,
      { headers: { Authorization: `Bearer ${state.token}` } });
    if (response.ok) {
      image.src = URL.createObjectURL(await response.blob());
      image.hidden = false;
    }
  }
}

async function refreshProgress() {
  const p = await api("GET", "/api/progress");
  $("progress").textContent =
    `${p.labeled} / ${p.budget ?? "∞"} labeled · you: ${p.mine} · held-out: ${p.heldout_labeled}`;
}

async function refreshModel() {
  const m = await api("GET", "/api/model");
  const status = $("model-status");
  const version = m.version ? ` v${m.version}` : "";
  let text = `model: ${m.state}${version}`;
  if (m.state === "training") text += ` (training v${m.training_version})`;
  if (m.metrics && m.metrics.accuracy !== undefined) {
    text += ` · held-out accuracy ${(m.metrics.accuracy * 100).toFixed(1)}%`;
    // With more than two classes FP and FN are both the number of errors.
    text += state.classes.length === 2 ? ` · FP ${m.metrics.fp} · FN ${m.metrics.fn}`
      : ` · ${m.metrics.fp} errors`;
  }
  if (m.metrics && m.metrics.n_pseudo !== undefined) {
    text += ` · ${m.metrics.n_pseudo} pseudo-labels` +
      (m.metrics.pseudo_accepted === false ? " (refit not kept)" : "");
  }
  if (m.error) text += ` · last training failed: ${m.error}`;
  // The store's count of what the first model waits for says more than the trainer's note.
  if (m.first_model) text += ` · ${m.first_model}`;
  else if (m.waiting) text += ` · ${m.waiting}`;
  status.textContent = text;
  status.className = m.state;
  renderErrors((m.metrics && m.metrics.errors) || []);
  renderCurve(await api("GET", "/api/curve"));
}

function renderErrors(errors) {
  const list = $("errors");
  list.replaceChildren(...errors.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${e.kind}: said ${e.predicted}, is ${e.label} — ${readable(e.text)}`;
    return li;
  }));
}

function svg(name, attributes) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function renderCurve(points) {
  const chart = $("curve");
  const W = 320, H = 160, pad = 28;
  const xs = points.map((p) => p.n_train), ys = points.map((p) => p.accuracy);
  const xMax = Math.max(1, ...xs);
  const x = (v) => pad + (v / xMax) * (W - 2 * pad);
  const y = (v) => H - pad - v * (H - 2 * pad);
  const nodes = [
    svg("line", { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: "#999" }),
    svg("line", { x1: pad, y1: pad, x2: pad, y2: H - pad, stroke: "#999" }),
    Object.assign(svg("text", { x: pad, y: H - 8 }), { textContent: "labels" }),
    Object.assign(svg("text", { x: 2, y: pad - 6 }), { textContent: "accuracy" }),
    Object.assign(svg("text", { x: W - pad - 20, y: H - 8 }), { textContent: String(xMax) }),
    Object.assign(svg("text", { x: 8, y: y(1) + 4 }), { textContent: "1.0" }),
    Object.assign(svg("text", { x: 8, y: y(0) + 4 }), { textContent: "0.0" }),
  ];
  if (points.length) {
    nodes.push(svg("polyline", {
      points: points.map((p) => `${x(p.n_train)},${y(p.accuracy)}`).join(" "),
    }));
    for (const p of points) nodes.push(svg("circle", { cx: x(p.n_train), cy: y(p.accuracy), r: 3 }));
  }
  chart.replaceChildren(...nodes);
}

// -- actions -------------------------------------------------------------------------------------

async function next() {
  const answer = await api("POST", "/api/next");
  await render(answer.item, answer.reason);
}

// `extra` is the label for "label" and the note for "flag".
async function act(kind, extra) {
  const item = state.item;
  if (kind !== "undo" && !item) return;
  const body = { submission_id: newId(), item_id: item && item.id };
  if (kind === "label") {
    body.label = extra;
    body.model_version = item.prediction ? item.prediction.version : null;
  }
  if (kind === "flag" && extra) body.note = extra;
  if (kind === "undo") {
    await flush();
    const result = await api("POST", "/api/undo");
    show(`undone: ${result.undone.kind} ${result.undone.label ?? ""} on ${result.undone.id}`);
    if (result.item) await render(result.item, ""); else await next();
  } else {
    const path = { label: "/api/labels", skip: "/api/skip", flag: "/api/flag" }[kind];
    const what = kind === "label" ? `your label “${extra}”` : `your ${kind}`;
    await send(path, body, what, item);
    const refused = readRefused().some((r) => r.key === body.submission_id);
    if (refused || kind === "label") show("");
    else if (kind === "skip") show(`Skipped ${named(item)}: it comes back after the rest.`);
    else show(`Flagged ${named(item)}${extra ? ` (note: “${extra}”)` : ""}: it leaves the queue.`);
    await next();
  }
  // Not awaited: the next item is on screen and takes keys while the counts update.
  refreshProgress().catch((error) => show(error.message));
}

// One action at a time: keys pressed while one runs are ignored, so a key never lands on
// an item the annotator has not seen yet.
async function guarded(kind, extra) {
  if (state.busy || waitForDismissal()) return;
  state.busy = true;
  try {
    await act(kind, extra);
  } catch (error) {
    show(error.status ? error.message : `offline? ${error.message} (your answer is kept)`);
  } finally {
    state.busy = false;
  }
}

function onKey(event) {
  if (event.target.tagName === "INPUT" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape" && readRefused().length) {
    dismiss();
    event.preventDefault();
    return;
  }
  const index = "123456789".indexOf(event.key);
  const isLabel = index >= 0 && index < state.classes.length;
  if (!isLabel && !["s", "f", "u"].includes(event.key)) return;
  event.preventDefault();
  if (isLabel) guarded("label", state.classes[index]);
  else if (event.key === "s") guarded("skip");
  else if (event.key === "f") askNote();
  else guarded("undo");
}

// A refusal on screen must be seen before the next answer: answers wait until it is dismissed.
function waitForDismissal() {
  if (!readRefused().length) return false;
  show("An answer was not saved (see above): dismiss it first (Esc).");
  return true;
}

// Flag: a note says what is wrong (optional); Enter flags, Esc goes back to the item.
function askNote() {
  if (!state.item || state.busy || waitForDismissal()) return;
  const form = $("flag-form");
  form.hidden = false;
  $("flag-item").textContent = named(state.item);
  $("flag-note").value = "";
  $("flag-note").focus();
}

function closeNote() {
  $("flag-form").hidden = true;
  $("flag-note").blur();
}

function renderKeys() {
  $("keys").replaceChildren(...state.classes.map((name, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${i + 1} · ${name}`;
    button.addEventListener("click", () => guarded("label", name));
    return button;
  }));
}

// -- start -----------------------------------------------------------------------------------------

async function start() {
  let project;
  try {
    project = await api("GET", "/api/project");
  } catch (error) {
    if (error.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      return askToken("That token was not accepted.");
    }
    throw error;
  }
  state.classes = project.classes.slice(0, 9);
  $("project").textContent = `${project.name} · ${project.annotator}`;
  $("login").hidden = true;
  $("work").hidden = false;
  $("side").hidden = false;
  renderKeys();
  renderRefused();
  document.addEventListener("keydown", onKey);
  $("flag-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const note = $("flag-note").value.trim();
    closeNote();
    guarded("flag", note || null);
  });
  $("flag-note").addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); closeNote(); }
  });
  $("flag-cancel").addEventListener("click", closeNote);
  $("skip").addEventListener("click", () => guarded("skip"));
  $("flag").addEventListener("click", askNote);
  $("undo").addEventListener("click", () => guarded("undo"));
  // The timers first: a network blip in the steps below must not leave saved answers unsent.
  const modelUnavailable = (e) => {
    $("model-status").textContent = `model: status unavailable (${e.message})`;
  };
  setInterval(() => refreshModel().catch(modelUnavailable), 3000);
  setInterval(() => flush().catch(() => {}), 5000);
  try { await flush(); } catch (error) { show(`could not resend saved answers yet: ${error.message}`); }
  await next();
  // Both are refreshed again later; a failure here must not cover a message about an answer.
  await refreshProgress().catch(() => {});
  await refreshModel().catch(modelUnavailable);
  if (project.admin) await startAdmin();
}

function askToken(message) {
  $("login").hidden = false;
  $("login-message").textContent = message || "";
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token-input").value.trim();
    localStorage.setItem(TOKEN_KEY, state.token);
    start().catch((e) => show(e.message));
  }, { once: true });
}

// A link like http://127.0.0.1:8000/#token=... logs in; the fragment never reaches the server.
const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromLink) {
  localStorage.setItem(TOKEN_KEY, fromLink);
  history.replaceState(null, "", location.pathname);
}
state.token = localStorage.getItem(TOKEN_KEY);
if (state.token) start().catch((e) => show(e.message)); else askToken();
