"use strict";
// The supervisor page's live board: the queue table with thresholds, the agent table with its buttons and
// the two ECharts charts, all from the websocket's queue_figures frames (protocol v1.2).

const SUP_QUEUE_LABEL = {
  general: "综合", enterprise: "企业服务", social_security: "社保", women_children: "妇女儿童",
  elderly_services: "为老服务", wage_arrears: "欠薪", accessibility: "无障碍", surge: "高峰分流",
};
// Thresholds per queue, kept in the page (no API serves them): [amber, red] from these values on.
const THRESHOLDS = {
  default: { waiting: [3, 10], longest_wait_s: [15, 60] },
  general: { waiting: [5, 15], longest_wait_s: [15, 60] },
};
const AGENT_STATE_LABEL = { idle: "就绪", offered: "振铃", on_call: "通话中", wrap_up: "话后整理" };
const HISTORY_S = 3600;

function queueLabel(name) {
  return SUP_QUEUE_LABEL[name] ? `${SUP_QUEUE_LABEL[name]}（${name}）` : name;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function level(queue, field, value) {
  const limits = (THRESHOLDS[queue] || THRESHOLDS.default)[field];
  if (!limits) return "";
  if (value >= limits[1]) return "red";
  return value >= limits[0] ? "amber" : "";
}

function cell(text, attrs = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== "") td.setAttribute(k, v);
  return td;
}

function button(label, testid, onClick, enabled = true) {
  const b = document.createElement("button");
  b.textContent = label;
  b.dataset.testid = testid;
  b.setAttribute("data-testid", testid);
  b.disabled = !enabled;
  b.onclick = onClick;
  return b;
}

class SupervisorBoard {
  constructor(el, actions) {
    this.el = el;
    this.actions = actions;
    this.queues = [];
    this.agents = new Map();
    this.rows = new Map();
    this.pending = null;
    this.names = {};
    this.mine = null;
    this.offset = 0;
    this.history = [];
    this.spyAgent = null;
    this.waitingChart = echarts.init(el.waitingChart, null, { renderer: "canvas" });
    this.handledChart = echarts.init(el.handledChart, null, { renderer: "canvas" });
    window.addEventListener("resize", () => { this.waitingChart.resize(); this.handledChart.resize(); });
    el.thresholdNote.textContent = "阈值（本页配置）：等待数 ≥3 黄 ≥10 红（综合 ≥5 黄 ≥15 红）；最长等待 ≥15秒 黄 ≥60秒 红；有来电等待而无人就绪时就绪数标红";
  }

  // Charts drawn while the board was hidden take its size once it shows.
  resize() { this.waitingChart.resize(); this.handledChart.resize(); }

  setNames(names) { this.names = names; this.renderAgents(); }

  setMine(queues) { this.mine = new Set(queues); this.renderQueues(); }

  setSpyAgent(agentId) { this.spyAgent = agentId; this.renderAgents(); }

  now() { return Date.now() / 1000 + this.offset; }

  // One queue_figures frame: every queue, and the agents that changed (a complete set in parts).
  onFigures(data) {
    this.offset = data.at - Date.now() / 1000;
    this.queues = data.queues;
    if (data.complete) {
      if (data.part === 1) this.pending = new Map();
      for (const a of data.agents) this.pending.set(a.agent_id, a);
      if (this.pending && data.part === data.parts) { this.agents = this.pending; this.pending = null; }
    } else {
      for (const a of data.agents) this.agents.set(a.agent_id, a);
      for (const id of data.left) this.agents.delete(id);
    }
    if (data.part === 1) this.remember(data);
    this.el.at.textContent = `更新于 ${new Date(data.at * 1000).toLocaleTimeString("zh-CN", { hour12: false })}`;
    this.renderQueues();
    this.renderAgents();
    this.drawHandled();
  }

  shown(queues) { return this.mine ? queues.filter((q) => this.mine.has(q.queue)) : queues; }

  remember(data) {
    const point = { at: data.at * 1000 };
    for (const q of this.shown(data.queues)) point[q.queue] = q.waiting;
    this.history.push(point);
    while (this.history.length && this.history[0].at < point.at - HISTORY_S * 1000) this.history.shift();
    this.drawWaiting();
  }

