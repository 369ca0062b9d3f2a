"use strict";
// Supervisor page: sign-in (as on the agent page), the live board (supervisor_board.js) over the desktop
// websocket (protocol v1.2 queue_figures frames), today's KPIs (supervisor_kpis.js, queue_kpis frames),
// the chats live (supervisor_chats.js, protocol 1.4 queue_chats frames),
// the centre switches (supervisor_switches.js), listening in from the supervisor's browser phone
// (softphone.js; the spy call the server rings it with is answered by itself) and actions on agents.
// Endpoints: POST /api/sessions, GET /api/me, GET /api/me/phone, GET /api/agents, GET /api/supervisor/queues,
// GET /api/supervisor/queue-settings (thresholds, pause reasons), GET|PUT /api/supervisor/switches[/...],
// POST /api/supervisor/agents/{id}/listen, PUT|DELETE /api/supervisor/sessions/{id}[/mode],
// POST /api/supervisor/sessions/{id}/take-over, POST /api/supervisor/agents/{id}/actions, GET /api/chat/figures.
const $ = (id) => document.getElementById(id);
const sup = { token: sessionStorage.getItem("hotline.token"), ws: null, retry: 0, session: null, ticker: null };
const MODE_LABEL = { listen: "监听", whisper: "耳语", barge: "强插" };
const ACTION_LABEL = { ready: "置闲", pause: "暂停", log_out: "签出" };
const ERROR_TEXT = {
  queue_not_supervised: "不在您监管的队列", agent_not_supervised: "该坐席不在您监管的队列", forbidden: "无权限",
  agent_not_signed_in: "该坐席未签入", no_live_call: "该坐席当前没有通话", no_phone: "您没有可用的电话：请配置电话或使用浏览器软电话",
  no_supervision_session: "监听会话已结束", unknown_pause_reason: "系统未配置该暂停原因", reason_required: "暂停需要填写原因",
  supervision_unavailable: "监控服务未启动", agent_busy: "该坐席正在通话，稍后再试",
  notice_not_spoken: "通知语音生成失败", notice_text_empty: "通知内容为空", ivr_unavailable: "导航服务未启动",
  unknown_flag: "当前导航流程没有该开关",
};
const STATUS_TEXT = { 401: "登录已失效，请重新登录", 403: "不在您监管的队列", 404: "对象不存在", 409: "当前状态不允许此操作", 422: "请求无效", 502: "电话系统未能执行", 503: "服务暂不可用" };
const SPY_ANSWER_WINDOW_MS = 30000;

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || STATUS_TEXT[err.status] || `操作失败（${err.message}）`;
  return err.status ? `${text}（${err.status}）` : text;
}

