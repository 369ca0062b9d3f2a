"use strict";
// Admin tab 通讯录: the parties agents transfer calls to or bring into a three-way call (departments, special
// lines 12333/12338/12315, 110/119/120/122, neighbouring hotlines). Each entry is edited in its row; a number
// must be 3-20 digits, the form the transfer path dials. A saved change reaches the agents' transfer list
// at once and is recorded in the audit.
(() => {
  const STYLE = `
    .dir-table { border-collapse: collapse; width: 100%; font-size: .92rem; }
    .dir-table th, .dir-table td { border-bottom: 1px solid #e3e7eb; padding: .25rem .4rem; text-align: left; }
    .dir-table input.dir-name { width: 18rem; }
    .dir-table input.dir-number { width: 10rem; font-family: ui-monospace, monospace; }
    .dir-table input:user-invalid { border-color: #c62828; background: #ffebee; }
    .dir-table tr.dir-new td { background: #f3f8fc; }
  `;
  const KINDS = [["emergency", "紧急（110/119/120/122）"], ["hotline", "专线热线"], ["department", "承办部门"], ["neighbour", "邻市热线"]];
  const NUMBER = "[0-9]{3,20}";
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

  let api = null;
  let root = null;

  function kindSelect(value) {
    const select = h("select", { testid: "dir-kind" }, ...KINDS.map(([v, t]) => h("option", { value: v, textContent: t })));
    select.value = value || "department";
    return select;
  }

  function row(entry) {
    const creating = !entry;
    const id = h("input", { value: entry ? entry.id : "", required: true, pattern: "[0-9A-Za-z_-]{1,64}", placeholder: "英文标识，如 tax", disabled: !creating, testid: "dir-id" });
    const name = h("input", { className: "dir-name", value: entry ? entry.name : "", required: true, maxLength: 100, testid: "dir-name" });
    const number = h("input", { className: "dir-number", value: entry ? entry.number : "", required: true, pattern: NUMBER, title: "3-20 位数字", inputMode: "numeric", testid: "dir-number" });
    number.oninput = () => number.setCustomValidity(number.validity.patternMismatch ? "号码须为 3-20 位数字" : "");
    const kind = kindSelect(entry && entry.kind);
    const save = h("button", { type: "button", className: creating ? "primary" : "", textContent: creating ? "新增" : "保存", testid: creating ? "dir-add" : "dir-save" });
    const remove = creating ? null : h("button", { type: "button", textContent: "删除", testid: "dir-delete" });
    const tr = h("tr", { className: creating ? "dir-new" : "", "data-entry": entry ? entry.id : "", testid: creating ? "dir-new" : "dir-row" },
      h("td", {}, id), h("td", {}, name), h("td", {}, number), h("td", {}, kind), h("td", {}, save, remove));
    save.onclick = async () => {
      for (const input of [id, name, number]) {
        if (!input.reportValidity()) { api.fail(input === number ? "号码须为 3-20 位数字（转接时按此拨号）" : "请填写完整"); return; }
      }
      const body = { name: name.value.trim(), number: number.value.trim(), kind: kind.value };
      try {
        if (creating) await api.post("/api/admin/directory", { ...body, id: id.value.trim() });
        else await api.put(`/api/admin/directory/${encodeURIComponent(entry.id)}`, body);
        api.say(`已保存 ${body.name} ${body.number}，坐席转接列表已更新`);
        await refresh();
      } catch (err) { /* the shell shows the error */ }
    };
    if (remove) {
      remove.onclick = async () => {
        if (!confirm(`删除 ${entry.name}（${entry.number}）？坐席将不能再转接到该号码。`)) return;
        try {
          await api.del(`/api/admin/directory/${encodeURIComponent(entry.id)}`);
          api.say(`已删除 ${entry.name}`);
          await refresh();
        } catch (err) { /* shown */ }
      };
    }
    return tr;
  }

  async function refresh() {
    const entries = await api.get("/api/admin/directory");
    root.querySelector("[data-testid=dir-table] tbody").replaceChildren(...entries.map((e) => row(e)), row(null));
    root.querySelector("[data-testid=dir-count]").textContent = `共 ${entries.length} 项`;
  }

  async function mount(el, shellApi) {
    api = shellApi;
    root = el;
    if (!document.getElementById("admin-directory-style")) document.head.append(h("style", { id: "admin-directory-style", textContent: STYLE }));
    el.append(
      h("h2", {}, "转接与三方通话通讯录 ", h("span", { className: "note", testid: "dir-count" })),
      h("p", { className: "note", textContent: "号码只能是 3-20 位数字，经外线模板拨出；保存后坐席的转接列表立即生效，所有修改记入审计。" }),
      h("table", { className: "dir-table", testid: "dir-table" },
        h("thead", {}, h("tr", {}, ...["标识", "名称", "号码", "类别", "操作"].map((t) => h("th", { textContent: t })))),
        h("tbody")));
    await refresh();
  }

  window.AdminTabs.register("directory", { title: "通讯录", mount, show: () => refresh() });
})();