  renderQueues() {
    const rows = this.shown(this.queues).map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      const paused = Object.entries(q.paused).map(([r, n]) => `${pauseLabel(r)} ${n}`).join("，") || "0";
      tr.append(
        cell(queueLabel(q.queue)),
        cell(String(q.waiting), { "data-field": "waiting", "data-level": level(q.queue, "waiting", q.waiting) }),
        cell(duration(q.longest_wait_s), { "data-field": "longest_wait", "data-level": level(q.queue, "longest_wait_s", q.longest_wait_s) }),
        cell(String(q.agents)), cell(String(q.ready), { "data-field": "ready", "data-level": q.waiting > 0 && q.ready === 0 ? "red" : "" }),
        cell(String(q.offered), { "data-field": "offered" }), cell(String(q.on_call), { "data-field": "on_call" }),
        cell(String(q.wrap_up), { "data-field": "wrap_up" }), cell(paused, { "data-field": "paused" }),
      );
      return tr;
    });
    this.el.queueRows.replaceChildren(...rows);
  }

  statusText(a) {
    if (a.status === "paused") return `暂停（${pauseLabel(a.pause_reason)}）`;
    return AGENT_STATE_LABEL[a.state] || a.state;
  }

  // Rows are rebuilt only when their agent's figures changed (a button under the pointer stays put).
  renderAgents() {
    const rows = [...this.agents.values()].map((a) => {
      const sig = JSON.stringify([a, this.names[a.agent_id], this.spyAgent === a.agent_id]);
      const kept = this.rows.get(a.agent_id);
      if (kept && kept.sig === sig) return kept.tr;
      const tr = this.agentRow(a);
      this.rows.set(a.agent_id, { sig, tr });
      return tr;
    });
    for (const id of [...this.rows.keys()]) if (!this.agents.has(id)) this.rows.delete(id);
    const body = this.el.agentRows;
    if (rows.length !== body.children.length || rows.some((tr, i) => body.children[i] !== tr)) body.replaceChildren(...rows);
  }

  agentRow(a) {
    const tr = document.createElement("tr");
    tr.dataset.agent = a.agent_id;
    const name = this.names[a.agent_id];
    const who = name && name !== a.agent_id ? `${name}（${a.agent_id}）` : a.agent_id;
    const call = a.call ? `${a.call.caller}${a.call.masked ? "（保密）" : ""} · ${SUP_QUEUE_LABEL[a.call.queue] || a.call.queue}` : "—";
    tr.append(
      cell(who),
      cell(this.statusText(a), { "data-field": "status", "data-state": a.status === "paused" ? "paused" : a.state }),
      cell(a.since ? duration(this.now() - a.since) : "—", { "data-field": "since", "data-since": a.since || "" }),
      cell(call, { "data-field": "call", "data-masked": a.call ? String(a.call.masked) : "" }),
      cell(String(a.calls_handled), { "data-field": "handled" }),
      cell(duration(a.talk_s), { "data-field": "talk" }),
      this.spyButtons(a), this.statusButtons(a),
    );
    return tr;
  }

  spyButtons(a) {
    const td = document.createElement("td");
    td.className = "buttons";
    const onCall = a.state === "on_call";
    const mine = this.spyAgent === a.agent_id;
    td.append(
      button("监听", "listen", () => this.actions.spy(a.agent_id, "listen"), onCall),
      button("耳语", "whisper", () => this.actions.spy(a.agent_id, "whisper"), onCall),
      button("强插", "barge", () => this.actions.spy(a.agent_id, "barge"), onCall),
      button("接管", "take-over", () => this.actions.takeOver(), onCall && mine),
      button("离开", "leave", () => this.actions.leave(), mine),
    );
    return td;
  }

  statusButtons(a) {
    const td = document.createElement("td");
    td.className = "buttons";
    td.append(
      button("置闲", "force-ready", () => this.actions.act(a.agent_id, "ready")),
      button("暂停", "force-pause", () => this.actions.act(a.agent_id, "pause")),
      button("签出", "force-logout", () => this.actions.act(a.agent_id, "log_out")),
    );
    return td;
  }

  // Every second between frames: the durations move on.
  tick() {
    for (const td of this.el.agentRows.querySelectorAll("td[data-field=since]")) {
      const since = Number(td.dataset.since);
      if (since) td.textContent = duration(this.now() - since);
    }
  }

  drawWaiting() {
    const names = this.shown(this.queues).map((q) => q.queue);
    this.waitingChart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: {
        type: "time", min: this.now() * 1000 - HISTORY_S * 1000, max: this.now() * 1000,
        axisLabel: { formatter: "{HH}:{mm}" }, splitNumber: 6,
      },
      yAxis: { type: "value", minInterval: 1 },
      series: names.map((n) => ({
        name: SUP_QUEUE_LABEL[n] || n, type: "line", showSymbol: false, step: "end",
        data: this.history.map((p) => [p.at, p[n] || 0]),
      })),
    }, { replaceMerge: ["series"] });
  }

  drawHandled() {
    const agents = [...this.agents.values()];
    this.handledChart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: agents.map((a) => this.names[a.agent_id] || a.agent_id), axisLabel: { interval: 0, rotate: agents.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "今日接听", barMaxWidth: 40, type: "bar", data: agents.map((a) => a.calls_handled), itemStyle: { color: "#0b4f8a" } }],
    });
  }
}
