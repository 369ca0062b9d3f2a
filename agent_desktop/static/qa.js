"use strict";
// QA page (质检): the work list of flagged and sampled calls with filters, a call's recording (the shared
// recording player), both sides' transcript with the flags marked at their segments, and the weighted
// scoring form; admins also edit the rules and the scoring items (each save is a new version).
// Sign-in as on the supervisor page (the token is shared in sessionStorage).
// Endpoints: POST /api/sessions, GET /api/me, GET /api/qa/work-list, GET /api/qa/filters,
// GET /api/qa/calls/{id}, POST /api/qa/calls/{id}/score, GET|PUT /api/qa/rules, GET|PUT /api/qa/items.
const $ = (id) => document.getElementById(id);
const qa = { token: sessionStorage.getItem("hotline.token"), me: null, call: null, player: null };
const RULE_TEXT = {
  greeting: "开头语不规范", forbidden: "服务禁语", complaint: "投诉/升级诉求",
  silence: "长时间静默", hold: "保持过长", overlap: "坐席抢话",
};
const SIDE_TEXT = { agent: "坐席", caller: "来电人", both: "双方" };
const STATE_TEXT = { open: "待评分", scored: "已评分", skipped: "未入列" };
const ROLE_TEXT = { admin: "管理员", supervisor: "班长", qa: "质检员", agent: "坐席" };
const MARKS = [["1", "符合"], ["0.5", "部分符合"], ["0", "不符合"]];
const ERROR_TEXT = {
  forbidden: "无权限", already_scored: "该通话已评分", not_on_work_list: "该通话不在质检列表中",
  bad_marks: "评分项与当前版本不一致，请刷新", version_conflict: "他人同时保存了新版本，请刷新后再保存",
  invalid_request: "输入无效", bad_date_range: "结束日期早于开始日期", not_inspected: "该通话尚未质检",
};

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || (err.status === 401 ? "登录已失效，请重新登录" : `操作失败（${err.message}）`);
  return err.status ? `${text}（${err.status}）` : text;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (qa.token) headers.Authorization = `Bearer ${qa.token}`;
  const res = await fetch(path, { ...options, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.status = res.status;
    err.details = body && body.details;
    throw err;
  }
  return body;
}

