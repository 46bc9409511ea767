// The explorer: sample grid, latent sliders with live re-rendering, class and truncation
// controls, interpolation, code traversal, and the upload form of image-to-image runs.
"use strict";

const S = {
  run: null,        // summary from /api/runs
  model: null,      // info.model from /api/runs/{id}
  cells: [],        // grid cells: {seed, label, z}
  sel: null,        // selected sample: {seed, label, zBase, edits: {dim: value}}
  renderSeq: 0,     // increases with every render request; stale replies are dropped
  inflight: null,   // AbortController of the render request in flight
  pending: false,   // a newer slider state waits to be rendered
  bigUrl: null,     // object URL of the big image (revoked when replaced)
  gridSeq: 0,
  sideSeq: 0,
};

const rid = () => encodeURIComponent(S.run.id);

// Samples that are not images (audio, text, charts) come as tiles: image, audio, caption.
const tilesMode = () => S.model && S.model.media === "tiles";

function tileParts(t) {
  const parts = [];
  if (t.image) parts.push(GF.el("img", { src: t.image, alt: t.caption || "sample" }));
  if (t.audio) parts.push(GF.el("audio", { src: t.audio, controls: "", preload: "auto" }));
  if (t.caption !== null && t.caption !== undefined) parts.push(GF.el("figcaption", { text: t.caption }));
  return parts;
}

function classValue() {
  const v = GF.$("#class").value;
  return S.model && S.model.num_classes && v !== "" ? parseInt(v, 10) : null;
}

// The truncation to send: null when off or unsupported.
function truncValue() {
  const t = S.model && S.model.truncation;
  if (!t) return null;
  const v = parseFloat(GF.$("#trunc").value);
  if (t.where === "sample_latent") return GF.$("#trunc-on").checked ? v : null;
  return t.off !== null && Math.abs(v - t.off) < 1e-9 ? null : v;
}

function currentZ() {
  const z = S.sel.zBase.slice();
  for (const [d, v] of Object.entries(S.sel.edits)) z[+d] = v;
  return z;
}

function selLabel() {
  const c = classValue();
  return c !== null ? c : S.sel ? S.sel.label : null;
}

// ---------------------------------------------------------------------------------------------
// run loading
async function loadRun(run) {
  S.run = run; S.sel = null; S.cells = [];
  for (const id of ["#explorer", "#translator", "#nothing"]) GF.$(id).hidden = true;
  GF.say("loading " + run.name + " …");
  let info;
  try { info = await GF.api(`/api/runs/${rid()}`); } catch (e) { return GF.say(e.message, "error"); }
  S.model = info.model;
  S.limits = info.limits;
  if (!S.model || S.model.mode === "none") {
    GF.$("#nothing").hidden = false;
    GF.$("#nothing-msg").textContent = info.model_error || (S.model && S.model.reason) || "nothing to explore";
    return GF.say("");
  }
  GF.say("");
  if (S.model.mode === "translate") return setupTranslator();
  setupExplorer();
  await loadGrid();
}

function setupExplorer() {
  const m = S.model;
  GF.$("#explorer").hidden = false;
  GF.$("#big").hidden = tilesMode();
  GF.$("#big-tile").hidden = !tilesMode();
  GF.$("#download").textContent = tilesMode() ? "Download sample" : "Download PNG";
  // classes
  GF.$("#class-row").hidden = !m.num_classes;
  GF.$("#class").replaceChildren(
    GF.el("option", { value: "", text: "each class in turn" }),
    ...m.class_names.map((n, i) => GF.el("option", { value: String(i), text: `${i}: ${n}` })));
  // truncation
  const t = m.truncation;
  GF.$("#trunc-row").hidden = !t;
  if (t) {
    const r = GF.$("#trunc");
    r.min = t.low; r.max = t.high; r.step = (t.high - t.low) / 100;
    r.value = t.where === "forward" && t.off !== null ? t.off : t.default;
    GF.$("#trunc-on-label").hidden = t.where !== "sample_latent";
    GF.$("#trunc-on").checked = false;
    r.title = t.where === "forward" ? "psi: 1 = no truncation, 0 = the average image" : "threshold of the truncated normal";
    GF.$("#trunc-val").textContent = GF.fmt(parseFloat(r.value));
  }
  // sliders: how many latent dimensions
  const k = GF.$("#k");
  k.max = Math.min(64, m.z_dim);
  k.value = Math.min(parseInt(k.value, 10) || 12, m.z_dim);
  GF.$("#z-dim").textContent = `(z_dim ${m.z_dim})`;
  // codes
  GF.$("#codes-panel").hidden = !m.codes.length;
  GF.$("#code").replaceChildren(...m.codes.map(c => GF.el("option", { value: c.name, text: `${c.name} (${c.kind}${c.kind === "categorical" ? ", " + c.size : ""})` })));
  GF.$("#run-note").textContent = `run from the folder that holds the run folder “${S.run.name}”`;
}

