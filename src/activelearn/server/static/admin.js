// The admin view: exports, "train now", people, the learning curve by version, per-class F1,
// the queue's head with why each item is there, agreement, and the conflicts to settle.
// Loaded before app.js and called from it once the token turns out to be an admin's; it
// uses app.js's helpers ($, api, svg, readable). User data only ever goes in textContent.
"use strict";

async function startAdmin() {
  $("admin").hidden = false;
  $("train-now").addEventListener("click", () => adminAct(async () => {
    await api("POST", "/api/model/train");
    return "training requested: the new version appears below when it is ready";
  }));
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => adminAct(() => download(button.dataset.export)));
  }
  await refreshAdmin();
  setInterval(() => refreshAdmin().catch((e) => {
    $("admin-message").textContent = `admin view unavailable (${e.message})`;
  }), 4000);
}

async function adminAct(action) {
  try {
    $("admin-message").textContent = await action();
    await refreshAdmin();
  } catch (error) {
    $("admin-message").textContent = error.message;
  }
}

// The token goes in a header, never in an address: fetch the file, hand the browser a blob.
async function download(format) {
  const response = await fetch(`/api/export?format=${encodeURIComponent(format)}`,
    { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) throw new Error(`export failed: HTTP ${response.status}`);
  const name = (response.headers.get("content-disposition") || "").match(/filename="([^"]+)"/);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name ? name[1] : `labels.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return `downloaded ${link.download}`;
}

async function refreshAdmin() {
  const o = await api("GET", "/api/admin/overview");
  const s = o.state;
  $("admin-model").textContent = `${o.model} · model ${s.state}` +
    (s.version ? ` v${s.version}` : "") +
    (s.training_version ? ` (training v${s.training_version})` : "") +
    (o.first_model ? ` · ${o.first_model}` : "");
  fillTable($("annotators"), ["annotator", "labels", "held-out", "skips", "flags", "undone"],
    o.annotators.map((a) => [a.name + (a.admin ? " (admin)" : ""), a.labels, a.heldout,
      a.skips, a.flags, a.undone]));
  const ready = o.versions.filter((v) => v.state === "ready");
  renderVersionCurve(ready);
  const last = ready[ready.length - 1];
  $("class-version").textContent = last ? `(v${last.version})` : "(no model yet)";
  // A class with no held-out item has no F1 (macro-F1 leaves it out): say so, not "0.000".
  const missing = new Set(last ? last.heldout_missing || [] : []);
  const never = new Set(last ? last.never_predicted || [] : []);
  fillTable($("class-metrics"), ["class", "F1"],
    last ? Object.entries(last.class_f1 || {}).map(([c, f]) => [c,
      missing.has(c) ? "no held-out item: label more" :
        f.toFixed(3) + (never.has(c) ? " (never predicted)" : "")]) : []);
  renderAgreement(o.agreement);
  renderConflicts(o.conflicts, o.classes);
  fillTable($("queue-preview"), ["#", "item", "why"], o.queue.map((q) => [
    `${q.split === "heldout" ? "h" : ""}${q.position}`,
    q.text ? `${q.id}: ${readable(q.text)}` : q.id, q.why]));
}

function fillTable(table, headers, rows) {
  const head = document.createElement("tr");
  for (const h of headers) head.append(Object.assign(document.createElement("th"),
    { textContent: h }));
  table.replaceChildren(head, ...rows.map((row) => {
    const tr = document.createElement("tr");
    for (const cell of row) tr.append(Object.assign(document.createElement("td"),
      { textContent: String(cell) }));
    return tr;
  }));
}

// Macro-F1 (solid) and accuracy (dashed) against the training labels each version used.
function renderVersionCurve(points) {
  const chart = $("admin-curve");
  const W = 480, H = 220, left = 36, right = 16, top = 16, bottom = 28;
  const xMax = Math.max(1, ...points.map((p) => p.n_train));
  const x = (v) => left + (v / xMax) * (W - left - right);
  const y = (v) => H - bottom - v * (H - top - bottom);
  const text = (attrs, value) => Object.assign(svg("text", attrs), { textContent: value });
  const nodes = [
    svg("line", { x1: left, y1: y(0), x2: W - right, y2: y(0), stroke: "#999" }),
    svg("line", { x1: left, y1: y(0), x2: left, y2: y(1), stroke: "#999" }),
    text({ x: 4, y: y(1) + 4 }, "1.0"), text({ x: 4, y: y(0.5) + 4 }, "0.5"),
    text({ x: 4, y: y(0) + 4 }, "0.0"), text({ x: left, y: H - 6 }, "0"),
    text({ x: W - right - 30, y: H - 6 }, String(xMax)),
  ];
  for (const [key, cls] of [["accuracy", "acc"], ["macro_f1", "f1"]]) {
    const shown = points.filter((p) => typeof p[key] === "number");
    if (shown.length) {
      nodes.push(svg("polyline", {
        class: cls, points: shown.map((p) => `${x(p.n_train)},${y(p[key])}`).join(" "),
      }));
    }
  }
  for (const p of points) {
    if (typeof p.macro_f1 !== "number") continue;
    nodes.push(svg("circle", { cx: x(p.n_train), cy: y(p.macro_f1), r: 3 }));
    nodes.push(text({ x: x(p.n_train) - 6, y: y(p.macro_f1) - 6, class: "version" },
      `v${p.version}`));
  }
  chart.replaceChildren(...nodes);
}

const num = (v, digits = 2) => (typeof v === "number" ? v.toFixed(digits) : "–");

function renderAgreement(a) {
  $("agreement-summary").textContent = a.items
    ? `${a.items} items answered twice by ${a.annotators} annotators: ` +
      `${num(a.agreement * 100, 0)}% agree · Cohen's kappa ${num(a.kappa)} · ` +
      `Krippendorff's alpha ${num(a.alpha)}`
    : "no item has two answers yet (set --overlap to serve a share of items twice)";
  fillTable($("agreement-pairs"), ["annotators", "items", "agree", "kappa"],
    a.pairs.map((p) => [p.annotators.join(" + "), p.items, `${num(p.agreement * 100, 0)}%`,
      num(p.kappa)]));
  fillTable($("agreement-classes"), ["class", "items", "kappa"],
    a.items ? Object.entries(a.classes).map(([c, v]) => [c, v.items, num(v.kappa)]) : []);
}

// One button per class settles a conflict: an admin's correction, which is what trains.
function renderConflicts(conflicts, classes) {
  $("conflicts").replaceChildren(...conflicts.map((c) => {
    const li = document.createElement("li");
    li.dataset.itemId = c.id;
    const said = c.answers.map((a) => `${a.annotator}: ${a.label}`).join(", ");
    const words = c.text ? ` (“${readable(c.text).slice(0, 120)}”)` : "";
    li.append(`${c.id}${words} — ${said} — settle as `);
    for (const label of classes) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", () => adminAct(async () => {
        await api("POST", "/api/corrections", {
          submission_id: newId(), item_id: c.id, label, note: `settled conflict (${said})`,
        });
        return `settled ${c.id} as ${label}`;
      }));
      li.append(button, " ");
    }
    return li;
  }));
  if (!conflicts.length) $("conflicts").append(Object.assign(document.createElement("li"),
    { textContent: "none" }));
}
