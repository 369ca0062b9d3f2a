"use strict";
// 并单 suggestions on the agent's order form: after an order is saved, the likely duplicates from the
// create answer (number, matter, date, status, similarity, why) are listed under the form, each with
// 并入此单 (merge the new order into that one as the main order) and a button to look again.
// Endpoints: the create answer's `duplicates`, GET /api/work-orders/{n}/duplicates,
// POST /api/work-orders/{main}/merge {others: [n]}. Hooked in by workorder.js after a save.
// While the agent types (caller number, address or content filled), the same list comes from
// POST /api/work-orders/duplicates/preview, PREVIEW_MS after typing stops, newest answer wins; it has no
// 并入此单 until the order is saved. workorder.js hands its form over through watchOrderDuplicates.
(() => {
  const PREVIEW_MS = 700;
  const REASONS = { same_caller: "同一来电人", same_address: "同一地址" };
  const ERRORS = { illegal_transition: "当前状态不允许并单", work_order_not_found: "工单不存在", invalid_value: "并单内容无效" };
  let box = null;

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  function stamp(iso) {
    const d = new Date(iso), p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function failure(err) {
    const text = ERRORS[err.errorId || err.error_id] || err.message || "操作失败";
    return err.status ? `${text}（${err.status}）` : text;
  }

  function container() {
    if (box && box.isConnected) return box;
    const form = document.getElementById("wo-form");
    if (!document.querySelector("link[href='/static/workorder_duplicates.css']")) {
      document.head.append(el("link", { rel: "stylesheet", href: "/static/workorder_duplicates.css" }));
    }
    box = el("section", { id: "wo-duplicates", className: "wo-duplicates", hidden: true });
    box.dataset.testid = "wo-duplicates";
    form.append(box);
    form.addEventListener("reset", () => { box.hidden = true; box.replaceChildren(); });
    return box;
  }

  function render(order, found, api) {
    const root = container();
    const preview = !order;
    root.dataset.preview = preview ? "1" : "";
    const note = el("p", { className: "note", role: "status" });
    note.dataset.testid = "dup-note";
    const again = el("button", { type: "button", textContent: "重新查找" });
    again.dataset.testid = "dup-refresh";
    again.onclick = () => refresh(order, api, note);
    const title = preview ? "疑似重复工单（输入中预查，保存后可并单）" : "疑似重复工单（并单建议）";
    const head = el("h4", {}, `${title}：${found.length} 条 `, ...(preview ? [] : [again]));
    if (!found.length) {
      root.replaceChildren(head, el("p", { className: "note", textContent: "未发现疑似重复工单" }), note);
      root.hidden = false;
      return;
    }
    const rows = found.map((d) => {
      let merge = "";
      if (!preview) {
        merge = el("button", { type: "button", textContent: "并入此单" });
        merge.dataset.testid = "dup-merge";
        merge.title = `将新工单 ${order.number} 并入 ${d.number}（主单）`;
        merge.onclick = () => mergeInto(order, d, api, note, root);
      }
      const tr = el("tr", {},
        el("td", { className: "dup-number", textContent: d.number }),
        el("td", { className: "matter", textContent: d.matter }),
        el("td", { textContent: stamp(d.created_at) }),
        el("td", { textContent: d.status.label }),
        el("td", { className: "score", textContent: `${Math.round(d.similarity * 100)}%` }),
        el("td", { textContent: d.reasons.map((r) => REASONS[r] || r).join("、") || "内容相似" }),
        el("td", {}, merge));
      tr.dataset.number = d.number;
      return tr;
    });
    const table = el("table", {},
      el("thead", {}, el("tr", {}, ...["工单编号", "诉求事项", "登记时间", "状态", "相似度", "依据", ""].map((t) => el("th", { textContent: t })))),
      el("tbody", {}, ...rows));
    table.dataset.testid = "dup-list";
    root.replaceChildren(head, table, note);
    root.hidden = false;
  }

  async function refresh(order, api, note) {
    note.textContent = "查询中…";
    try {
      render(order, await api(`/api/work-orders/${encodeURIComponent(order.number)}/duplicates`), api);
    } catch (err) { note.textContent = `查询失败：${failure(err)}`; }
  }

  async function mergeInto(order, dup, api, note, root) {
    if (!window.confirm(`确认将工单 ${order.number} 并入 ${dup.number}？`)) return;
    for (const b of root.querySelectorAll("button[data-testid='dup-merge']")) b.disabled = true;
    try {
      await api(`/api/work-orders/${encodeURIComponent(dup.number)}/merge`, { method: "POST", body: JSON.stringify({ others: [order.number] }) });
      note.textContent = `已并单：${order.number} 已并入主单 ${dup.number}`;
      note.className = "done";
      const number = document.getElementById("wo-number");
      if (number && number.textContent === order.number) number.dataset.status = "merged";
      const row = root.querySelector(`tr[data-number='${dup.number}']`);
      if (row) row.classList.add("merged-into");
    } catch (err) {
      note.textContent = `并单失败：${failure(err)}`;
      note.className = "error";
      for (const b of root.querySelectorAll("button[data-testid='dup-merge']")) b.disabled = false;
    }
  }

  function watch(form) {
    let timer = null;
    let seq = 0;
    const fields = form.form.elements;
    const typed = () => ({
      caller_number: form.call && !form.call.masked ? (form.call.caller || "") : "",
      address: fields.address.value.trim(),
      category: fields.category.value,
      content: fields.content.value.trim(),
    });
    async function look() {
      const mine = ++seq;
      if (form.el.number.textContent) return; // saved: the saved order's list stands
      const body = typed();
      if (!body.content && !body.address) return;
      try {
        const found = await form.api("/api/work-orders/duplicates/preview", { method: "POST", body: JSON.stringify(body) });
        if (mine !== seq || form.el.number.textContent) return; // a newer look or a save came since
        if (found.length) render(null, found, form.api);
        else { const root = container(); root.hidden = true; root.replaceChildren(); }
      } catch (err) {
        if (mine === seq) console.warn("并单预查失败", failure(err));
      }
    }
    const schedule = () => { seq += 1; clearTimeout(timer); timer = setTimeout(look, PREVIEW_MS); };
    for (const name of ["content", "address"]) fields[name].addEventListener("input", schedule);
    fields.category.addEventListener("change", schedule);
    form.form.addEventListener("reset", () => { seq += 1; clearTimeout(timer); });
  }

  window.showOrderDuplicates = (order, api) => render(order, order.duplicates || [], api);
  window.watchOrderDuplicates = watch;
})();
