"use strict";
// Department portal (承办单位工作台): sign-in as on the agent page, the inbox of orders whose main department
// is the user's or below it with working-day countdowns, one order's detail and history, and the
// department's steps (签收, 退单, 延期申请, 下派, 答复 with attachments), each behind a dialog.
// Endpoints: POST|DELETE /api/sessions, GET /api/dept/me, GET /api/dept/orders[?status=],
// GET /api/dept/orders/{n}, POST /api/dept/orders/{n}/sign|return|extension|hand-down|reply,
// GET /api/dept/orders/{n}/attachments/{id}.
const $ = (id) => document.getElementById(id);
const st = { token: sessionStorage.getItem("hotline.token"), me: null, order: null, names: {} };
const STATUS = {
  intake: "已受理", dispatched: "已派单", signed: "已签收", handling: "办理中", replied: "已答复",
  callback_done: "已回访", evaluated: "已评价", closed: "已办结", returned: "已退单", merged: "已并单",
};
const EVENT = {
  created: "受理", amended: "修改", dispatch: "派单", sign: "签收", return: "退单", start_handling: "开始办理",
  reply: "答复", call_back: "回访", evaluate: "评价", close: "办结", redispatch: "改派", redo: "重办",
  reopen: "重新打开", hand_down: "下派", request_extension: "延期申请", approve_extension: "同意延期",
  refuse_extension: "不同意延期", call_back_failed: "回访未接通", close_unreachable: "回访未果办结",
  merge: "并单", merge_in: "并入工单", answer_directly: "直接答复",
};
const EXTENSION = { requested: "待审核", approved: "已同意", refused: "未同意" };
const ERROR_TEXT = {
  return_limit_passed: "已超过退单时限", illegal_transition: "当前状态不允许此操作",
  attachment_too_large: "附件超过 10 MB", attachment_type_not_allowed: "附件类型不支持（仅限 PDF、JPG、PNG、DOCX、XLSX）",
  too_many_attachments: "附件最多 5 个", not_below: "只能下派给本单位的下级单位",
  extension_too_long: "延期工作日超出上限", extension_pending: "已有待审核的延期申请",
  work_order_not_found: "工单不存在或不在本单位范围内", department_user_disabled: "账号已停用",
  department_only: "仅供承办单位用户使用", invalid_value: "填写内容无效", invalid_request: "填写内容无效",
  body_too_large: "上传内容过大",
};
const STATUS_TEXT = { 401: "登录已失效，请重新登录", 403: "无权限", 404: "对象不存在", 409: "当前状态不允许此操作", 413: "上传内容过大", 415: "附件类型不支持", 422: "填写内容无效" };
const STEPS = [["sign", "签收"], ["handle", "办理"], ["reply", "答复"]];

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || STATUS_TEXT[err.status] || `操作失败（${err.message}）`;
  return err.status ? `${text}（${err.status}）` : text;
}

