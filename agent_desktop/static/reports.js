"use strict";
// Reports page: daily, weekly (Monday-based) and monthly figures per queue or per agent, a table with the
// total row, two ECharts charts of the whole centre per hour (day) or per day (week, month), and CSV/XLSX
// downloads. Sign-in as on the supervisor page (the token is shared in sessionStorage).
// Endpoints: POST /api/sessions, GET /api/me, GET /api/reports/{queues|agents}?period=&date=&format=.
const $ = (id) => document.getElementById(id);
const rep = { token: sessionStorage.getItem("hotline.token"), report: null, view: "queues", charts: null };
const PERIOD_TEXT = { day: "日报", week: "周报", month: "月报" };
const ERROR_TEXT = { date_out_of_range: "日期超出范围（不能晚于今天）", invalid_request: "查询条件无效", forbidden: "无权限" };
const STATUS_TEXT = { 401: "登录已失效，请重新登录", 403: "无权限", 422: "查询条件无效", 500: "服务器错误", 503: "服务暂不可用" };
const QUEUE_COLUMNS = [
  ["offered", "呼入量", "int"], ["answered", "接通量", "int"], ["answered_in_sl", "15秒内接通", "int"],
  ["abandoned", "放弃量", "int"], ["short_abandoned", "短时放弃", "int"], ["callbacks", "预约回拨", "int"],
  ["service_level", "服务水平", "pct"], ["answer_rate", "接通率", "pct"], ["abandon_rate", "放弃率", "pct"],
  ["asa_s", "平均应答(秒)", "sec"], ["aht_s", "平均处理(秒)", "sec"], ["transfers", "转接", "int"],
  ["three_way_110", "三方(110等)", "int"], ["three_way_departments", "三方(部门)", "int"],
];
const AGENT_COLUMNS = [
  ["answered", "接听量", "int"], ["talk_s", "通话(时:分:秒)", "dur"], ["wrap_s", "话后(时:分:秒)", "dur"],
  ["aht_s", "平均处理(秒)", "sec"], ["signed_in_s", "签入(时:分:秒)", "dur"],
];
const AGENT_TAIL = [
  ["occupancy", "占用率", "pct"], ["transfers", "转接", "int"], ["three_way", "三方通话", "int"],
  ["qa_score", "质检均分", "sec"], ["qa_scored", "质检评分数", "int"],
];

const localDate = (when) => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(when);
const shanghaiToday = () => localDate(new Date());

function periodRange(report) {
  const first = localDate(new Date(report.from));
  const last = localDate(new Date(new Date(report.to).getTime() - 1));
  return first === last ? first : `${first} 至 ${last}`;
}

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || STATUS_TEXT[err.status] || `查询失败（${err.message}）`;
  return err.status ? `${text}（${err.status}）` : text;
}

async function request(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (rep.token) headers.Authorization = `Bearer ${rep.token}`;
  const res = await fetch(path, { ...options, headers });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.status = res.status;
    throw err;
  }
  return res;
}

const api = async (path, options) => (await request(path, options)).json();

function show(value, kind) {
  if (value === null || value === undefined) return "—";
  if (kind === "pct") return `${(value * 100).toFixed(1)}%`;
  if (kind === "sec") return value.toFixed(1);
  if (kind === "dur") return duration(value);
  return String(value);
}

function agentColumns(rows) {
  const reasons = [...new Set(rows.flatMap((r) => Object.keys(r.pause_s || {})))].sort();
  const pauses = reasons.map((reason) => [`pause:${reason}`, `暂停-${pauseLabel(reason)}`, "dur"]);
  return [["agent_id", "工号", "text"], ["name", "姓名", "text"], ...AGENT_COLUMNS, ...pauses, ...AGENT_TAIL];
}

function valueOf(row, key) {
  return key.startsWith("pause:") ? (row.pause_s || {})[key.slice(6)] || 0 : row[key];
}

function renderTable(report, view) {
  const columns = view === "queues" ? [["queue", "队列", "text"], ...QUEUE_COLUMNS] : agentColumns(report.rows);
  const head = document.createElement("tr");
  for (const [, title] of columns) head.append(Object.assign(document.createElement("th"), { textContent: title }));
  $("report-head").replaceChildren(head);
  const rows = report.rows.map((r) => [r, view === "queues" ? r.queue : r.agent_id]);
  if (report.total) rows.push([report.total, "__total__"]);
  $("report-rows").replaceChildren(...rows.map(([row, key]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    if (key === "__total__") tr.className = "total";
    for (const [field, , kind] of columns) {
      let text = show(valueOf(row, field), kind);
      if (key === "__total__" && (field === "queue" || field === "agent_id")) text = "合计";
      else if (field === "queue") text = queueLabel(row.queue);
      tr.append(cell(text, { "data-field": field }));
    }
    return tr;
  }));
  if (!report.rows.length) {
    const tr = document.createElement("tr");
    const td = cell("本期没有记录", { colspan: String(columns.length) });
    tr.append(td);
    $("report-rows").prepend(tr);
  }
}

