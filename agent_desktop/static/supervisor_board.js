"use strict";
// The supervisor page's live board: the queue table coloured by the thresholds of the queue configuration
// (GET /api/supervisor/queue-settings), the agent table with its buttons and the ECharts charts of waiting
// calls (the last hours, kept in the tab) and calls handled, from the websocket's queue_figures frames
// (protocol v1.2); today's figures per agent come from queue_kpis frames (supervisor_kpis.js).

const SUP_QUEUE_LABEL = {
  general: "综合", enterprise: "企业服务", social_security: "社保", women_children: "妇女儿童",
  elderly_services: "为老服务", wage_arrears: "欠薪", accessibility: "无障碍", surge: "高峰分流",
  sign_video: "手语视频",
};
const AGENT_STATE_LABEL = { idle: "就绪", offered: "振铃", on_call: "通话中", wrap_up: "话后整理" };
const HISTORY_S = 4 * 3600;
const HISTORY_MIN_SPAN_S = 15 * 60;
const HISTORY_KEY = "hotline.supervisor.waiting";

// Clock times are shown in the centre's time zone (its KPI day), whatever the browser's zone.
const centreClock = { timeZone: "Asia/Shanghai" };

function clockTime(ms, short = false) {
  const parts = short ? { hour: "2-digit", minute: "2-digit" } : {};
  return new Date(ms).toLocaleTimeString("zh-CN", { ...parts, hour12: false, timeZone: centreClock.timeZone });
}

function queueLabel(name) {
  return SUP_QUEUE_LABEL[name] ? `${SUP_QUEUE_LABEL[name]}（${name}）` : name;
}

function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function cell(text, attrs = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== "") td.setAttribute(k, v);
  return td;
}