async function api(path, options = {}) {
  const headers = {};
  if (!(options.body instanceof FormData) && options.body) headers["Content-Type"] = "application/json";
  if (st.token) headers.Authorization = `Bearer ${st.token}`;
  const res = await fetch(path, { ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.status = res.status;
    if (res.status === 401) signOutLocally();
    throw err;
  }
  return body;
}

const pad = (n) => String(n).padStart(2, "0");
function when(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function span(seconds) {
  const s = Math.abs(seconds);
  if (s >= 86400) return `${Math.floor(s / 86400)} 天 ${Math.floor((s % 86400) / 3600)} 小时`;
  if (s >= 3600) return `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分`;
  return `${Math.max(1, Math.floor(s / 60))} 分钟`;
}

// Working days while at least one is left; then the clock time until the deadline.
function countdownText(c, due) {
  if (!c) return due ? "已完成" : "—";
  if (c.level === "overdue") return `已超期 ${span(c.seconds_left)}`;
  const days = Math.floor(c.working_days_left * 10) / 10;
  if (days >= 1) return `剩 ${days.toFixed(1)} 个工作日`;
  return `剩 ${span(c.seconds_left)}`;
}

function countdownCell(td, c, due) {
  td.textContent = countdownText(c, due);
  td.dataset.level = c ? c.level : "done";
  if (c) td.title = `截止 ${when(c.due)}`;
}

function cell(tr, text, field) {
  const td = document.createElement("td");
  td.textContent = text;
  if (field) td.dataset.field = field;
  tr.append(td);
  return td;
}

async function loadInbox() {
  $("inbox-error").textContent = "";
  const status = $("status-filter").value;
  let items;
  try { items = await api(`/api/dept/orders${status ? `?status=${status}` : ""}`); } catch (err) { $("inbox-error").textContent = chineseError(err); return; }
  const rows = items.map((o) => {
    const tr = document.createElement("tr");
    tr.dataset.number = o.number;
    tr.tabIndex = 0;
    cell(tr, o.number, "number");
    cell(tr, o.status.label, "status").dataset.status = o.status.value;
    cell(tr, o.category.label);
    cell(tr, o.urgency.label).dataset.urgency = o.urgency.value;
    cell(tr, o.matter, "matter");
    cell(tr, o.main_department_name, "main");
    for (const [step] of STEPS) countdownCell(cell(tr, "", step), o.countdowns[step], o.dispatched_at);
    tr.onclick = () => openOrder(o.number);
    tr.onkeydown = (ev) => { if (ev.key === "Enter") openOrder(o.number); };
    if (st.order && st.order.order.number === o.number) tr.classList.add("current");
    return tr;
  });
  $("inbox-rows").replaceChildren(...rows);
  $("inbox-empty").hidden = items.length > 0;
  await loadSupervision();
}

function field(dl, name, value) {
  const dt = document.createElement("dt"); dt.textContent = name;
  const dd = document.createElement("dd"); dd.textContent = value || "—";
  dl.append(dt, dd);
}

const SATISFACTION = { satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意" };

function historyNote(h) {
  const d = h.detail || {};
  const parts = [];
  if (d.reason) parts.push(`理由：${d.reason}`);
  if (d.to) parts.push(`下派至 ${st.names[d.to] || d.to}`);
  if (d.main && h.event !== "hand_down") parts.push(`主办 ${st.names[d.main] || d.main}`);
  if (d.working_days) parts.push(`${d.working_days} 个工作日`);
  if (d.text) parts.push(d.text);
  if (Array.isArray(d.attachments) && d.attachments.length) parts.push(`附件 ${d.attachments.map((a) => a.name).join("、")}`);
  if (d.on_time === false) parts.push("超时");
  if (typeof d.solved === "boolean") parts.push(d.solved ? "已解决" : "未解决");
  if (d.satisfaction) parts.push(SATISFACTION[d.satisfaction] || d.satisfaction);
  if (d.via) parts.push(d.via === "phone" ? "电话回访" : "人工回访");
  return parts.join("；");
}

function showDetail(detail) {
  st.order = detail;
  Object.assign(st.names, detail.department_names);
  const o = detail.order;
  $("missing").hidden = true; $("detail").hidden = false;
  $("d-number").textContent = o.number;
  $("d-status").textContent = o.status.label; $("d-status").dataset.status = o.status.value;
  const dl = $("d-fields"); dl.replaceChildren();
  const main = o.departments.find((d) => d.role === "main");
  field(dl, "主办单位", main ? main.name : "");
  field(dl, "来电人", `${o.caller.name || "匿名"} ${o.caller.number}${o.caller.confidential ? "（保密）" : ""}`);
  field(dl, "类别 / 紧急程度", `${o.category.label} / ${o.urgency.label}`);
  field(dl, "事项", o.matter);
  field(dl, "诉求内容", o.content);
  field(dl, "地址", o.address);
  const e = o.elements;
  if (Object.values(e).some(Boolean)) field(dl, "五要素", [e.who, e.when, e.where, e.what, e.how].filter(Boolean).join("；"));
  field(dl, "派单时间", o.dispatched_at ? when(o.dispatched_at) : "");
  const cds = STEPS.map(([step, name]) => {
    const div = document.createElement("div"); div.className = "countdown";
    const b = document.createElement("b"); b.textContent = `${name}时限`;
    const v = document.createElement("span"); countdownCell(v, detail.countdowns[step], o[`${step}_due`]); v.dataset.step = step;
    const due = document.createElement("small"); due.textContent = o[`${step}_due`] ? when(o[`${step}_due`]) : "";
    div.append(b, v, due); return div;
  });
  $("d-countdowns").replaceChildren(...cds);
  $("d-attachments").replaceChildren(...(detail.attachments.length ? detail.attachments.map((a) => {
    const li = document.createElement("li"); const btn = document.createElement("button");
    btn.className = "link"; btn.textContent = `${a.name}（${(a.size / 1024).toFixed(1)} KB）`; btn.dataset.testid = "attachment";
    btn.onclick = () => download(a); li.append(btn); return li;
  }) : [Object.assign(document.createElement("li"), { textContent: "无", className: "note" })]));
  $("d-extensions").replaceChildren(...(detail.extensions.length ? detail.extensions.map((x) => Object.assign(document.createElement("li"),
    { textContent: `${x.working_days} 个工作日（${EXTENSION[x.status] || x.status}）：${x.reason}${x.note ? `；中心意见：${x.note}` : ""}` }))
    : [Object.assign(document.createElement("li"), { textContent: "无", className: "note" })]));
  $("d-history").replaceChildren(...o.history.map((h) => {
    const tr = document.createElement("tr");
    cell(tr, when(h.at), "at"); cell(tr, EVENT[h.event] || h.event, "event"); cell(tr, STATUS[h.to_status] || h.to_status, "status");
    cell(tr, h.actor); cell(tr, historyNote(h)); return tr;
  }));
  const s = o.status.value, open = ["signed", "handling"].includes(s);
  const returnable = ["dispatched", "signed"].includes(s) && (!detail.return_due || new Date(detail.return_due) > new Date());
  $("act-sign").disabled = s !== "dispatched";
  $("act-return").disabled = !returnable;
  $("act-extension").disabled = !open;
  $("act-hand-down").disabled = !(open || s === "dispatched") || !detail.hand_down_to.length;
  $("act-reply").disabled = !open;
  $("return-note").textContent = detail.return_due ? `退单时限：${when(detail.return_due)} 前` : "";
  const to = detail.hand_down_to.map((d) => Object.assign(document.createElement("option"), { value: d.code, textContent: `${d.name}（${d.level.label}）` }));
  document.querySelector("#dlg-hand-down select").replaceChildren(...to);
  for (const tr of $("inbox-rows").children) tr.classList.toggle("current", tr.dataset.number === o.number);
  showOrderSupervision(o.number);
}

async function openOrder(number) {
  $("action-error").textContent = ""; $("action-done").textContent = "";
  try {
    showDetail(await api(`/api/dept/orders/${encodeURIComponent(number)}`));
    history.replaceState(null, "", `#order=${number}`);
  } catch (err) {
    clearOrders(); $("missing").hidden = false;
    await loadInbox();
    if (err.status !== 404) $("inbox-error").textContent = chineseError(err);
  }
}

async function download(a) {
  try {
    const res = await fetch(a.url, { headers: { Authorization: `Bearer ${st.token}` } });
    if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status });
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await res.blob()), download: a.name });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (err) { $("action-error").textContent = `下载失败：${chineseError(err)}`; }
}

