"use strict";
// Today's KPIs on the supervisor page, from the websocket's queue_kpis frames (every 10 s and on connect;
// the same figures as GET /api/kpis, definitions in docs/KPIS.md): the per-queue table with a centre total,
// the service-level chart per 15-minute interval, and each agent's day (handed to the board's agent table).

const PERCENT = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const SECONDS = (v) => (v === null || v === undefined ? "—" : duration(v));
const SL_TARGET = 0.8;

// The level of a figure against one threshold band {amber, red, direction} ("" when no value or band).
function levelOf(value, band) {
  if (value === null || value === undefined || !band) return "";
  if (band.direction === "lower_is_worse") return value < band.red ? "red" : value < band.amber ? "amber" : "";
  return value >= band.red ? "red" : value >= band.amber ? "amber" : "";
}

function bandTitle(band, format) {
  if (!band) return "";
  const sign = band.direction === "lower_is_worse" ? "<" : "≥";
  return `黄 ${sign}${format(band.amber)}，红 ${sign}${format(band.red)}`;
}

class SupervisorKpis {
  // el: rows (tbody), at (note), chart (div); board: the SupervisorBoard (queue filter, thresholds, agents)
  constructor(el, board) {
    this.el = el;
    this.board = board;
    this.data = null;
    this.agents = new Map();
    this.incoming = null;
    this.chart = echarts.init(el.chart, null, { renderer: "canvas" });
    window.addEventListener("resize", () => this.chart.resize());
  }

  resize() { this.chart.resize(); }

  // Part 1 holds the queues and intervals; the agents follow in parts 2..parts: a complete list replaces
  // the agents once the last part arrived, otherwise the agents sent (their counts changed) are updated.
  onKpis(data) {
    const part = data.part || 1, parts = data.parts || 1;
    if (part === 1) {
      this.data = data;
      this.incoming = { complete: data.complete !== false, at: data.at, agents: [...(data.agents || [])] };
      this.el.at.textContent = `统计至 ${clockTime(data.at * 1000)}`;
      this.render();
    } else if (this.incoming && data.at === this.incoming.at) {
      this.incoming.agents.push(...(data.agents || []));
    }
    if (part !== parts || !this.incoming) return;
    const { complete, agents } = this.incoming;
    this.incoming = null;
    if (complete) this.agents = new Map();
    else if (!agents.length) return;
    for (const k of agents) this.agents.set(k.agent_id, k);
    this.board.setAgentKpis([...this.agents.values()]);
  }

  render() {
    if (!this.data) return;
    const queues = this.board.shown(this.data.queues || []);
    const rows = queues.map((q) => this.row(q, queueLabel(q.queue), this.board.thresholdsOf(q.queue)));
    if (queues.length > 1) rows.push(this.row(this.total(queues), "合计", null));
    this.el.rows.replaceChildren(...rows);
    this.drawServiceLevel();
  }

  row(k, label, thresholds) {
    const tr = document.createElement("tr");
    tr.dataset.queue = k.queue || "";
    if (!k.queue) tr.className = "total";
    const t = thresholds || {};
    const pct = (v) => `${Math.round(v * 100)}%`;
    tr.append(
      cell(label),
      cell(String(k.offered), { "data-field": "offered" }),
      cell(String(k.answered), { "data-field": "answered" }),
      cell(String(k.abandoned), { "data-field": "abandoned" }),
      cell(PERCENT(k.service_level), {
        "data-field": "service_level", "data-level": levelOf(k.service_level, t.service_level), title: bandTitle(t.service_level, pct),
      }),
      cell(PERCENT(k.answer_rate), { "data-field": "answer_rate" }),
      cell(PERCENT(k.abandon_rate), {
        "data-field": "abandon_rate", "data-level": levelOf(k.abandon_rate, t.abandon_rate), title: bandTitle(t.abandon_rate, pct),
      }),
      cell(SECONDS(k.asa_s), { "data-field": "asa" }),
      cell(SECONDS(k.aht_s), { "data-field": "aht" }),
      cell(String(k.callbacks ?? 0), { "data-field": "callbacks" }),
    );
    return tr;
  }

  // The shown queues added up (rates recomputed from the counts; ASA and AHT weighted by answered calls).
  total(queues) {
    const sum = (f) => queues.reduce((n, q) => n + (q[f] || 0), 0);
    const weighted = (f) => {
      const n = queues.reduce((s, q) => s + (q[f] === null ? 0 : q.answered), 0);
      return n ? queues.reduce((s, q) => s + (q[f] === null ? 0 : q[f] * q.answered), 0) / n : null;
    };
    const offered = sum("offered"), answered = sum("answered"), abandoned = sum("abandoned");
    return {
      queue: null, offered, answered, abandoned, callbacks: sum("callbacks"),
      service_level: answered ? sum("answered_in_sl") / answered : null,
      answer_rate: offered ? answered / offered : null,
      abandon_rate: offered ? abandoned / offered : null,
      asa_s: weighted("asa_s"), aht_s: weighted("aht_s"),
    };
  }

  drawServiceLevel() {
    const intervals = (this.data && this.data.intervals) || [];
    const band = this.board.thresholdsOf("general").service_level;
    const target = band ? band.amber : SL_TARGET;
    const colour = { red: "#c62828", amber: "#f9a825", "": "#2e7d32" };
    this.chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "无接听" : `${v}%`) },
      grid: { left: 44, right: 16, top: 28, bottom: 28 },
      xAxis: { type: "category", data: intervals.map((i) => clockTime(Date.parse(i.start), true)) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: "服务水平（15秒）", type: "bar", barMaxWidth: 18,
        data: intervals.map((i) => (i.service_level === null ? null : {
          value: Math.round(i.service_level * 1000) / 10, itemStyle: { color: colour[levelOf(i.service_level, band)] },
        })),
      }, {
        // The target as a dashed line (the bundled ECharts has no markLine component).
        name: `目标 ${Math.round(target * 100)}%`, type: "line", showSymbol: intervals.length === 1, silent: true,
        data: intervals.map(() => Math.round(target * 1000) / 10), lineStyle: { color: "#0b4f8a", type: "dashed", width: 1.5 },
        itemStyle: { color: "#0b4f8a" },
      }],
      legend: { top: 0, right: 8, data: [`目标 ${Math.round(target * 100)}%`] },
    }, { replaceMerge: ["series"] });
  }
}

// An agent's day as the agent table shows it: pause time by reason and occupancy.
function pauseTimes(k) {
  const parts = Object.entries((k && k.pause_s) || {}).filter(([, s]) => s >= 1).map(([r, s]) => `${pauseLabel(r)} ${duration(s)}`);
  return parts.join("，") || "—";
}

function occupancyText(k) { return k && k.occupancy !== null && k.occupancy !== undefined ? `${Math.round(k.occupancy * 100)}%` : "—"; }