function log(text) {
  const li = document.createElement("li");
  li.textContent = `${clockTime(Date.now())} ${text}`;
  $("log").prepend(li);
  while ($("log").children.length > 200) $("log").lastChild.remove();
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (sup.token) headers.Authorization = `Bearer ${sup.token}`;
  const res = await fetch(path, { ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.status = res.status;
    throw err;
  }
  return body;
}

// The browser phone; a call arriving soon after the page asked to listen in is the spy call: answered.
class SupervisorPhone extends Softphone {
  onSession(event) {
    super.onSession(event);
    if (event.originator !== "remote" || this.session !== event.session) return;
    if (Date.now() - (this.expectSpyAt || 0) > SPY_ANSWER_WINDOW_MS) return;
    this.expectSpyAt = 0;
    setTimeout(() => this.answer(), 0);
  }

  showInCall(who) {
    super.showInCall(who);
    if (sup.session) log(`软电话已接通：${MODE_LABEL[sup.session.mode] || ""}坐席 ${sup.session.agent_id}`);
  }

  onEnded(session, cause) {
    const ours = session === this.session;
    super.onEnded(session, cause);
    if (ours && sup.session) { log("监听通话已结束"); showSession(null); }
  }
}

const phone = new SupervisorPhone({
  status: $("phone-status"), incoming: $("incoming"), incomingFrom: $("incoming-from"), inCall: $("in-call"),
  peer: $("call-peer"), timer: $("call-timer"), mute: $("btn-mute"), audio: $("remote-audio"),
});
window.__hotline_phone = phone;

function showSession(session) {
  sup.session = session;
  $("spy").hidden = !session;
  board.setSpyAgent(session ? session.agent_id : null);
  if (!session) return;
  $("spy-agent").textContent = board.names[session.agent_id] || session.agent_id;
  $("spy-mode").textContent = MODE_LABEL[session.mode] || session.mode;
  $("spy-mode").dataset.mode = session.mode;
  for (const b of $("spy").querySelectorAll("button[data-mode]")) b.setAttribute("aria-pressed", String(b.dataset.mode === session.mode));
}

async function attempt(what, fn) {
  $("action-error").textContent = "";
  try {
    await fn();
  } catch (err) {
    $("action-error").textContent = `${what}失败：${chineseError(err)}`;
    log(`${what}失败：${chineseError(err)}`);
  }
}

const actions = {
  spy: (agentId, mode) => attempt(MODE_LABEL[mode], async () => {
    if (sup.session && sup.session.agent_id === agentId) {
      showSession(await api(`/api/supervisor/sessions/${sup.session.session_id}/mode`, { method: "PUT", body: JSON.stringify({ mode }) }));
      log(`切换为${MODE_LABEL[mode]}`);
      return;
    }
    if (sup.session) await actions.leave();
    phone.expectSpyAt = Date.now();
    showSession(await api(`/api/supervisor/agents/${agentId}/listen`, { method: "POST", body: JSON.stringify({ mode }) }));
    log(`${MODE_LABEL[mode]}坐席 ${agentId}，等待软电话接通`);
  }),
  takeOver: () => attempt("接管", async () => {
    if (!sup.session) return;
    const res = await api(`/api/supervisor/sessions/${sup.session.session_id}/take-over`, { method: "POST" });
    log(`已接管坐席 ${res.session.agent_id} 的来电`);
    showSession(null);
  }),
  leave: () => attempt("离开", async () => {
    if (!sup.session) return;
    const id = sup.session.session_id;
    showSession(null);
    await api(`/api/supervisor/sessions/${id}`, { method: "DELETE" });
    log("已离开监听");
  }),
  act: (agentId, action) => attempt(ACTION_LABEL[action], async () => {
    const reason = action === "pause" ? $("pause-reason").value : "";
    if (action === "pause" && !reason) throw Object.assign(new Error("no reason"), { errorId: "reason_required" });
    await api(`/api/supervisor/agents/${agentId}/actions`, { method: "POST", body: JSON.stringify({ action, reason }) });
    log(`已将坐席 ${agentId} ${ACTION_LABEL[action]}${reason ? `（${reason}）` : ""}`);
  }),
};

const board = new SupervisorBoard({
  queueRows: $("queue-rows"), agentRows: $("agent-rows"), at: $("figures-at"), thresholdNote: $("threshold-note"),
  waitingChart: $("chart-waiting"), handledChart: $("chart-handled"),
}, actions);
const kpis = new SupervisorKpis({ rows: $("kpi-rows"), at: $("kpis-at"), chart: $("chart-sl") }, board);
const chats = new SupervisorChats({ rows: $("chat-rows"), at: $("chats-at") }, board);
board.onMine = () => chats.render();
const switches = new CentreSwitches({
  surge: $("surge-switch"), surgeState: $("surge-state"), emergency: $("emergency-switch"),
  emergencyState: $("emergency-state"), text: $("emergency-text"), save: $("emergency-save"), error: $("switch-error"),
}, api, log);

function onFrame(frame) {
  if (frame.type === "queue_figures") board.onFigures(frame.data);
  else if (frame.type === "queue_kpis") kpis.onKpis(frame.data || frame);
  else if (frame.type === "queue_chats") chats.onChats(frame.data);
  else if (frame.type === "agent_supervisor_action") {
    const d = frame.data;
    if (d.by !== sup.userId) log(`${d.by} 将坐席 ${d.agent_id} ${ACTION_LABEL[d.action] || d.action}${d.reason ? `（${d.reason}）` : ""}`);
  } else if (frame.type === "hello") { log("已同步"); chats.load(api); }
  else if (frame.type === "resync_needed") send({ type: "sync" });
}

function send(frame) {
  if (sup.ws && sup.ws.readyState === WebSocket.OPEN) sup.ws.send(JSON.stringify({ v: 1, ...frame }));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/v1`);
  sup.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ v: 1, type: "auth", token: sup.token }));
    sup.retry = 0; $("conn").textContent = "已连接"; $("conn").className = "badge on";
  };
  ws.onmessage = (ev) => onFrame(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    $("conn").textContent = "未连接"; $("conn").className = "badge off";
    if (ev.code === 4401) { signOutLocally(); return; }
    setTimeout(connect, Math.min(10000, 250 * 2 ** sup.retry++));
  };
}

function signOutLocally() {
  sessionStorage.removeItem("hotline.token"); sup.token = null;
  phone.stop();
  switches.stop();
  clearInterval(sup.ticker);
  $("board").hidden = true; $("signin").hidden = false;
}

async function startPhone() {
  $("phone-error").textContent = "";
  try {
    phone.start(await api("/api/me/phone"));
  } catch (err) {
    phone.setStatus("none", "无软电话");
    $("phone-error").textContent = err.errorId === "no_browser_phone" ? "监听将呼叫您配置的电话" : chineseError(err);
  }
}

async function loadDirectory() {
  const [agents, mine, settings] = await Promise.all([
    api("/api/agents"), api("/api/supervisor/queues"), api("/api/supervisor/queue-settings"),
  ]);
  board.setNames(Object.fromEntries(agents.map((a) => [a.agent_id, a.name])));
  board.setMine(mine.queues);
  board.setSettings(settings);
  $("sl-heading").textContent = `服务水平（${settings.service_level_s}秒）`;
  kpis.render();
  const reasons = settings.pause_reasons.map((r) => Object.assign(document.createElement("option"), { value: r, textContent: r }));
  $("pause-reason").replaceChildren(...reasons);
}

async function enterBoard() {
  $("signin").hidden = true;
  let me;
  try { me = await api("/api/me"); } catch (err) { signOutLocally(); $("signin-error").textContent = chineseError(err); return; }
  sup.userId = me.user_id;
  $("who").textContent = `${me.user_id}（${me.role === "admin" ? "管理员" : me.role === "supervisor" ? "班长" : "坐席"}）`;
  if (me.role !== "supervisor" && me.role !== "admin") { $("denied").hidden = false; return; }
  $("board").hidden = false;
  board.resize();
  kpis.resize();
  switches.start();
  sup.ticker = setInterval(() => board.tick(), 1000);
  connect();
  startPhone();
  loadDirectory().catch((err) => { $("action-error").textContent = chineseError(err); });
}

$("btn-answer").onclick = () => phone.answer();
$("btn-hangup").onclick = () => (sup.session ? actions.leave() : phone.hangup());
$("btn-mute").onclick = () => phone.toggleMute();
for (const b of $("spy").querySelectorAll("button[data-mode]")) b.onclick = () => sup.session && actions.spy(sup.session.agent_id, b.dataset.mode);
$("spy-take-over").onclick = () => actions.takeOver();
$("spy-leave").onclick = () => actions.leave();

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    sup.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    enterBoard();
  } catch (err) { $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : chineseError(err); }
});

if (sup.token) enterBoard();