// ---------------------------------------------------------------------------------------------
// grid
async function loadGrid({ keepSelection = false } = {}) {
  const seq = ++S.gridSeq;
  const body = { seed: parseInt(GF.$("#seed").value, 10) || 0, n: parseInt(GF.$("#grid-n").value, 10),
                 label: classValue(), truncation: truncValue() };
  let res;
  try { res = await GF.api(`/api/runs/${rid()}/grid`, { method: "POST", body }); }
  catch (e) { return GF.say(e.message, "error"); }
  if (seq !== S.gridSeq) return;
  GF.say("");
  S.cells = res.seeds.map((s, i) => ({ seed: s, label: res.labels ? res.labels[i] : null, z: res.latents[i] }));
  const grid = GF.$("#grid");
  grid.style.setProperty("--cols", Math.ceil(Math.sqrt(res.seeds.length)));
  grid.replaceChildren(...res.tiles.map((t, i) => {
    const title = `seed ${res.seeds[i]}` + (res.labels ? `, class ${res.labels[i]}` : "");
    if (!tilesMode()) return GF.el("img", { src: t.image, class: "pix cell", alt: `seed ${res.seeds[i]}`, title,
      "data-seed": res.seeds[i], onclick: () => select(i) });
    return GF.el("figure", { class: "tile cell", title, "data-seed": res.seeds[i], onclick: () => select(i) }, ...tileParts(t));
  }));
  const old = S.sel;
  const again = old && keepSelection ? S.cells.findIndex(c => c.seed === old.seed) : -1;
  if (again >= 0) {
    S.sel = { ...old, label: S.cells[again].label, zBase: S.cells[again].z };
    if (classValue() !== null) S.sel.label = classValue();
    markSelected();
    buildSliders();
    scheduleRender(true);
    refreshSide();
  } else if (keepSelection && old) {
    // the selected seed is not in this grid: its latent is drawn again with the new truncation
    await reseedSelection();
  } else {
    select(0);
  }
}

async function reseedSelection() {
  try {
    const r = await GF.api(`/api/runs/${rid()}/latent`, { method: "POST", body: { seed: S.sel.seed, truncation: truncValue() } });
    S.sel.zBase = r.z;
  } catch (e) { return GF.say(e.message, "error"); }
  buildSliders(); scheduleRender(true); refreshSide();
}

function markSelected() {
  for (const img of GF.$("#grid").children) img.classList.toggle("on", S.sel && +img.dataset.seed === S.sel.seed);
}

function select(i) {
  const c = S.cells[i];
  if (!c) return;
  S.sel = { seed: c.seed, label: classValue() !== null ? classValue() : c.label, zBase: c.z.slice(), edits: {} };
  GF.$("#interp-seed").value = c.seed + 1 <= 2147483583 ? c.seed + 1 : 0;
  markSelected();
  buildSliders();
  scheduleRender(true);
  refreshSide();
}

// ---------------------------------------------------------------------------------------------
// sliders and the live image
function buildSliders() {
  const k = Math.max(1, Math.min(parseInt(GF.$("#k").value, 10) || 1, S.model.z_dim, 64));
  const z = currentZ();
  const rows = [];
  for (let d = 0; d < k; d++) {
    const out = GF.el("output", { text: z[d].toFixed(2) });
    const input = GF.el("input", { type: "range", min: -3, max: 3, step: 0.01, value: z[d], "data-dim": d,
      "aria-label": `latent dimension ${d}` });
    input.addEventListener("input", () => {
      S.sel.edits[d] = parseFloat(input.value);
      out.textContent = S.sel.edits[d].toFixed(2);
      input.parentElement.classList.add("edited");
      scheduleRender(false);
    });
    input.addEventListener("change", refreshSide);
    rows.push(GF.el("div", { class: "slider" + (d in S.sel.edits ? " edited" : "") }, GF.el("span", { class: "dim", text: `z[${d}]` }), input, out));
  }
  GF.$("#sliders").replaceChildren(...rows);
  GF.$("#sel-title").textContent = `seed ${S.sel.seed}` + (selLabel() !== null ? ` · class ${S.model.class_names[selLabel()] ?? selLabel()}` : "");
}

// Coalescing: one render request at a time; slider moves meanwhile only mark the state
// dirty, and the newest state is sent when the reply arrives. `restart` aborts the request in
// flight (a new sample was selected, the old image is no longer wanted).
function scheduleRender(restart) {
  S.pending = true;
  if (restart && S.inflight) S.inflight.abort();
  if (!S.inflight) pump();
  updateReproduce();
}