// Each step: a dialog, then one request; the detail and the inbox are refreshed from the answer.
function step(button, dialogId, what, send) {
  $(button).onclick = () => {
    const dlg = $(dialogId); const form = dlg.querySelector("form");
    form.reset();
    $("action-error").textContent = ""; $("action-done").textContent = "";
    dlg.onclose = async () => {
      if (dlg.returnValue !== "ok" || !st.order) return;
      try {
        const answer = await send(st.order.order.number, new FormData(form));
        if (answer && answer.order) showDetail(answer); else await openOrder(st.order.order.number);
        $("action-done").textContent = `${what}成功`;
        await loadInbox();
      } catch (err) { $("action-error").textContent = `${what}失败：${chineseError(err)}`; }
    };
    dlg.returnValue = "";
    dlg.showModal();
  };
}

const post = (number, action, body) => api(`/api/dept/orders/${encodeURIComponent(number)}/${action}`, { method: "POST", body });
step("act-sign", "dlg-sign", "签收", (n) => post(n, "sign"));
step("act-return", "dlg-return", "退单", (n, f) => post(n, "return", JSON.stringify({ reason: f.get("reason") })));
step("act-extension", "dlg-extension", "延期申请", (n, f) => post(n, "extension", JSON.stringify({ working_days: Number(f.get("working_days")), reason: f.get("reason") })));
step("act-hand-down", "dlg-hand-down", "下派", (n, f) => post(n, "hand-down", JSON.stringify({ to_department: f.get("to_department") })));
step("act-reply", "dlg-reply", "答复", (n, f) => {
  const body = new FormData();
  body.append("text", f.get("text"));
  for (const file of f.getAll("files")) if (file && file.size) body.append("files", file, file.name);
  return post(n, "reply", body);
});

