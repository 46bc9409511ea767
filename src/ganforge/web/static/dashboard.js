// The training dashboard: curves of every logged metric, health events on the timeline,
// sample grids over time. Polls the server while the run trains (only new log lines travel).
"use strict";

const D = {
  run: null, offset: 0, records: [], events: [], charts: new Map(), steps: [],
  timer: null, epoch: 0, poll: 2000,
};

// Keys that are not curves.
const NOT_METRICS = new Set(["step", "event", "time", "wall_time", "timestamp"]);

// Which chart a metric key belongs to: losses together, D(x)/D(G(z)) together, "a/b" keys by
// their prefix (fid/inception, fid/...), anything else on its own.
function groupOf(key) {
  if (key === "d_real" || key === "d_fake") return "D(x) and D(G(z))";
  if (/loss/.test(key)) return "Losses";
  if (key.includes("/")) return key.split("/")[0];
  return key;
}
const LABELS = { d_real: "D(x) · d_real", d_fake: "D(G(z)) · d_fake" };
const ORDER = ["Losses", "D(x) and D(G(z))"];

function resetRun(run) {
  D.run = run; D.offset = 0; D.records = []; D.events = []; D.steps = []; D.epoch++;
  for (const c of D.charts.values()) c.observer.disconnect();
  D.charts.clear();
  GF.$("#charts").replaceChildren();
  GF.$("#events").replaceChildren();
  GF.$("#sample-img").removeAttribute("src");
  if (D.timer) clearTimeout(D.timer);
  tick(D.epoch);
}

async function tick(epoch) {
  try {
    await refresh();
    GF.say("");
  } catch (e) {
    GF.say(`${e.message} (retrying)`, "error");
  }
  if (epoch === D.epoch) D.timer = setTimeout(() => tick(epoch), D.poll);
}

async function refresh() {
  const rid = encodeURIComponent(D.run.id);
  const m = await GF.api(`/api/runs/${rid}/metrics?offset=${D.offset}`);
  if (m.reset) { D.records = []; D.events = []; }
  D.offset = m.next;
  D.records.push(...m.records);
  D.events.push(...m.events);
  D.poll = m.status.training ? 2000 : 10000;
  showStatus(m.status);
  if (m.records.length || m.events.length || m.reset || !D.charts.size) drawCharts();
  if (m.events.length || m.reset) showEvents();
  const s = await GF.api(`/api/runs/${rid}/samples`);
  showSamples(s.steps);
  GF.$("#updated").textContent = "updated " + new Date().toLocaleTimeString();
}

function showStatus(st) {
  const state = GF.$("#state");
  const done = st.total_steps !== null && st.step !== null && st.step >= st.total_steps;
  state.textContent = st.training ? "training" : done ? "finished" : "stopped";
  state.className = "badge" + (st.training ? " live" : "");
  GF.$("#step").textContent = st.step === null ? "–" : st.step;
  GF.$("#total").textContent = st.total_steps ? ` / ${st.total_steps}` : "";
  const last = D.records[D.records.length - 1];
  GF.$("#latest").textContent = last ? Object.entries(last).filter(([k, v]) => typeof v === "number" && /loss$/.test(k)).map(([k, v]) => `${k} ${GF.fmt(v)}`).join(" · ") : "";
}

function drawCharts() {
  // series per group, in first-seen order
  const groups = new Map();
  for (const r of D.records) for (const [k, v] of Object.entries(r)) {
    if (NOT_METRICS.has(k) || (typeof v !== "number" && v !== null)) continue;
    const g = groupOf(k);
    if (!groups.has(g)) groups.set(g, []);
    if (!groups.get(g).includes(k)) groups.get(g).push(k);
  }
  const names = [...ORDER.filter(g => groups.has(g)), ...[...groups.keys()].filter(g => !ORDER.includes(g))];
  const box = GF.$("#charts");
  if (!names.length && !D.charts.size) {
    box.replaceChildren(GF.el("p", { class: "hint", text: "No metrics logged yet." }));
    return;
  }
  for (const g of names) {
    const keys = groups.get(g);
    const have = D.charts.get(g);
    if (have && have.series.map(s => s.key).join() !== keys.join()) { have.observer.disconnect(); have.root.remove(); D.charts.delete(g); }
    if (!D.charts.has(g)) {
      if (box.querySelector("p.hint")) box.replaceChildren();
      D.charts.set(g, new GF.LineChart(box, g, keys.map(k => ({ key: k, label: LABELS[k] || k }))));
    }
  }
  // align every metric on the logged steps (records without a step are skipped)
  const rows = D.records.filter(r => typeof r.step === "number");
  D.steps = rows.map(r => r.step);
  const sm = parseFloat(GF.$("#smoothing").value);
  const health = D.events;
  for (const [g, chart] of D.charts) {
    const values = {};
    for (const s of chart.series) values[s.key] = rows.map(r => (typeof r[s.key] === "number" ? r[s.key] : null));
    chart.update(D.steps, values, health, sm);
  }
}

function showEvents() {
  const list = GF.$("#events");
  list.replaceChildren(...D.events.slice().reverse().map(ev => GF.el("li", { "data-kind": ev.kind || ev.event,
    title: ev.evidence ? "evidence: " + JSON.stringify(ev.evidence) : null },
    GF.el("b", { text: `step ${ev.step ?? "?"} · ${ev.kind || ev.event}` }), " ", ev.message || JSON.stringify(ev))));
  GF.$("#no-events").hidden = D.events.length > 0;
  const nh = D.events.filter(e => e.event === "health").length;
  GF.$("#n-events").textContent = D.events.length ? `(${nh} health warning${nh === 1 ? "" : "s"})` : "";
}

function showSamples(steps) {
  const slider = GF.$("#sample-step");
  const grew = steps.length !== D.sampleSteps?.length;
  const atEnd = !D.sampleSteps || +slider.value >= D.sampleSteps.length - 1;
  D.sampleSteps = steps;
  GF.$("#no-samples").hidden = steps.length > 0;
  slider.max = Math.max(0, steps.length - 1);
  slider.disabled = steps.length < 2;
  if (!steps.length) return;
  if (grew && (GF.$("#follow").checked || atEnd)) slider.value = steps.length - 1;
  showSample();
}

function showSample() {
  const steps = D.sampleSteps || [];
  const i = Math.min(+GF.$("#sample-step").value, steps.length - 1);
  if (i < 0) return;
  const src = `/api/runs/${encodeURIComponent(D.run.id)}/samples/${steps[i]}.png`;
  const img = GF.$("#sample-img");
  if (img.getAttribute("src") !== src) img.src = src;
  img.dataset.step = steps[i];
  GF.$("#sample-step-val").textContent = steps[i];
}

GF.$("#sample-step").addEventListener("input", () => {
  GF.$("#follow").checked = +GF.$("#sample-step").value === (D.sampleSteps || []).length - 1;
  showSample();
});
GF.$("#smoothing").addEventListener("input", () => { GF.$("#smoothing-val").textContent = GF.$("#smoothing").value; drawCharts(); });
GF.setupRuns(resetRun).catch(e => GF.say(e.message, "error"));
