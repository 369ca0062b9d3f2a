"use strict";
// Knowledge-base editor (知识库管理) for supervisors and admins: the list with filters (status, category,
// expiring within N days, text), the edit form (each save keeps the previous text as a version), retire and
// restore, and the bulk import of a CSV or JSON file with its error report by row.
// Endpoints: POST /api/sessions, GET /api/me, GET /api/knowledge/articles, GET/PUT /api/knowledge/{id},
// POST /api/knowledge, POST /api/knowledge/{id}/retire|restore, POST /api/knowledge/import.
const $ = (id) => document.getElementById(id);
const page = { token: sessionStorage.getItem("hotline.token"), chosen: null };
const CATEGORIES = [["consult", "咨询"], ["help", "求助"], ["complaint", "投诉"], ["report", "举报"], ["suggestion", "建议"], ["praise", "表扬"]];
const ERROR_TEXT = {
  forbidden: "无权限", article_not_found: "条目不存在", article_version_conflict: "该条目已被他人修改，请重新打开后再编辑",
  import_invalid: "文件有错误，未导入任何条目", invalid_request: "填写内容无效", invalid_value: "填写内容无效",
  body_too_large: "文件过大（最大 2 MB）",
};
const STATUS_TEXT = { 401: "登录已失效，请重新登录", 403: "无权限", 404: "对象不存在", 409: "当前状态不允许此操作", 413: "文件过大", 422: "请求无效" };
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const PROBLEM_TEXT = {
  missing: "必填", string_too_short: "不能为空", string_too_long: "过长", too_long: "个数过多", enum: "取值无效",
  date_from_datetime_parsing: "日期格式应为 YYYY-MM-DD", date_parsing: "日期格式应为 YYYY-MM-DD", date_type: "日期格式应为 YYYY-MM-DD",
  string_pattern_mismatch: "格式不正确", extra_forbidden: "未知字段", string_type: "应为文字", list_type: "应为列表",
  value_error: "内容无效",
};
const FIELD_TEXT = { title: "标题", body: "正文", tags: "标签", category: "类别", expires_on: "有效期", owner_department: "责任单位" };

function chineseError(err) {
  const text = ERROR_TEXT[err.errorId] || STATUS_TEXT[err.status] || `操作失败（${err.message}）`;
  return err.status ? `${text}（${err.status}）` : text;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": options.contentType || "application/json" };
  if (page.token) headers.Authorization = `Bearer ${page.token}`;
  const res = await fetch(path, { ...options, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.message ? body.message : res.statusText);
    err.errorId = body && body.error_id;
    err.status = res.status;
    err.details = (body && body.details) || {};
    throw err;
  }
  return body;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.append(td);
  return td;
}

function stateOf(a) {
  if (a.status === "retired") return ["retired", "已下架"];
  if (a.expired) return ["expired", "已过期待复核"];
  return ["active", "有效"];
}

function articleRow(a) {
  const tr = document.createElement("tr");
  tr.dataset.id = String(a.id);
  tr.dataset.testid = "kb-row";
  if (page.chosen && page.chosen.id === a.id) tr.className = "chosen";
  cell(tr, String(a.id));
  cell(tr, a.title, "wrap");
  cell(tr, a.category_label || "—");
  cell(tr, a.tags.join("、") || "—", "wrap");
  cell(tr, a.expires_on || "长期");
  const [state, label] = stateOf(a);
  const badge = document.createElement("span");
  badge.className = "state";
  badge.dataset.state = state;
  badge.textContent = label;
  cell(tr, "").append(badge);
  cell(tr, `v${a.version}`);
  cell(tr, `${TIME.format(new Date(a.updated_at))} ${a.updated_by || a.created_by}`);
  const open = document.createElement("button");
  open.type = "button";
  open.textContent = "编辑";
  open.dataset.testid = "kb-edit";
  open.onclick = () => openArticle(a.id);
  cell(tr, "").append(open);
  return tr;
}

async function loadList() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData($("filters"))) if (String(v).trim()) params.set(k, String(v).trim());
  params.set("limit", "200");
  try {
    const found = await api(`/api/knowledge/articles?${params}`);
    $("rows").replaceChildren(...found.items.map(articleRow));
    $("count").textContent = `共 ${found.total} 条`;
    $("empty").hidden = found.items.length > 0;
    $("list-error").textContent = "";
  } catch (err) { $("list-error").textContent = chineseError(err); }
}

function fill(a) {
  const f = $("edit-form").elements;
  f.title.value = a ? a.title : "";
  f.body.value = a ? a.body : "";
  f.tags.value = a ? a.tags.join("，") : "";
  f.category.value = a && a.category ? a.category : "";
  f.owner_department.value = a && a.owner_department ? a.owner_department : "";
  f.expires_on.value = a && a.expires_on ? a.expires_on : "";
  $("retire").hidden = !a || a.status === "retired";
  $("restore").hidden = !a || a.status !== "retired";
}