async function pump() {
  while (S.pending) {
    S.pending = false;
    const seq = ++S.renderSeq;
    const ctrl = new AbortController();
    S.inflight = ctrl;
    const t0 = performance.now();
    try {
      const body = { z: currentZ(), label: selLabel(), truncation: truncValue() };
      if (tilesMode()) {
        const r = await GF.api(`/api/runs/${rid()}/tile`, { method: "POST", signal: ctrl.signal, body });
        if (seq !== S.renderSeq) continue;
        showBigTile(r.tile);
        GF.$("#big-tile").title = `rendered in ${Math.round(performance.now() - t0)} ms`;
        continue;
      }
      const blob = await GF.api(`/api/runs/${rid()}/render`, { method: "POST", signal: ctrl.signal, as: "blob", body });
      if (seq !== S.renderSeq) continue;
      await showBig(blob);
      GF.$("#big").title = `rendered in ${Math.round(performance.now() - t0)} ms`;
    } catch (e) {
      if (e.name !== "AbortError") GF.say(e.message, "error");
    }
  }
  S.inflight = null;
}

async function showBig(blob) {
  const img = GF.$("#big");
  const url = URL.createObjectURL(blob);
  img.src = url;
  try { await img.decode(); } catch (e) { /* decode errors show as a broken image */ }
  if (S.bigUrl) URL.revokeObjectURL(S.bigUrl);
  S.bigUrl = url;
  img.dataset.version = String(+img.dataset.version + 1);
}

function showBigTile(t) {
  const fig = GF.$("#big-tile");
  S.bigTile = t;
  fig.replaceChildren(...tileParts(t));
  fig.dataset.version = String(+fig.dataset.version + 1);
}

function updateReproduce() {
  if (!S.sel) return;
  const edited = Object.keys(S.sel.edits).length > 0;
  const name = /^[\w.\-\/]+$/.test(S.run.name) ? S.run.name : `'${S.run.name.replace(/'/g, "'\\''")}'`;
  const parts = ["ganforge sample", name];
  parts.push(edited ? "--latent latent.npy" : `--n 1 --seed ${S.sel.seed}`);
  if (selLabel() !== null) parts.push(`--class ${selLabel()}`);
  const t = truncValue();
  if (t !== null && (!edited || S.model.truncation.where === "forward")) parts.push(`--truncation ${t}`);
  if (!tilesMode()) parts.push("--out sample.png");
  GF.$("#command").textContent = parts.join(" ");
  GF.$("#download-latent").hidden = !edited;
  GF.$("#latent").value = "[" + currentZ().map(v => v.toFixed(4)).join(", ") + "]";
}

// ---------------------------------------------------------------------------------------------
// interpolation and code traversal (refreshed when a slider is released, not while it moves)
function strip(box, tiles, captions) {
  box.replaceChildren(...tiles.map((t, i) => tilesMode()
    ? GF.el("figure", { class: "tile" }, ...tileParts(t), GF.el("figcaption", { class: "muted", text: captions[i] }))
    : GF.el("figure", {}, GF.el("img", { src: t.image, class: "pix cell" }), GF.el("figcaption", { text: captions[i] }))));
}

async function refreshSide() {
  if (!S.sel) return;
  const seq = ++S.sideSeq;
  const label = selLabel(), truncation = truncValue(), z = currentZ();
  try {
    const seedB = Math.max(0, parseInt(GF.$("#interp-seed").value, 10) || 0);
    const b = await GF.api(`/api/runs/${rid()}/latent`, { method: "POST", body: { seed: seedB, truncation } });
    const steps = Math.max(2, Math.min(16, parseInt(GF.$("#interp-steps").value, 10) || 10));
    const r = await GF.api(`/api/runs/${rid()}/interpolate`, { method: "POST",
      body: { z_a: z, z_b: b.z, steps, mode: GF.$("#interp-mode").value, label, truncation } });
    if (seq !== S.sideSeq) return;
    strip(GF.$("#interp"), r.tiles, r.tiles.map((_, i) => i === 0 ? "selected" : i === r.images.length - 1 ? `seed ${seedB}` : ""));
    if (S.model.codes.length) {
      const code = GF.$("#code").value;
      const c = S.model.codes.find(x => x.name === code);
      GF.$("#code-note").textContent = c && c.kind === "categorical" ? `all ${c.size} values` : "values −2 … 2";
      const steps2 = Math.max(2, Math.min(16, parseInt(GF.$("#code-steps").value, 10) || 9));
      const t = await GF.api(`/api/runs/${rid()}/codes`, { method: "POST", body: { z, code, steps: steps2, label, truncation } });
      if (seq !== S.sideSeq) return;
      strip(GF.$("#code-strip"), t.tiles, t.values.map(v => GF.fmt(v)));
    }
  } catch (e) { GF.say(e.message, "error"); }
}