// The call's recording page (recording.html: both sides as waveforms), in a new tab.
function recordingLink(callId) {
  const link = document.createElement("a");
  link.href = `/recording?call=${encodeURIComponent(callId)}`;
  link.target = "_blank";
  link.textContent = "录音";
  link.dataset.testid = "recording-link";
  return link;
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
    this.history = this.storedHistory();
    this.savedAt = 0;
    this.thresholds = {};
    this.agentKpis = new Map();
    this.spyAgent = null;
    this.waitingChart = echarts.init(el.waitingChart, null, { renderer: "canvas" });
    this.handledChart = echarts.init(el.handledChart, null, { renderer: "canvas" });
    window.addEventListener("resize", () => { this.waitingChart.resize(); this.handledChart.resize(); });
    el.thresholdNote.textContent = "黄、红阈值来自队列配置（鼠标悬停数字可查看）；有来电等待而无人就绪时就绪数标红";
  }

  // Charts drawn while the board was hidden take its size once it shows.
  resize() { this.waitingChart.resize(); this.handledChart.resize(); }

  setNames(names) { this.names = names; this.renderAgents(); }

  setMine(queues) { this.mine = new Set(queues); this.renderQueues(); if (this.onMine) this.onMine(); }

  // Queue settings from the server: thresholds per queue ({figure: {amber, red, direction}}).
  setSettings(settings) {
    if (settings.timezone) centreClock.timeZone = settings.timezone;
    this.thresholds = Object.fromEntries(settings.queues.map((q) => [q.queue, q.thresholds]));
    this.renderQueues();
  }

  thresholdsOf(queue) { return this.thresholds[queue] || {}; }

  // Today's KPIs per agent (queue_kpis frames): calls answered, pause time by reason, occupancy.
  setAgentKpis(agents) {
    this.agentKpis = new Map(agents.map((k) => [k.agent_id, k]));
    this.renderAgents();
    this.drawHandled();
  }

  handled(a) {
    const k = this.agentKpis.get(a.agent_id);
    return k ? k.answered : a.calls_handled;
  }

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
    this.el.at.textContent = `更新于 ${clockTime(data.at * 1000)}`;
    this.renderQueues();
    this.renderAgents();
    this.drawHandled();
  }

  shown(queues) { return this.mine ? queues.filter((q) => this.mine.has(q.queue)) : queues; }

  // A point when a queue's waiting count changed (the chart steps from point to point up to now).
  remember(data) {
    const point = { at: data.at * 1000 };
    for (const q of this.shown(data.queues)) point[q.queue] = q.waiting;
    const last = this.history[this.history.length - 1];
    const same = last && Object.keys(point).every((k) => k === "at" || last[k] === point[k]);
    if (!same) this.history.push(point);
    while (this.history.length > 1 && this.history[1].at < point.at - HISTORY_S * 1000) this.history.shift();
    if (!same && point.at - this.savedAt > 30000) this.saveHistory(point.at);
    this.drawWaiting();
  }

  storedHistory() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(kept) ? kept.filter((p) => p.at > Date.now() - HISTORY_S * 1000) : [];
    } catch { return []; }
  }

  saveHistory(at) {
    this.savedAt = at;
    try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify(this.history)); } catch { /* full: keep in memory */ }
  }

  renderQueues() {
    const rows = this.shown(this.queues).map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      const paused = Object.entries(q.paused).map(([r, n]) => `${pauseLabel(r)} ${n}`).join("，") || "0";
      const t = this.thresholdsOf(q.queue);
      const estimate = q.estimated_wait_s === null ? "无人在岗" : q.estimated_wait_s === undefined ? "—" : duration(q.estimated_wait_s);
      tr.append(
        cell(queueLabel(q.queue)), channelCell(channelOfQueue(q.queue)),
        cell(String(q.waiting), { "data-field": "waiting", "data-level": levelOf(q.waiting, t.waiting), title: bandTitle(t.waiting, String) }),
        cell(duration(q.longest_wait_s), {
          "data-field": "longest_wait", "data-level": levelOf(q.longest_wait_s, t.longest_wait_s), title: bandTitle(t.longest_wait_s, (v) => `${v}秒`),
        }),
        cell(estimate, { "data-field": "estimated_wait" }),
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
      const sig = JSON.stringify([a, this.names[a.agent_id], this.spyAgent === a.agent_id, this.agentKpis.get(a.agent_id)]);
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
    const k = this.agentKpis.get(a.agent_id);
    const call = a.call ? `${a.call.caller}${a.call.masked ? "（保密）" : ""} · ${SUP_QUEUE_LABEL[a.call.queue] || a.call.queue}` : "—";
    const callCell = cell(call, { "data-field": "call", "data-masked": a.call ? String(a.call.masked) : "" });
    if (a.call && a.call.call_id && a.state === "on_call") callCell.append(" ", recordingLink(a.call.call_id));
    tr.append(
      cell(who),
      cell(this.statusText(a), { "data-field": "status", "data-state": a.status === "paused" ? "paused" : a.state }),
      cell(a.since ? duration(this.now() - a.since) : "—", { "data-field": "since", "data-since": a.since || "" }),
      callCell,
      cell(String(this.handled(a)), { "data-field": "handled" }),
      cell(duration(k ? k.talk_s : a.talk_s), { "data-field": "talk" }),
      cell(pauseTimes(k), { "data-field": "pause_time" }),
      cell(occupancyText(k), { "data-field": "occupancy" }),
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
    const now = this.now() * 1000;
    const oldest = this.history.length ? this.history[0].at : now;
    const from = Math.max(now - HISTORY_S * 1000, Math.min(oldest, now - HISTORY_MIN_SPAN_S * 1000));
    const last = this.history[this.history.length - 1];
    this.waitingChart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: {
        type: "time", min: from, max: now,
        axisLabel: { formatter: (v) => clockTime(v, true) }, splitNumber: 6,
      },
      yAxis: { type: "value", minInterval: 1 },
      series: names.map((n) => ({
        name: SUP_QUEUE_LABEL[n] || n, type: "line", showSymbol: false, step: "end",
        data: [...this.history.map((p) => [Math.max(p.at, from), p[n] || 0]), ...(last ? [[now, last[n] || 0]] : [])],
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
      series: [{ name: "今日接听", barMaxWidth: 40, type: "bar", data: agents.map((a) => this.handled(a)), itemStyle: { color: "#0b4f8a" } }],
    });
  }
}