function slotLabel(iso, period) {
  const d = new Date(iso);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23",
  }).formatToParts(d).map((p) => [p.type, p.value]));
  return period === "day" ? `${parts.hour}时` : `${parts.month}-${parts.day}`;
}

function renderCharts(report) {
  if (!rep.charts) rep.charts = { volume: echarts.init($("chart-volume")), rates: echarts.init($("chart-rates")) };
  const labels = report.intervals.map((i) => slotLabel(i.start, report.period));
  const series = (name, key, type = "bar") => ({ name, type, data: report.intervals.map((i) => i[key]) });
  const axis = { type: "category", data: labels };
  rep.charts.volume.setOption({
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 30, bottom: 30 },
    xAxis: axis, yAxis: { type: "value", minInterval: 1 },
    series: [series("呼入", "offered"), series("接通", "answered"), series("放弃", "abandoned")],
  }, true);
  const pct = (key) => report.intervals.map((i) => (i[key] === null ? null : +(i[key] * 100).toFixed(1)));
  rep.charts.rates.setOption({
    animation: false, tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : `${v}%`) },
    legend: { top: 0 }, grid: { left: 40, right: 16, top: 30, bottom: 30 },
    xAxis: axis, yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: "服务水平(15秒)", type: "line", connectNulls: true, data: pct("service_level") },
      { name: "接通率", type: "line", connectNulls: true, data: pct("answer_rate") },
    ],
  }, true);
}

function query() {
  const period = $("period").value, date = $("date").value, view = $("view").value;
  const params = new URLSearchParams({ period, date });
  if (view === "departments" && $("department").value) params.set("department", $("department").value);
  return { view, params };
}

async function run() {
  $("report-error").textContent = "";
  const { view, params } = query();
  showDepartments(view === "departments"); // reports_departments.js
  try {
    if (view === "departments") {
      rep.report = await runDepartments(params); rep.view = view;
      $("dl-csv").disabled = false; $("dl-xlsx").disabled = false;
      return;
    }
    const report = await api(`/api/reports/${view}?${params}`);
    rep.report = report; rep.view = view;
    $("report-title").textContent = `${view === "queues" ? "队列" : "坐席"}${PERIOD_TEXT[report.period]}（${periodRange(report)}）`;
    const where = report.scope === null ? "全中心" : "所辖队列";
    $("volume-title").textContent = `${where}话务量`;
    $("rates-title").textContent = `${where}服务水平与接通率`;
    renderTable(report, view);
    renderCharts(report);
    $("dl-csv").disabled = false; $("dl-xlsx").disabled = false;
  } catch (err) {
    $("report-error").textContent = chineseError(err);
  }
}

async function download(format) {
  $("report-error").textContent = "";
  const { view, params } = query();
  params.set("format", format);
  try {
    const res = await request(`/api/reports/${view}?${params}`);
    const match = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await res.blob());
    link.download = match ? match[1] : `report.${format}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) {
    $("report-error").textContent = `下载失败：${chineseError(err)}`;
  }
}

function signOutLocally() {
  sessionStorage.removeItem("hotline.token"); rep.token = null;
  $("reports").hidden = true; $("signin").hidden = false;
}

async function enter() {
  $("signin").hidden = true;
  let me;
  try { me = await api("/api/me"); } catch (err) { signOutLocally(); $("signin-error").textContent = chineseError(err); return; }
  $("who").textContent = `${me.user_id}（${me.role === "admin" ? "管理员" : me.role === "supervisor" ? "班长" : "坐席"}）`;
  if (me.role !== "supervisor" && me.role !== "admin") { $("denied").hidden = false; return; }
  $("reports").hidden = false;
  $("date").max = shanghaiToday();
  if (!$("date").value) $("date").value = shanghaiToday();
  run();
}

$("report-form").addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
$("dl-csv").onclick = () => download("csv");
$("dl-xlsx").onclick = () => download("xlsx");
window.addEventListener("resize", () => rep.charts && Object.values(rep.charts).forEach((c) => c.resize()));

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    rep.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    enter();
  } catch (err) { $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : chineseError(err); }
});

if (rep.token) enter();
