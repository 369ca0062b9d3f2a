"use strict";
// Agent desktop: sign-in, ACD status, screen-pop with caller history, work-order form (workorder.js),
// call controls (callcontrol.js), browser phone (softphone.js).
// Speaks websocket protocol v1 (agent_desktop/PROTOCOL.md).
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("hotline.token"), ws: null, retry: 0, wrapTimer: null, role: "agent", callId: null };
const STATUS_LABEL = { logged_out: "未签入", available: "就绪", paused: "暂停" };
const STATE_LABEL = { idle: "空闲", offered: "振铃", on_call: "通话中", wrap_up: "话后整理" };

function log(text) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $("log").prepend(li);
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const res = await fetch(path, { ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.details = (body && body.details) || {};
    err.status = res.status;
    throw err;
  }
  return body;
}

function showAgent(agent) {
  const label = agent.status === "paused" && agent.pause_reason ? `暂停（${pauseLabel(agent.pause_reason)}）` : STATUS_LABEL[agent.status];
  $("status-label").textContent = `${label} · ${STATE_LABEL[agent.state] || agent.state}`;
  $("status-label").dataset.status = agent.status;
  $("status-label").dataset.state = agent.state;
  clearInterval(state.wrapTimer);
  $("wrapup").hidden = agent.state !== "wrap_up";
  if (agent.state === "wrap_up" && agent.wrapup_until) {
    const tick = () => { $("wrapup-left").textContent = Math.max(0, Math.round(agent.wrapup_until - Date.now() / 1000)); };
    tick(); state.wrapTimer = setInterval(tick, 500);
  }
  const chat = agent.call && String((agent.call.ivr && agent.call.ivr.tags) || "").split(",").includes("chat");
  if (chat) $("status-label").textContent = `${label} · ${agent.state === "offered" ? "文字交谈待接入" : "文字交谈中"}`;
  if (agent.call && !chat && agent.call.call_id !== state.callId) showCall(agent.call);
  controls.onAgent(agent.state);
}

const supervising = () => state.role === "supervisor" || state.role === "admin";

function showCall(call) {
  state.callId = call.call_id;
  $("screen-pop").hidden = false;
  // A sign-language video guest calls from a guest endpoint (sg01...), not a telephone number.
  const phoneLike = !call.caller || /^[0-9+-]+$/.test(call.caller);
  $("pop-caller").textContent = phoneLike ? call.caller : `视频访客（${call.caller}）`;
  $("pop-caller").dataset.masked = String(Boolean(call.masked));
  $("pop-confidential").hidden = !call.masked;
  $("pop-queue").textContent = QUEUE_LABEL[call.queue] ? `${QUEUE_LABEL[call.queue]}（${call.queue}）` : call.queue;
  $("pop-keys").textContent = (call.ivr && call.ivr.keys) || "（无）";
  $("pop-waited").textContent = call.waited_s !== undefined ? `${call.waited_s.toFixed(1)} 秒` : "";
  $("screen-pop").dataset.callId = call.call_id;
  controls.setState(call.state === "connected" ? "on_call" : "ringing");
  controls.loadColleagues();
  workOrder.reset(call);
  callerHistory.load(call, { supervising: supervising() });
}

const CALL_CHANGED_LABEL = { waiting: "排队", offered: "振铃", connected: "接通", ended: "结束" };

function offerBoard() {
  if (!supervising() || document.getElementById("board-link")) return;
  const link = document.createElement("a");
  link.id = "board-link";
  link.href = "/supervisor";
  link.textContent = "班长监控台";
  link.className = "badge";
  $("who").after(link);
}

function onHello(frame) {
  state.role = frame.role;
  offerBoard();
  if (Array.isArray(frame.queues) && frame.queues.length) controls.setQueues(frame.queues);
  showAgent(frame.agent);
  if (window.desktopChat) window.desktopChat.resume();
  log("已同步");
}

function onFrame(frame) {
  if (frame.type === "hello") onHello(frame);
  else if (frame.type === "offer") { showCall(frame.call); log(`来电 ${frame.call.caller}（${frame.call.queue}）`); }
  else if (frame.type === "agent_changed") { api("/api/me").then((me) => showAgent(me.agent)); }
  else if (frame.type === "call_changed") {
    if (frame.data.call_id === state.callId) controls.onCallChanged(frame.data.state);
    log(`通话 ${CALL_CHANGED_LABEL[frame.data.state] || frame.data.state}`);
  }
  else if (frame.type === "call_consult") {
    if (frame.data.call_id === state.callId) controls.onConsult(frame.data.phase, frame.data.target);
  }
  else if (frame.type === "agent_supervisor_action" && !supervising()) showSupervisorAction(frame.data);
  else if (frame.type === "status_ok") { showAgent(frame.agent); }
  else if (frame.type === "error") { $("status-error").textContent = frame.message; }
  else if (frame.type === "resync_needed") { send({ type: "sync" }); }
  else if (frame.type.startsWith("chat_") && window.desktopChat) window.desktopChat.onFrame(frame);
}

