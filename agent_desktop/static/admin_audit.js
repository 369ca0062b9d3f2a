"use strict";
// Admin tab 审计: every change made in the admin console (GET /api/admin/changes), newest first, with who,
// when, what and a one-line summary; a row opens the diff it recorded, added lines green, removed lines red.
// Filters: area, object and since when.
(() => {
  const STYLE = `
    .au-bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: .6rem; }
    .au-table { border-collapse: collapse; width: 100%; font-size: .92rem; }
    .au-table th, .au-table td { border-bottom: 1px solid #e3e7eb; padding: .25rem .5rem; text-align: left; vertical-align: top; }
    .au-table tr.au-change { cursor: pointer; }
    .au-table tr.au-change:hover td { background: #f3f8fc; }
    pre.au-diff { font-size: 12px; max-height: 28rem; overflow: auto; background: #fafbfc; border: 1px solid #e3e7eb; padding: .5rem; margin: .2rem 0 .6rem; white-space: pre-wrap; }
    pre.au-diff .add { background: #e8f5e9; color: #1b5e20; display: block; }
    pre.au-diff .del { background: #ffebee; color: #b71c1c; display: block; }
    pre.au-diff .hunk { color: #0b4f8a; display: block; }
  `;
  const AREAS = [["", "全部"], ["agent", "坐席"], ["directory", "通讯录"], ["flow", "流程"], ["prompt", "提示音"], ["queue", "队列"],
    ["calendar", "日历"], ["hours", "服务时段"], ["emergency", "紧急公告"], ["qa_rules", "质检规则"]];
  const AREA_NAMES = Object.fromEntries(AREAS.filter(([a]) => a));
  const ACTIONS = { create: "新建", update: "修改", delete: "删除", disable: "停用", enable: "启用", reset_password: "重置密码",
    queues: "监管队列", import: "批量导入", publish: "发布", rollback: "回滚", seed: "初始" };
  const h = (tag, props = {}, ...children) => {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "testid") el.setAttribute("data-testid", value);
      else if (key in el) el[key] = value;
      else el.setAttribute(key, value);
    }
    el.append(...children.filter((c) => c !== null && c !== undefined));
    return el;
  };
  const ROLE_NAMES = { admin: "管理员", supervisor: "班长", agent: "坐席", qa: "质检员" };
  const when = (iso) => new Date(iso).toLocaleString("zh-CN", { hour12: false });

  let api = null;
  let root = null;

  function diffView(text) {
    const pre = h("pre", { className: "au-diff", testid: "audit-diff" });
    for (const line of (text || "（无差异记录）").split("\n")) {
      let cls = "";
      if (line.startsWith("+++") || line.startsWith("---")) cls = "";
      else if (line.startsWith("+")) cls = "add";
      else if (line.startsWith("-")) cls = "del";
      else if (line.startsWith("@@")) cls = "hunk";
      pre.append(cls ? h("span", { className: cls, textContent: line }) : `${line}\n`);
    }
    return pre;
  }

  function changeRows(change) {
    const detail = h("tr", { hidden: true, testid: "audit-detail" }, h("td", { colSpan: 6 }, diffView(change.diff)));
    const row = h("tr", { className: "au-change", testid: "audit-row", "data-id": String(change.id), title: "点击查看差异" },
      h("td", { textContent: when(change.at) }), h("td", { textContent: `${change.user_id}（${ROLE_NAMES[change.role] || change.role}）` }),
      h("td", { textContent: AREA_NAMES[change.area] || change.area }), h("td", { textContent: change.object_id }),
      h("td", { textContent: ACTIONS[change.action] || change.action }), h("td", { textContent: change.summary }));
    row.onclick = () => { detail.hidden = !detail.hidden; };
    return [row, detail];
  }

  async function refresh() {
    const params = new URLSearchParams();
    const area = root.querySelector("[data-testid=audit-area]").value;
    const object = root.querySelector("[data-testid=audit-object]").value.trim();
    const since = root.querySelector("[data-testid=audit-since]").value;
    if (area) params.set("area", area);
    if (object) params.set("object_id", object);
    if (since) params.set("since", new Date(since).toISOString());
    const changes = await api.get(`/api/admin/changes?${params}`);
    root.querySelector("[data-testid=audit-table] tbody").replaceChildren(...changes.flatMap(changeRows));
    root.querySelector("[data-testid=audit-count]").textContent = changes.length ? `${changes.length} 条` : "没有符合条件的修改";
  }

  async function mount(el, shellApi) {
    api = shellApi;
    root = el;
    if (!document.getElementById("admin-audit-style")) document.head.append(h("style", { id: "admin-audit-style", textContent: STYLE }));
    const area = h("select", { testid: "audit-area" }, ...AREAS.map(([v, t]) => h("option", { value: v, textContent: t })));
    const object = h("input", { type: "search", placeholder: "对象（如工号、队列名）", maxLength: 200, testid: "audit-object" });
    const since = h("input", { type: "datetime-local", testid: "audit-since" });
    for (const input of [area, since]) input.onchange = refresh;
    object.onchange = refresh;
    el.append(
      h("h2", { textContent: "管理操作审计" }),
      h("div", { className: "au-bar" }, field("区域", area), field("对象", object), field("起始时间", since),
        h("button", { type: "button", textContent: "刷新", testid: "audit-refresh", onclick: refresh }),
        h("span", { className: "note", testid: "audit-count" })),
      h("p", { className: "note", textContent: "记录只增不改。点击一行查看该次修改的差异：绿色为新增，红色为删除。" }),
      h("table", { className: "au-table", testid: "audit-table" },
        h("thead", {}, h("tr", {}, ...["时间", "操作人", "区域", "对象", "动作", "摘要"].map((t) => h("th", { textContent: t })))),
        h("tbody")));
    await refresh();
  }

  function field(label, input) { return h("label", {}, `${label} `, input); }

  window.AdminTabs.register("audit", { title: "审计", mount, show: () => refresh() });
})();
