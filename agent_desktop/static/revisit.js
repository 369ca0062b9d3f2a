"use strict";
// Revisit work list (回访工作台): citizens of replied orders (and of orders merged into them) to call back,
// where each revisit stands, the attempts made (automatic calls and agents' own), and the form an agent
// records a revisit with; "电话回访" rings the agent's phone, then the citizen.
// Endpoints: POST /api/sessions, GET /api/me, GET /api/revisits, GET /api/revisits/policy, GET /api/revisits/{number},
// POST /api/revisits/{number}/manual, POST /api/revisits/{number}/call.
const $ = (id) => document.getElementById(id);
const page = { token: sessionStorage.getItem("hotline.token"), items: [], chosen: null, chosenCitizen: null, timer: null };
const ERROR_TEXT = {
  forbidden: "无权限", revisit_not_found: "该工单已无待回访对象", revisit_finished: "该市民本轮已回访",
  illegal_transition: "工单当前状态不允许回访", main_not_replied: "主工单尚未答复", invalid_request: "请求无效",
  invalid_value: "填写内容无效", no_phone: "请先在坐席工作台签入并配置电话", revisit_not_callable: "该市民当前不能回访",
  telephony_unavailable: "电话系统暂不可用", number_not_dialable: "该市民号码无法拨打",
  revisit_in_progress: "系统正在自动回访该市民，请稍后再登记",
};
const STATUS_TEXT = { 401: "登录已失效，请重新登录", 403: "无权限", 404: "对象不存在", 409: "当前状态不允许此操作", 422: "请求无效", 502: "电话系统未能执行", 503: "服务暂不可用" };
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || STATUS_TEXT[err.status] || `操作失败（${err.message}）`;
  return err.status ? `${text}（${err.status}）` : text;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (page.token) headers.Authorization = `Bearer ${page.token}`;
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

function when(iso) { return iso ? TIME.format(new Date(iso)) : "—"; }

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function stateBadge(state) {
  const span = document.createElement("span");
  span.className = "state";
  span.dataset.state = state.value;
  span.textContent = state.label;
  return span;
}

function renderList() {
  const wanted = $("state-filter").value;
  const shown = page.items.filter((i) => !wanted || i.state.value === wanted);
  const body = $("rows");
  body.replaceChildren();
  for (const item of shown) {
    const tr = document.createElement("tr");
    tr.dataset.number = item.number;
    tr.dataset.citizen = item.citizen_order;
    if (page.chosenCitizen === item.citizen_order) tr.className = "chosen";
    const num = cell(tr, item.number);
    if (item.merged) {
      const tag = document.createElement("span");
      tag.className = "merged";
      tag.title = `并单：${item.citizen_order}`;
      tag.textContent = "并单市民";
      num.append(tag);
    }
    cell(tr, item.caller_name);
    cell(tr, item.caller_number);
    cell(tr, item.matter, "wrap");
    cell(tr, "").append(stateBadge(item.state));
    cell(tr, `${item.failed_attempts}/${item.max_attempts}`);
    cell(tr, item.state.value === "pending" && item.automatic ? when(item.next_at) : "—");
    cell(tr, item.automatic ? "自动语音" : `人工（${item.special_group.value !== "none" ? item.special_group.label : item.contact_preference.label}）`);
    const open = document.createElement("button");
    open.textContent = "回访";
    open.dataset.testid = "open";
    open.onclick = () => openDetail(item.number, item.citizen_order);
    cell(tr, "", "buttons").append(open);
    body.append(tr);
  }
  $("count").textContent = `共 ${shown.length} 位市民`;
  $("empty").hidden = shown.length > 0;
}

async function loadList() {
  try {
    page.items = await api("/api/revisits");
    $("list-error").textContent = "";
    renderList();
  } catch (err) { $("list-error").textContent = chineseError(err); }
}

function renderAttempts(detail) {
  const body = $("attempt-rows");
  body.replaceChildren();
  for (const a of detail.attempts) {
    const tr = document.createElement("tr");
    cell(tr, when(a.started_at));
    cell(tr, a.citizen_order === detail.number ? "本工单" : a.citizen_order);
    cell(tr, a.via.label);
    cell(tr, a.outcome.label);
    cell(tr, a.solved === null ? "—" : a.solved ? "已解决" : "未解决");
    cell(tr, a.satisfaction ? a.satisfaction.label : "—");
    cell(tr, a.note || "");
    cell(tr, a.actor);
    body.append(tr);
  }
  $("no-attempts").hidden = detail.attempts.length > 0;
}

