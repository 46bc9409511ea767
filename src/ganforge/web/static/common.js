// Shared by the explorer and the dashboard: API calls, the run selector, small helpers.
// No libraries, no build step: plain ES2020 served as is.
"use strict";

const GF = {};

// An error from the API, carrying its HTTP status and the server's message.
GF.ApiError = class extends Error {
  constructor(status, message) { super(message); this.status = status; }
};

// fetch + JSON errors turned into GF.ApiError; `as` is "json", "blob" or "none".
GF.api = async function (path, { method = "GET", body = null, form = null, signal = null, as = "json" } = {}) {
  const opts = { method, signal, headers: {} };
  if (body !== null) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  if (form !== null) { opts.body = form; }
  const res = await fetch(path, opts);
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new GF.ApiError(res.status, msg);
  }
  if (as === "blob") return res.blob();
  if (as === "none") return null;
  return res.json();
};

GF.el = function (tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

GF.$ = (sel, root = document) => root.querySelector(sel);

// A status line under the header: errors in red, info in grey; cleared by GF.say("").
GF.say = function (msg, kind = "info") {
  const box = GF.$("#status");
  if (!box) return;
  box.textContent = msg;
  box.className = msg ? "status " + kind : "status";
};

GF.params = () => new URLSearchParams(location.search);

// Fill the run <select>, pick ?run= or the first run, and call onChange(run) now and on change.
GF.setupRuns = async function (onChange, filter = null) {
  const sel = GF.$("#run");
  const { runs } = await GF.api("/api/runs");
  const shown = filter ? runs.filter(filter) : runs;
  sel.replaceChildren(...shown.map(r => GF.el("option", { value: r.id, text: `${r.name}${r.family ? " · " + r.family : ""}${r.dataset ? " · " + r.dataset : ""}` })));
  const wanted = GF.params().get("run");
  if (wanted && shown.some(r => r.id === wanted)) sel.value = wanted;
  // links between pages keep the chosen run
  const sync = () => {
    for (const a of document.querySelectorAll("nav a")) a.href = a.pathname + "?run=" + encodeURIComponent(sel.value);
    history.replaceState(null, "", location.pathname + "?run=" + encodeURIComponent(sel.value));
  };
  sel.addEventListener("change", () => { sync(); onChange(shown.find(r => r.id === sel.value)); });
  if (!shown.length) { GF.say("no runs are served", "error"); return; }
  sync();
  onChange(shown.find(r => r.id === sel.value));
};

GF.fmt = function (v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return (Math.round(v * 1000) / 1000).toString();
};

// A .npy file (format 1.0, little-endian float32) holding `rows` (array of equal-length arrays).
GF.npyBlob = function (rows) {
  const n = rows.length, d = rows[0].length;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const pre = 10;  // magic (6) + version (2) + header length (2)
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header + " ".repeat(total - pre - header.length - 1) + "\n";
  const buf = new ArrayBuffer(total + 4 * n * d);
  const u8 = new Uint8Array(buf);
  u8.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(buf).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) u8[pre + i] = header.charCodeAt(i);
  const f32 = new Float32Array(buf, total);
  rows.forEach((r, i) => f32.set(r, i * d));
  return new Blob([buf], { type: "application/octet-stream" });
};

GF.download = function (blobOrUrl, filename) {
  const url = typeof blobOrUrl === "string" ? blobOrUrl : URL.createObjectURL(blobOrUrl);
  const a = GF.el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  if (typeof blobOrUrl !== "string") setTimeout(() => URL.revokeObjectURL(url), 10000);
};
