// Small line charts on <canvas>: steps on x, one or more series, optional smoothing, event
// markers (health warnings) as vertical dashed lines, and a hover read-out. No libraries.
"use strict";

GF.PALETTE = ["#2f6fde", "#e4572e", "#17a398", "#8e44ad", "#f2a541", "#5d6d7e", "#c0392b", "#27ae60"];

// "Nice" tick values covering [lo, hi]: 1, 2 or 5 times a power of ten apart.
GF.ticks = function (lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * p).find(s => s >= raw) || 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
};

// TensorBoard-style exponential moving average with bias correction; nulls stay null.
GF.smooth = function (ys, w) {
  if (!w) return ys;
  let last = 0, n = 0;
  return ys.map(y => {
    if (y === null || !Number.isFinite(y)) return null;
    last = last * w + (1 - w) * y; n++;
    return last / (1 - Math.pow(w, n));
  });
};

GF.LineChart = class {
  // series: [{key, label, color}]
  constructor(parent, title, series) {
    this.series = series.map((s, i) => ({ color: GF.PALETTE[i % GF.PALETTE.length], label: s.key, ...s }));
    this.canvas = GF.el("canvas", { role: "img", "aria-label": title });
    this.tip = GF.el("div", { class: "tip" });
    this.legend = GF.el("div", { class: "legend" }, ...this.series.map(s => GF.el("span", {}, Object.assign(GF.el("i"), { style: `background:${s.color}` }), s.label)));
    this.root = GF.el("div", { class: "chart", "data-title": title, "data-series": this.series.map(s => s.key).join(",") },
      GF.el("h3", { text: title }), this.legend, this.canvas, this.tip);
    parent.append(this.root);
    this.steps = []; this.values = {}; this.events = []; this.smoothing = 0;
    this.canvas.addEventListener("mousemove", e => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => { this.tip.style.display = "none"; });
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(this.canvas);
  }

  // steps: [number]; values: {key: [number|null]} aligned with steps; events: [{step, kind, message}]
  update(steps, values, events, smoothing) {
    this.steps = steps; this.values = values; this.events = events || []; this.smoothing = smoothing || 0;
    this.draw();
  }

  layout() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth || 380, h = this.canvas.clientHeight || 200;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr); this.canvas.height = Math.round(h * dpr);
    }
    return { dpr, w, h, left: 52, right: 10, top: 8, bottom: 24 };
  }

  draw() {
    const L = this.layout();
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(L.dpr, 0, 0, L.dpr, 0, 0);
    ctx.clearRect(0, 0, L.w, L.h);
    ctx.font = "11px system-ui, sans-serif";
    const xs = this.steps;
    const drawn = this.series.map(s => ({ s, raw: this.values[s.key] || [], sm: GF.smooth(this.values[s.key] || [], this.smoothing) }));
    let lo = Infinity, hi = -Infinity;
    for (const d of drawn) for (const arr of [d.raw, d.sm]) for (const v of arr) if (v !== null && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    let points = 0;
    for (const d of drawn) points += d.raw.filter(v => v !== null && Number.isFinite(v)).length;
    this.root.dataset.points = String(points);
    this.root.dataset.events = String(this.events.length);
    if (!xs.length || lo === Infinity) {
      ctx.fillStyle = "#6b7280"; ctx.fillText("no data yet", L.left + 10, L.h / 2);
      this.scale = null; return;
    }
    if (hi - lo < 1e-12) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.06; lo -= pad; hi += pad;
    const x0 = xs[0], x1 = xs[xs.length - 1] > x0 ? xs[xs.length - 1] : x0 + 1;
    const X = x => L.left + (x - x0) / (x1 - x0) * (L.w - L.left - L.right);
    const Y = y => L.top + (1 - (y - lo) / (hi - lo)) * (L.h - L.top - L.bottom);
    this.scale = { X, Y, x0, x1, L };
    // axes and grid
    ctx.strokeStyle = "#e5e7eb"; ctx.fillStyle = "#6b7280"; ctx.lineWidth = 1;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const t of GF.ticks(lo, hi, 4)) {
      const y = Math.round(Y(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(L.left, y); ctx.lineTo(L.w - L.right, y); ctx.stroke();
      ctx.fillText(GF.fmt(t), L.left - 6, y);
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of GF.ticks(x0, x1, 5)) {
      if (t < x0 || t > x1) continue;
      const label = GF.fmt(t), half = ctx.measureText(label).width / 2;
      ctx.fillText(label, Math.min(X(t), L.w - half - 1), L.h - L.bottom + 6);  // keep the last label inside
    }
    // event markers
    for (const ev of this.events) {
      if (typeof ev.step !== "number") continue;
      const x = Math.round(X(Math.min(Math.max(ev.step, x0), x1))) + 0.5;
      ctx.strokeStyle = ev.event === "health" ? "#c2410c" : "#9ca3af";
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, L.top); ctx.lineTo(x, L.h - L.bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath(); ctx.moveTo(x - 4, L.top); ctx.lineTo(x + 4, L.top); ctx.lineTo(x, L.top + 6); ctx.fill();
    }
    // lines: the raw values faint when smoothed
    const line = (ys, color, width, alpha) => {
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.globalAlpha = alpha;
      ctx.beginPath();
      let open = false;
      ys.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) { open = false; return; }
        const px = X(xs[i]), py = Y(v);
        if (open) ctx.lineTo(px, py); else { ctx.moveTo(px, py); open = true; }
      });
      ctx.stroke();
      if (ys.filter(v => v !== null).length === 1) {  // a single point: draw a dot
        const i = ys.findIndex(v => v !== null);
        ctx.fillStyle = color; ctx.beginPath(); ctx.arc(X(xs[i]), Y(ys[i]), 3, 0, 7); ctx.fill();
      }
      ctx.globalAlpha = 1;
    };
    for (const d of drawn) {
      if (this.smoothing) line(d.raw, d.s.color, 1, 0.25);
      line(d.sm, d.s.color, 1.8, 1);
    }
  }

  hover(e) {
    if (!this.scale || !this.steps.length) return;
    const rect = this.canvas.getBoundingClientRect();
    const mx = e.clientX - rect.left;
    const { x0, x1, L } = this.scale;
    const step = x0 + (mx - L.left) / (L.w - L.left - L.right) * (x1 - x0);
    let best = 0;
    this.steps.forEach((s, i) => { if (Math.abs(s - step) < Math.abs(this.steps[best] - step)) best = i; });
    const lines = [`step ${this.steps[best]}`];
    for (const s of this.series) { const v = (this.values[s.key] || [])[best]; if (v !== undefined) lines.push(`${s.label}: ${GF.fmt(v)}`); }
    const px = (L.w - L.left - L.right) / Math.max(1, x1 - x0);
    for (const ev of this.events) if (Math.abs(ev.step - step) * px < 6) lines.push(`⚠ ${ev.kind || ev.event}: ${ev.message || ""}`);
    this.tip.textContent = lines.join("\n");
    this.tip.style.display = "block";
    this.tip.style.left = Math.min(mx + 14, L.w - 160) + "px";
    this.tip.style.top = (e.clientY - rect.top + 30) + "px";
  }
};