// Nothing of the last user's orders stays in the page (hidden or not) after signing out.
function clearOrders() {
  for (const id of ["inbox-rows", "d-fields", "d-countdowns", "d-attachments", "d-extensions", "d-history", "d-supervision", "supervision-rows"]) $(id).replaceChildren();
  $("supervision-panel").hidden = true; $("supervision-count").textContent = "0";
  for (const id of ["d-number", "d-status", "action-error", "action-done", "inbox-error"]) $(id).textContent = "";
  $("detail").hidden = true; $("missing").hidden = true; st.order = null;
}

function signOutLocally() {
  sessionStorage.removeItem("hotline.token"); st.token = null; st.me = null;
  clearOrders();
  $("portal").hidden = true; $("denied").hidden = true; $("signin").hidden = false; $("btn-signout").hidden = true;
  $("who").textContent = "";
}

async function enterPortal() {
  $("signin").hidden = true;
  try { st.me = await api("/api/dept/me"); } catch (err) {
    if (err.status === 403 && err.errorId === "department_only") { $("denied").hidden = false; $("btn-signout").hidden = false; return; }
    signOutLocally(); $("signin-error").textContent = chineseError(err); return;
  }
  st.names = Object.fromEntries(st.me.subtree.map((d) => [d.code, d.name]));
  $("who").textContent = `${st.me.name}（${st.me.department.name}${st.me.is_dept_admin ? "，管理员" : ""}）`;
  $("dept-name").textContent = `${st.me.department.name}及下级单位`;
  $("btn-signout").hidden = false; $("portal").hidden = false;
  if (window.deptUsersReady) window.deptUsersReady();
  await loadInbox();
  const wanted = /order=([0-9-]+)/.exec(location.hash);
  if (wanted) await openOrder(wanted[1]);
}

$("status-filter").onchange = loadInbox;
$("btn-refresh").onclick = loadInbox;
$("btn-signout").onclick = async () => { try { await api("/api/sessions", { method: "DELETE" }); } catch (_) { /* signed out anyway */ } signOutLocally(); };
$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(new FormData(ev.target))) });
    st.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    ev.target.reset();
    enterPortal();
  } catch (err) { $("signin-error").textContent = err.status === 401 ? "账号或密码错误" : chineseError(err); }
});

if (st.token) enterPortal();