// ---------------------------------------------------------------------------------------------
// image-to-image
function setupTranslator() {
  const m = S.model;
  GF.$("#translator").hidden = false;
  GF.$("#mask-row").hidden = !m.needs_mask;
  GF.$("#in-size").textContent = `${m.in_shape[2]}×${m.in_shape[1]} px, ${m.in_shape[0] === 1 ? "greyscale" : "RGB"}`;
  GF.$("#t-in").removeAttribute("src");
  GF.$("#t-out").removeAttribute("src");
  GF.$("#t-download").disabled = true;
}

async function translate(ev) {
  ev.preventDefault();
  const file = GF.$("#file").files[0];
  if (!file) return GF.say("choose an image file first", "error");
  const limit = S.limits.max_upload_bytes - 64 * 1024;  // room for the form's own bytes
  if (file.size > limit) return GF.say(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the server accepts up to ${(limit / 1048576).toFixed(1)} MB`, "error");
  const form = new FormData();
  form.append("file", file);
  const mask = GF.$("#mask").files[0];
  if (mask && S.model.needs_mask) form.append("mask", mask);
  form.append("keep_size", GF.$("#keep-size").checked ? "true" : "false");
  GF.say("translating …");
  try {
    const r = await GF.api(`/api/runs/${rid()}/translate`, { method: "POST", form });
    GF.$("#t-in").src = r.input;
    const out = GF.$("#t-out");
    out.src = r.output;
    await out.decode().catch(() => {});
    out.dataset.version = String(+out.dataset.version + 1);
    GF.$("#t-out-size").textContent = `${r.out_size[2]}×${r.out_size[1]}`;
    GF.$("#t-download").disabled = false;
    GF.say("");
  } catch (e) { GF.say(e.message, "error"); }
}

// ---------------------------------------------------------------------------------------------
function wire() {
  GF.$("#seed").addEventListener("change", () => loadGrid());
  GF.$("#grid-n").addEventListener("change", () => loadGrid({ keepSelection: true }));
  GF.$("#new-seed").addEventListener("click", () => { GF.$("#seed").value = Math.floor(Math.random() * 1e6); loadGrid(); });
  GF.$("#class").addEventListener("change", () => loadGrid({ keepSelection: true }));
  const trunc = () => { GF.$("#trunc-val").textContent = GF.fmt(parseFloat(GF.$("#trunc").value)); loadGrid({ keepSelection: true }); };
  GF.$("#trunc").addEventListener("change", trunc);
  GF.$("#trunc").addEventListener("input", () => { GF.$("#trunc-val").textContent = GF.fmt(parseFloat(GF.$("#trunc").value)); });
  GF.$("#trunc-on").addEventListener("change", trunc);
  GF.$("#k").addEventListener("change", () => S.sel && buildSliders());
  GF.$("#reset").addEventListener("click", () => { if (!S.sel) return; S.sel.edits = {}; buildSliders(); scheduleRender(true); refreshSide(); });
  for (const id of ["#interp-seed", "#interp-steps", "#interp-mode", "#code", "#code-steps"]) GF.$(id).addEventListener("change", refreshSide);
  GF.$("#download").addEventListener("click", async () => {
    if (!S.sel) return;
    if (tilesMode()) {
      const t = S.bigTile, base = `${S.run.name}-seed${S.sel.seed}`;
      if (!t) return;
      if (t.audio) return GF.download(t.audio, `${base}.wav`);
      if (t.image) return GF.download(t.image, `${base}.png`);
      return GF.download(new Blob([(t.caption || "") + "\n"], { type: "text/plain" }), `${base}.txt`);
    }
    const scale = Math.max(1, Math.floor(256 / S.model.out_shape[1]));
    try {
      const blob = await GF.api(`/api/runs/${rid()}/render`, { method: "POST", as: "blob",
        body: { z: currentZ(), label: selLabel(), truncation: truncValue(), scale } });
      const edited = Object.keys(S.sel.edits).length > 0;
      GF.download(blob, `${S.run.name}-seed${S.sel.seed}${edited ? "-edited" : ""}.png`);
    } catch (e) { GF.say(e.message, "error"); }
  });
  GF.$("#download-latent").addEventListener("click", () => GF.download(GF.npyBlob([currentZ()]), "latent.npy"));
  GF.$("#translate-form").addEventListener("submit", translate);
  GF.$("#t-download").addEventListener("click", () => GF.download(GF.$("#t-out").src, `${S.run.name}-translated.png`));
}

wire();
GF.setupRuns(loadRun).catch(e => GF.say(e.message, "error"));
