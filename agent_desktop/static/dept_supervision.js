"use strict";
// 督办 in the department portal: the badge on the inbox (open records of the department and those below
// it), the list behind it, the records of the open order, and acknowledging one (确认督办).
// Uses dept.js's $, api, when, st, chineseError and openOrder (loaded first).
// Endpoints: GET /api/dept/supervision[?open_only=true], GET /api/dept/orders/{n}/supervision,
// POST /api/dept/supervision/{id}/acknowledge.
const SUPERVISION_ERRORS = { supervision_already_acknowledged: "该督办已确认", supervision_not_found: "督办记录不存在" };

function supervisionError(err) {
  return SUPERVISION_ERRORS[err.errorId] ? `${SUPERVISION_ERRORS[err.errorId]}（${err.status}）` : chineseError(err);
}

function unitName(code) { return code ? (st.names[code] || code) : "中心领导"; }

function supervisionTarget(r) {
  if (r.level === "leadership") return "中心领导";
  return r.escalate_to ? `${unitName(r.department)} → ${unitName(r.escalate_to)}` : unitName(r.department);
}

function ackButton(r, after) {
  const btn = document.createElement("button");
  btn.type = "button"; btn.textContent = "确认督办"; btn.dataset.testid = "supervision-ack";
  btn.onclick = async () => {
    btn.disabled = true;
    try {
      await api(`/api/dept/supervision/${r.id}/acknowledge`, { method: "POST" });
      $("action-done").textContent = `已确认督办（工单 ${r.order_number}）`;
      await after();
    } catch (err) { $("supervision-error").textContent = $("action-error").textContent = `确认失败：${supervisionError(err)}`; btn.disabled = false; }
  };
  return btn;
}

async function refreshSupervision() {
  await loadSupervision();
  if (st.order) await showOrderSupervision(st.order.order.number);
}

async function loadSupervision() {
  $("supervision-error").textContent = "";
  let open, shown;
  try {
    open = await api("/api/dept/supervision?open_only=true&limit=200");
    shown = $("supervision-open-only").checked ? open : await api("/api/dept/supervision?limit=200");
  } catch (err) { $("supervision-error").textContent = supervisionError(err); return; }
  $("supervision-count").textContent = open.length >= 200 ? "200+" : String(open.length);
  $("btn-supervision").dataset.open = String(open.length > 0);
  const rows = shown.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id; tr.dataset.open = String(!r.acknowledged_at);
    const link = document.createElement("button");
    link.type = "button"; link.className = "link"; link.textContent = r.order_number;
    link.onclick = () => openOrder(r.order_number);
    const first = document.createElement("td"); first.dataset.field = "number"; first.append(link); tr.append(first);
    cell(tr, r.reason_label, "reason"); cell(tr, r.level_label, "level"); cell(tr, supervisionTarget(r), "target");
    cell(tr, when(r.raised_at), "raised");
    cell(tr, r.acknowledged_at ? `已确认（${r.acknowledged_by} ${when(r.acknowledged_at)}）` : "待确认", "state");
    const act = document.createElement("td");
    if (!r.acknowledged_at) act.append(ackButton(r, refreshSupervision));
    tr.append(act);
    return tr;
  });
  $("supervision-rows").replaceChildren(...rows);
  $("supervision-empty").hidden = shown.length > 0;
}

async function showOrderSupervision(number) {
  let found;
  try { found = await api(`/api/dept/orders/${encodeURIComponent(number)}/supervision`); } catch (err) { $("action-error").textContent = supervisionError(err); return; }
  if (!st.order || st.order.order.number !== number) return;
  $("d-supervision").replaceChildren(...(found.length ? found.map((r) => {
    const li = document.createElement("li"); li.dataset.open = String(!r.acknowledged_at);
    const state = document.createElement("b");
    state.textContent = r.acknowledged_at ? `已确认（${r.acknowledged_by}）` : "待确认";
    li.append(`${when(r.raised_at)} ${r.level_label}：${r.reason_label}（${supervisionTarget(r)}） `, state);
    if (!r.acknowledged_at) li.append(ackButton(r, refreshSupervision));
    return li;
  }) : [Object.assign(document.createElement("li"), { textContent: "无", className: "note" })]));
}

$("btn-supervision").onclick = () => {
  const panel = $("supervision-panel");
  panel.hidden = !panel.hidden;
  $("btn-supervision").setAttribute("aria-expanded", String(!panel.hidden));
};
$("supervision-open-only").onchange = loadSupervision;