function showVersions(versions) {
  $("versions").replaceChildren(...versions.map((v) => {
    const li = document.createElement("li");
    li.dataset.testid = "version";
    const head = document.createElement("strong");
    head.textContent = `v${v.version} · ${v.title}`;
    const who = document.createElement("small");
    who.textContent = ` ${v.edited_by} 于 ${TIME.format(new Date(v.edited_at))} 修改前的内容`;
    const body = document.createElement("p");
    body.textContent = v.body;
    li.append(head, who, body);
    return li;
  }));
  $("no-versions").hidden = versions.length > 0;
}

async function openArticle(id) {
  $("edit-ok").textContent = ""; $("edit-error").textContent = "";
  try {
    const a = await api(`/api/knowledge/${id}`);
    page.chosen = a;
    $("editor-title").textContent = `编辑条目 #${a.id}（v${a.version}）`;
    fill(a);
    showVersions(a.versions);
    $("editor").hidden = false;
    for (const tr of $("rows").children) tr.classList.toggle("chosen", tr.dataset.id === String(id));
  } catch (err) { $("list-error").textContent = chineseError(err); }
}

function formBody() {
  const f = $("edit-form").elements;
  return {
    title: f.title.value.trim(),
    body: f.body.value,
    tags: f.tags.value.split(/[,，;；、|]/).map((t) => t.trim()).filter(Boolean),
    category: f.category.value || null,
    owner_department: f.owner_department.value.trim() || null,
    expires_on: f.expires_on.value || null,
  };
}

async function save(ev) {
  ev.preventDefault();
  $("edit-ok").textContent = ""; $("edit-error").textContent = "";
  const body = formBody();
  try {
    const a = page.chosen
      ? await api(`/api/knowledge/${page.chosen.id}`, { method: "PUT", body: JSON.stringify({ ...body, expected_version: page.chosen.version }) })
      : await api("/api/knowledge", { method: "POST", body: JSON.stringify(body) });
    await openArticle(a.id);
    $("edit-ok").textContent = `已保存（v${a.version}）`;
    await loadList();
  } catch (err) { $("edit-error").textContent = chineseError(err); }
}

async function setRetired(retired) {
  if (!page.chosen) return;
  $("edit-ok").textContent = ""; $("edit-error").textContent = "";
  try {
    await api(`/api/knowledge/${page.chosen.id}/${retired ? "retire" : "restore"}`, { method: "POST" });
    await openArticle(page.chosen.id);
    $("edit-ok").textContent = retired ? "已下架：坐席将不再看到此条目" : "已重新上架";
    await loadList();
  } catch (err) { $("edit-error").textContent = chineseError(err); }
}

function newArticle() {
  page.chosen = null;
  $("editor-title").textContent = "新建条目";
  fill(null);
  showVersions([]);
  $("edit-ok").textContent = ""; $("edit-error").textContent = "";
  $("editor").hidden = false;
}

async function importFile(ev) {
  ev.preventDefault();
  const file = $("import-form").elements.file.files[0];
  if (!file) return;
  const kind = /\.json$/i.test(file.name) || file.type.includes("json") ? "json" : "csv";
  $("import-ok").textContent = "";
  $("import-ok").className = "ok";
  $("import-errors").hidden = true;
  try {
    const done = await api(`/api/knowledge/import?format=${kind}`, {
      method: "POST", body: await file.arrayBuffer(), contentType: kind === "json" ? "application/json" : "text/csv",
    });
    $("import-ok").textContent = `已导入 ${done.imported} 条`;
    await loadList();
  } catch (err) {
    $("import-ok").textContent = chineseError(err);
    $("import-ok").className = "error";
    const rows = (err.details.errors || []).map((e) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "import-error";
      cell(tr, e.row ? `第 ${e.row} 行` : "文件");
      cell(tr, FIELD_TEXT[e.field] || e.field || "—");
      const problem = PROBLEM_TEXT[e.type];
      cell(tr, problem ? (e.field === "category" && e.type === "enum" ? "取值无效，应为咨询、求助、投诉、举报、建议或表扬" : problem) : e.message, "wrap");
      return tr;
    });
    $("import-rows").replaceChildren(...rows);
    $("import-errors").hidden = rows.length === 0;
  }
}

for (const select of [$("filters").elements.category, $("edit-form").elements.category]) {
  for (const [value, label] of CATEGORIES) select.append(new Option(label, value));
}
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadList(); });
for (const name of ["status", "category", "expiring_within_days"]) $("filters").elements[name].onchange = loadList;
$("new").onclick = newArticle;
$("edit-form").addEventListener("submit", save);
$("retire").onclick = () => setRetired(true);
$("restore").onclick = () => setRetired(false);
$("import-form").addEventListener("submit", importFile);

async function enter() {
  $("signin").hidden = true;
  let me;
  try { me = await api("/api/me"); } catch (err) {
    sessionStorage.removeItem("hotline.token"); page.token = null;
    $("signin").hidden = false;
    $("signin-error").textContent = chineseError(err);
    return;
  }
  const role = { admin: "管理员", supervisor: "班长" }[me.role];
  $("who").textContent = `${me.user_id}（${role || "坐席"}）`;
  if (!role) { $("denied").hidden = false; return; }
  $("work").hidden = false;
  await loadList();
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