const SUPERVISOR_ACTION_LABEL = { ready: "置为就绪", pause: "置为暂停", log_out: "签出" };

function showSupervisorAction(d) {
  const text = `班长 ${d.by} 已将您${SUPERVISOR_ACTION_LABEL[d.action] || d.action}${d.reason ? `（${d.reason}）` : ""}`;
  $("status-error").textContent = text;
  log(text);
}

function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ v: 1, ...frame }));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/v1`);
  state.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ v: 1, type: "auth", token: state.token }));
    state.retry = 0; $("conn").textContent = "已连接"; $("conn").className = "badge on";
  };
  ws.onmessage = (ev) => {
    const at = hotlineNow();
    const frame = JSON.parse(ev.data);
    if (frame.type === "offer") hotlineMark("offer", { at, call_id: frame.call.call_id });
    onFrame(frame);
  };
  ws.onclose = (ev) => {
    $("conn").textContent = "未连接"; $("conn").className = "badge off";
    if (ev.code === 4401) { signOutLocally(); return; }
    const delay = Math.min(10000, 250 * 2 ** state.retry++);
    setTimeout(connect, delay);
  };
}

function signOutLocally() {
  sessionStorage.removeItem("hotline.token"); state.token = null;
  phone.stop();
  $("workspace").hidden = true; $("signin").hidden = false;
}

function enterWorkspace(userId) {
  $("signin").hidden = true; $("workspace").hidden = false; $("who").textContent = userId || "";
  connect();
  startPhone();
  controls.loadDirectory();
}

const phone = new Softphone({
  status: $("phone-status"), incoming: $("incoming"), incomingFrom: $("incoming-from"), inCall: $("in-call"),
  peer: $("call-peer"), timer: $("call-timer"), hold: $("btn-hold"), popHold: $("btn-pop-hold"), mute: $("btn-mute"),
  audio: $("remote-audio"),
  videoPanel: $("video-panel"), remoteVideo: $("remote-video"), localVideo: $("local-video"), camera: $("btn-camera"),
});
window.__hotline_phone = phone;
$("btn-camera").addEventListener("click", () => phone.toggleCamera());

const controls = new CallControls(api, {
  badge: $("call-state"), popState: $("pop-state"), queue: $("xfer-queue"), directory: $("directory"),
  xferQueue: $("btn-xfer-queue"), xferNumber: $("btn-xfer-number"), threeWay: $("btn-three-way"),
  leave: $("btn-leave"), hold: $("btn-pop-hold"), error: $("control-error"),
  colleague: $("colleague"), xferAgent: $("btn-xfer-agent"), consultAgent: $("btn-consult-agent"),
  consultQueue: $("btn-consult-queue"), consultNumber: $("btn-consult-number"),
  consultComplete: $("btn-consult-complete"), consultCancel: $("btn-consult-cancel"),
}, phone);

const callerHistory = new CallerHistory(api, {
  orders: $("history-orders"), calls: $("history-calls"), callsBox: $("history-calls-box"),
  count: $("history-count"), note: $("history-note"),
});

const workOrder = new WorkOrderForm(api, {
  form: $("wo-form"), suggestions: $("wo-suggestions"), kbQuery: $("kb-query"), kbSearch: $("kb-search"),
  kbResults: $("kb-results"), number: $("wo-number"), error: $("wo-error"), save: $("wo-save"),
  onSaved: (order) => log(`工单已保存 ${order.number}（${order.status.label}）`),
});

async function startPhone() {
  $("phone-error").textContent = "";
  try {
    phone.start(await api("/api/me/phone"));
  } catch (err) {
    phone.setStatus("none", "无软电话");
    $("phone-error").textContent = err.errorId === "no_browser_phone"
      ? "本分机未配置浏览器软电话，来电将呼叫您登记的电话"
      : `软电话不可用：${err.message}`;
  }
}

$("btn-answer").onclick = () => phone.answer();
$("btn-hangup").onclick = () => phone.hangup();
$("btn-hold").onclick = () => phone.toggleHold();
$("btn-mute").onclick = () => phone.toggleMute();
for (const key of $("keypad").querySelectorAll("button")) key.onclick = () => phone.sendDtmf(key.textContent);

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    state.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    enterWorkspace(s.user_id);
  } catch (err) { $("signin-error").textContent = err.message; }
});
$("btn-ready").onclick = () => send({ type: "status", status: "available" });
$("btn-pause").onclick = () => send({ type: "status", status: "paused", reason: $("pause-reason").value });
$("btn-logout").onclick = () => send({ type: "status", status: "logged_out" });

if (state.token) enterWorkspace("");