const clock = (s) => `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
const localTime = (iso) => new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });

function ruleTag(rule) {
  return el("span", { class: "rule-tag", "data-rule": rule }, rule === "sampled" ? "随机抽检" : RULE_TEXT[rule] || rule);
}

// ---- work list ----
async function loadFilters() {
  const values = await api("/api/qa/filters");
  const agents = $("f-agent"); const queues = $("f-queue");
  const keepA = agents.value; const keepQ = queues.value;
  agents.replaceChildren(el("option", { value: "" }, "全部"), ...values.agents.map((a) => el("option", { value: a.agent_id }, `${a.name}（${a.agent_id}）`)));
  queues.replaceChildren(el("option", { value: "" }, "全部"), ...values.queues.map((q) => el("option", { value: q }, q)));
  agents.value = keepA; queues.value = keepQ;
}

async function loadList() {
  $("list-error").textContent = "";
  const params = new URLSearchParams();
  new FormData($("filter-form")).forEach((v, k) => { if (v) params.set(k, v); });
  try {
    const { calls } = await api(`/api/qa/work-list?${params}`);
    const rows = calls.map((c) => {
      const tr = el("tr", { "data-call": c.call_id });
      const tags = el("td");
      c.rules.forEach((r) => tags.append(ruleTag(r)));
      const open = el("button", { type: "button", "data-testid": `open-${c.call_id}` }, c.state === "open" ? "质检" : "查看");
      open.onclick = () => openCall(c.call_id);
      const buttons = el("td", { class: "buttons" }); buttons.append(open);
      tr.append(
        el("td", {}, localTime(c.call_started_at)), el("td", {}, c.call_id), el("td", {}, c.agent_id || "—"),
        el("td", {}, c.queue || "—"), el("td", {}, [c.flag_count ? "命中规则" : "", c.sampled ? "随机抽检" : ""].filter(Boolean).join("、")),
        tags, el("td", { "data-state": c.state }, STATE_TEXT[c.state] || c.state), el("td", {}, c.score == null ? "—" : c.score.toFixed(1)), buttons,
      );
      return tr;
    });
    $("list-rows").replaceChildren(...(calls.length ? rows : [emptyRow()]));
  } catch (err) {
    $("list-error").textContent = chineseError(err);
  }
}

function emptyRow() {
  const tr = el("tr");
  tr.append(el("td", { colspan: "9" }, "没有符合条件的通话"));
  return tr;
}

// ---- one call ----
function flaggedBy(flags, seg) {
  return flags.filter((f) => (f.side === seg.side || f.side === "both")
    && f.rule !== "greeting" && f.rule !== "silence" && f.rule !== "hold"
    && seg.start_s < f.end_s + 0.01 && f.start_s < seg.end_s + 0.01);
}

function renderTranscript(view) {
  const items = view.segments.map((seg) => {
    const li = el("li", { "data-side": seg.side });
    const hits = flaggedBy(view.flags, seg);
    if (hits.length) { li.classList.add("flagged"); li.setAttribute("data-testid", "flagged-segment"); }
    const text = el("span", { class: "x" });
    hits.forEach((f) => text.append(ruleTag(f.rule)));
    text.append(document.createTextNode(seg.text));
    li.append(el("span", { class: "t" }, clock(seg.start_s)), el("span", { class: "s" }, SIDE_TEXT[seg.side] || seg.side), text);
    return li;
  });
  $("transcript").replaceChildren(...(items.length ? items : [el("li", {}, "没有转写内容")]));
  const flags = view.flags.map((f) => {
    const li = el("li", { "data-rule": f.rule });
    li.append(ruleTag(f.rule), document.createTextNode(`${clock(f.start_s)}–${clock(f.end_s)} ${SIDE_TEXT[f.side] || f.side}：${f.excerpt}`));
    return li;
  });
  if (view.sampled && !flags.length) flags.push(el("li", {}, "未命中规则（随机抽检）"));
  $("flags").replaceChildren(...flags);
}

function currentMarks() {
  const marks = {};
  $("items").querySelectorAll("select").forEach((s) => { marks[s.name] = Number(s.value); });
  return marks;
}

function previewScore(items) {
  const marks = currentMarks();
  const total = items.reduce((sum, i) => sum + i.weight, 0);
  const got = items.reduce((sum, i) => sum + i.weight * (marks[i.key] ?? 0), 0);
  $("score-preview").textContent = total ? (100 * got / total).toFixed(1) : "—";
}

function renderScoring(view) {
  const scored = view.score;
  const items = view.items.items;
  const itemsVersion = scored ? scored.items_version : view.items.version;
  $("items-version").textContent = itemsVersion ? `评分项第 ${itemsVersion} 版` : "系统默认评分项";
  $("items").replaceChildren(...items.map((i) => {
    const tr = el("tr");
    const select = el("select", { name: i.key, "data-testid": `mark-${i.key}` });
    MARKS.forEach(([v, t]) => select.append(el("option", { value: v }, t)));
    if (scored && scored.marks[i.key] !== undefined) select.value = String(scored.marks[i.key]);
    select.disabled = Boolean(scored);
    select.onchange = () => previewScore(items);
    const weight = el("td", {}, String(i.weight));
    const cell = el("td"); cell.append(select);
    tr.append(el("td", {}, i.label), weight, cell);
    return tr;
  }));
  $("comment").value = scored ? scored.comment : "";
  $("comment").disabled = Boolean(scored);
  $("save-score").hidden = Boolean(scored);
  $("score-error").textContent = "";
  $("score-done").hidden = !scored;
  if (scored) {
    $("score-done").textContent = `已评分：${scored.score.toFixed(1)} 分（${scored.scored_by}，${localTime(scored.scored_at)}）`;
    $("score-preview").textContent = scored.score.toFixed(1);
  } else previewScore(items);
}

async function openCall(callId) {
  $("list").hidden = true; $("call-view").hidden = false;
  $("call-title").textContent = `通话 ${callId}`;
  try {
    const view = await api(`/api/qa/calls/${encodeURIComponent(callId)}`);
    qa.call = view;
    $("call-title").textContent = `通话 ${callId} · 坐席 ${view.agent_id || "—"} · 队列 ${view.queue || "—"} · ${localTime(view.call_started_at)}`;
    renderTranscript(view);
    renderScoring(view);
    mountPlayer(view);
  } catch (err) {
    $("score-error").textContent = chineseError(err);
  }
}

async function mountPlayer(view) {
  if (qa.player) { qa.player.destroy(); qa.player = null; }
  const box = $("player");
  if (window.RecordingPlayer && window.WaveSurfer) {
    qa.player = await window.RecordingPlayer.mount(box, view.call_id, qa.token);
    return;
  }
  box.replaceChildren(...view.recordings.filter((r) => r.status === "saved").map((r) => {
    const audio = el("audio", { controls: "", preload: "none", "data-side": r.side });
    fetch(`/api/recordings/${encodeURIComponent(r.recording_id)}/audio`, { headers: { Authorization: `Bearer ${qa.token}` } })
      .then((res) => (res.ok ? res.blob() : null)).then((blob) => { if (blob) audio.src = URL.createObjectURL(blob); });
    const p = el("p", {}, `${SIDE_TEXT[r.side]}（第 ${r.segment + 1} 段）`); p.append(audio);
    return p;
  }));
}

$("score-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const view = qa.call;
  $("score-error").textContent = "";
  try {
    const body = { items_version: view.items.version, marks: currentMarks(), comment: $("comment").value };
    const saved = await api(`/api/qa/calls/${encodeURIComponent(view.call_id)}/score`, { method: "POST", body: JSON.stringify(body) });
    qa.call = { ...view, ...saved };
    renderScoring(qa.call);
  } catch (err) {
    $("score-error").textContent = chineseError(err);
  }
});

$("back").onclick = () => {
  if (qa.player) { qa.player.destroy(); qa.player = null; }
  $("call-view").hidden = true; $("list").hidden = false; loadList();
};
$("filter-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });

// ---- settings (admins) ----
const lines = (text) => text.split(/[\n,，、]/).map((w) => w.trim()).filter(Boolean);

async function loadRules() {
  const { version, rules } = await api("/api/qa/rules");
  $("rules-version").textContent = version ? `当前第 ${version} 版` : "当前为系统默认";
  const form = $("rules-form");
  ["greeting", "forbidden", "complaint", "silence", "hold", "overlap"].forEach((r) => { form.elements[`${r}.enabled`].checked = rules[r].enabled; });
  form.elements["greeting.phrases"].value = rules.greeting.phrases.join("\n");
  form.elements["greeting.min_phrases"].value = rules.greeting.min_phrases;
  form.elements["greeting.within_s"].value = rules.greeting.within_s;
  form.elements["forbidden.words"].value = rules.forbidden.words.join("\n");
  form.elements["complaint.words"].value = rules.complaint.words.join("\n");
  ["silence", "hold", "overlap"].forEach((r) => { form.elements[`${r}.max_s`].value = rules[r].max_s; });
  form.elements.sample_rate.value = +(rules.sample_rate * 100).toFixed(2);
}

function rulesFromForm() {
  const f = $("rules-form").elements;
  const duration = (r) => ({ enabled: f[`${r}.enabled`].checked, max_s: Number(f[`${r}.max_s`].value) });
  return {
    greeting: { enabled: f["greeting.enabled"].checked, phrases: lines(f["greeting.phrases"].value), min_phrases: Number(f["greeting.min_phrases"].value), within_s: Number(f["greeting.within_s"].value) },
    forbidden: { enabled: f["forbidden.enabled"].checked, words: lines(f["forbidden.words"].value) },
    complaint: { enabled: f["complaint.enabled"].checked, words: lines(f["complaint.words"].value) },
    silence: duration("silence"), hold: duration("hold"), overlap: duration("overlap"),
    sample_rate: Number(f.sample_rate.value) / 100,
  };
}

$("rules-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const saved = await api("/api/qa/rules", { method: "PUT", body: JSON.stringify(rulesFromForm()) });
    $("rules-msg").textContent = "";
    await loadRules();
    $("rules-version").textContent = `已保存为第 ${saved.version} 版`;
  } catch (err) { $("rules-msg").textContent = chineseError(err); }
});

function itemRow(item) {
  const tr = el("tr");
  const cells = [["key", item.key, "text"], ["label", item.label, "text"], ["weight", item.weight, "number"]].map(([name, value, type]) => {
    const td = el("td"); td.append(el("input", { name, value: String(value), type, required: "" })); return td;
  });
  const remove = el("button", { type: "button" }, "删除"); remove.onclick = () => tr.remove();
  const td = el("td", { class: "buttons" }); td.append(remove);
  tr.append(...cells, td);
  return tr;
}

async function loadItems() {
  const body = await api("/api/qa/items");
  $("items-set-version").textContent = body.version ? `当前第 ${body.version} 版` : "当前为系统默认";
  $("item-rows").replaceChildren(...body.items.map(itemRow));
}

$("add-item").onclick = () => $("item-rows").append(itemRow({ key: "", label: "", weight: 10 }));
$("items-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const items = [...$("item-rows").querySelectorAll("tr")].map((tr) => ({
    key: tr.querySelector("[name=key]").value.trim(), label: tr.querySelector("[name=label]").value.trim(),
    weight: Number(tr.querySelector("[name=weight]").value),
  }));
  try {
    await api("/api/qa/items", { method: "PUT", body: JSON.stringify({ items }) });
    $("items-msg").textContent = "";
    await loadItems();
  } catch (err) { $("items-msg").textContent = chineseError(err); }
});

function showTab(name) {
  document.querySelectorAll(".qa-tabs .tab").forEach((t) => t.setAttribute("aria-selected", String(t.dataset.tab === name)));
  $("tab-list").hidden = name !== "list"; $("tab-settings").hidden = name !== "settings";
  if (name === "settings") Promise.all([loadRules(), loadItems()]).catch((err) => { $("rules-msg").textContent = chineseError(err); });
}
document.querySelectorAll(".qa-tabs .tab").forEach((t) => { t.onclick = () => showTab(t.dataset.tab); });

// ---- sign-in ----
function signOutLocally() {
  sessionStorage.removeItem("hotline.token"); qa.token = null;
  $("qa").hidden = true; $("signin").hidden = false;
}

async function enter() {
  $("signin").hidden = true;
  try { qa.me = await api("/api/me"); } catch (err) { signOutLocally(); $("signin-error").textContent = chineseError(err); return; }
  $("who").textContent = `${qa.me.user_id}（${ROLE_TEXT[qa.me.role] || qa.me.role}）`;
  if (!["qa", "supervisor", "admin"].includes(qa.me.role)) { $("denied").hidden = false; return; }
  $("qa").hidden = false;
  $("reports-link").hidden = qa.me.role === "qa";
  $("tab-settings").hidden = true;
  document.querySelector('[data-tab="settings"]').hidden = qa.me.role !== "admin";
  await loadFilters().catch(() => {});
  loadList();
}

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    qa.token = s.token; sessionStorage.setItem("hotline.token", s.token);
    enter();
  } catch (err) { $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : chineseError(err); }
});

if (qa.token) enter();