function renderCitizens(detail, citizenOrder) {
  const select = $("citizen");
  select.replaceChildren();
  for (const c of detail.citizens) {
    const option = document.createElement("option");
    option.value = c.citizen_order;
    const whose = c.merged ? `并单 ${c.citizen_order}` : "本工单";
    option.textContent = `${c.caller_name} ${c.caller_number}（${whose}，${c.state.label}）`;
    option.disabled = c.state.value === "reached" || c.state.value === "unreachable";
    select.append(option);
  }
  const waiting = detail.citizens.filter((c) => c.state.value === "pending" || c.state.value === "calling");
  const open = waiting.find((c) => c.citizen_order === citizenOrder) || waiting[0];
  if (open) select.value = open.citizen_order;
  $("manual-form").hidden = !open;
  $("done").hidden = Boolean(open);
}

async function openDetail(number, citizenOrder) {
  page.chosen = number;
  page.chosenCitizen = citizenOrder;
  $("manual-ok").textContent = "";
  $("manual-error").textContent = "";
  try {
    const detail = await api(`/api/revisits/${encodeURIComponent(number)}`);
    $("detail").hidden = false;
    $("detail-number").textContent = number;
    renderAttempts(detail);
    renderCitizens(detail, citizenOrder);
    renderList();
  } catch (err) { $("list-error").textContent = chineseError(err); }
}

function syncAnswers() {
  const reached = document.querySelector("input[name=reached]:checked").value === "yes";
  $("answers").disabled = !reached;
}

$("manual-form").addEventListener("change", syncAnswers);
$("manual-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const reached = form.get("reached") === "yes";
  const body = { citizen_order: form.get("citizen_order"), reached, note: form.get("note") || "" };
  if (reached) Object.assign(body, { solved: form.get("solved") === "true", satisfaction: form.get("satisfaction") });
  $("manual-error").textContent = "";
  try {
    const detail = await api(`/api/revisits/${encodeURIComponent(page.chosen)}/manual`, { method: "POST", body: JSON.stringify(body) });
    renderAttempts(detail);
    renderCitizens(detail, body.citizen_order);
    $("manual-ok").textContent = "回访结果已登记";
    ev.target.querySelector("textarea").value = "";
  } catch (err) {
    $("manual-ok").textContent = "";
    $("manual-error").textContent = chineseError(err);
  }
  await loadList();
});

$("call").onclick = async () => {
  $("manual-error").textContent = "";
  $("manual-ok").textContent = "";
  try {
    await api(`/api/revisits/${encodeURIComponent(page.chosen)}/call`, { method: "POST", body: JSON.stringify({ citizen_order: $("citizen").value }) });
    $("manual-ok").textContent = "正在呼叫您的电话，接听后将拨打市民";
  } catch (err) { $("manual-error").textContent = chineseError(err); }
};

$("state-filter").onchange = renderList;
$("refresh").onclick = loadList;

async function enter() {
  $("signin").hidden = true;
  let me;
  try { me = await api("/api/me"); } catch (err) {
    sessionStorage.removeItem("hotline.token"); page.token = null;
    $("signin").hidden = false;
    $("signin-error").textContent = chineseError(err);
    return;
  }
  const role = { admin: "管理员", supervisor: "班长", agent: "坐席" }[me.role];
  $("who").textContent = `${me.user_id}（${role || "无权限"}）`;
  if (!role) { $("denied").hidden = false; return; }
  $("work").hidden = false;
  syncAnswers();
  api("/api/revisits/policy").then((p) => {
    const hours = p.retry_minutes % 60 === 0 ? `${p.retry_minutes / 60} 小时` : `${p.retry_minutes} 分钟`;
    $("policy").textContent = `号码已脱敏；自动回访每日 ${p.calling_hours.replace("-", "–")} 拨打，未接通 ${hours}后重拨，最多 ${p.max_attempts} 次`;
  }).catch(() => {});
  await loadList();
  page.timer = setInterval(loadList, 30000);
}

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    page.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    await enter();
  } catch (err) { $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : chineseError(err); }
});

if (page.token) enter();
