"use strict";
// Admin tab 坐席: users of the centre (agents, supervisors, QA, admins; department users are listed and can
// be disabled, but are made in the department portal). Search, create, change (name, extension, role,
// skills with levels), reset the password, disable (their sessions, ACD login and phone registration end
// at once) and enable again, the queues a supervisor supervises, and the CSV import of a new centre with
// its template: a file with any bad line is refused whole and the lines are listed with their reasons.
(() => {
  const STYLE = `
    .ag-bar { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin-bottom: .6rem; }
    .ag-table { border-collapse: collapse; width: 100%; font-size: .92rem; }
    .ag-table th, .ag-table td { border-bottom: 1px solid #e3e7eb; padding: .3rem .5rem; text-align: left; vertical-align: top; }
    .ag-table tr[data-disabled="true"] td { color: #78909c; }
    .ag-state { font-size: .8rem; padding: .05rem .4rem; border-radius: .6rem; background: #e8f5e9; color: #1b5e20; }
    .ag-state.off { background: #eceff1; color: #546e7a; }
    .ag-form { border: 1px solid #c5ccd3; border-radius: 4px; padding: .6rem .8rem; margin: .6rem 0; background: #fafbfc; }
    .ag-form .ag-row { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .3rem 0; }
    .ag-form input[type=number] { width: 4.5rem; }
    .ag-problems { border-collapse: collapse; margin: .4rem 0; }
    .ag-problems td, .ag-problems th { border: 1px solid #ef9a9a; padding: .2rem .5rem; }
    .ag-actions button { margin: 0 .2rem .2rem 0; }
  `;
  const ROLE_NAMES = { agent: "坐席", supervisor: "班长", qa: "质检员", admin: "管理员", department: "部门用户" };
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
  const field = (label, input) => h("label", {}, `${label} `, input);
  const skillsText = (skills) => Object.entries(skills).map(([k, v]) => `${k}:${v}`).join("；") || "—";

  let api = null;
  let root = null;
  let options = { skills: [], queues: [], roles: ["agent", "supervisor", "qa", "admin"] };

  function roleSelect(value) {
    const select = h("select", { testid: "agent-role" }, ...options.roles.map((r) => h("option", { value: r, textContent: ROLE_NAMES[r] || r })));
    select.value = value || "agent";
    return select;
  }

  function skillRow(name, level) {
    const select = h("select", { testid: "skill-name" }, ...options.skills.map((s) => h("option", { value: s, textContent: s })));
    if (name && !options.skills.includes(name)) select.append(h("option", { value: name, textContent: name }));
    select.value = name || options.skills[0] || "";
    const row = h("span", { className: "ag-skill" }, select, " 等级 ",
      h("input", { type: "number", min: "1", max: "10", value: String(level || 1), testid: "skill-level" }),
      h("button", { type: "button", textContent: "×", title: "删除技能", onclick: () => row.remove() }));
    return row;
  }

  function readSkills(box) {
    const skills = {};
    for (const row of box.querySelectorAll(".ag-skill")) {
      skills[row.querySelector("select").value] = Number(row.querySelector("input").value);
    }
    return skills;
  }

  function userForm(user) {
    const creating = !user;
    const form = h("form", { className: "ag-form", testid: creating ? "agent-create-form" : "agent-edit-form" });
    const id = h("input", { name: "agent_id", required: true, pattern: "[0-9A-Za-z_-]{1,32}", value: user ? user.agent_id : "", disabled: !creating, testid: "agent-id" });
    const name = h("input", { name: "name", required: true, maxLength: 100, value: user ? user.name : "", testid: "agent-name" });
    const ext = h("input", { name: "extension", pattern: "[0-9]{2,10}", value: user ? user.extension : "", placeholder: "无则留空", testid: "agent-extension" });
    const role = roleSelect(user && user.role);
    const password = creating ? h("input", { type: "password", minLength: 8, required: true, autocomplete: "new-password", testid: "agent-password" }) : null;
    const skills = h("span", { className: "ag-skills" }, ...Object.entries(user ? user.skills : {}).map(([k, v]) => skillRow(k, v)));
    form.append(
      h("h3", { textContent: creating ? "新建用户" : `编辑 ${user.agent_id}` }),
      h("div", { className: "ag-row" }, field("工号", id), field("姓名", name), field("分机", ext), field("角色", role),
        password ? field("初始密码", password) : null),
      h("div", { className: "ag-row" }, "技能：", skills,
        h("button", { type: "button", textContent: "添加技能", testid: "add-skill", onclick: () => skills.append(skillRow("", 1)) })),
      h("div", { className: "ag-row" },
        h("button", { type: "submit", className: "primary", textContent: "保存", testid: "agent-save" }),
        h("button", { type: "button", textContent: "取消", onclick: () => form.remove() })));
    form.onsubmit = async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), extension: ext.value.trim(), role: role.value, skills: readSkills(skills) };
      try {
        if (creating) {
          await api.post("/api/admin/agents", { ...body, agent_id: id.value.trim(), password: password.value });
          api.say(`已新建 ${id.value.trim()} ${body.name}`);
        } else {
          await api.put(`/api/admin/agents/${encodeURIComponent(user.agent_id)}`, body);
          api.say(`已保存 ${user.agent_id}`);
        }
        form.remove();
        await refresh();
      } catch (err) { /* the shell shows the error */ }
    };
    return form;
  }

  function passwordForm(user) {
    const form = h("form", { className: "ag-form", testid: "password-form" });
    const input = h("input", { type: "password", minLength: 8, required: true, autocomplete: "new-password", testid: "new-password" });
    const label = user.disabled ? `启用 ${user.agent_id} 并设置新密码` : `重置 ${user.agent_id} 的密码`;
    form.append(h("h3", { textContent: label }), h("div", { className: "ag-row" }, field("新密码", input),
      h("button", { type: "submit", className: "primary", textContent: user.disabled ? "启用" : "重置", testid: "password-save" }),
      h("button", { type: "button", textContent: "取消", onclick: () => form.remove() })));
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        await api.post(`/api/admin/agents/${encodeURIComponent(user.agent_id)}/password`, { password: input.value, enable: user.disabled });
        api.say(user.disabled ? `已启用 ${user.agent_id}` : `已重置 ${user.agent_id} 的密码，其登录已失效`);
        form.remove();
        await refresh();
      } catch (err) { /* shown */ }
    };
    return form;
  }

  function queuesForm(user) {
    const form = h("form", { className: "ag-form", testid: "queues-form" });
    const boxes = options.queues.map((q) => h("label", {}, h("input", { type: "checkbox", value: q, checked: user.queues.includes(q) }), ` ${q}`));
    form.append(h("h3", { textContent: `班长 ${user.agent_id} 监管的队列` }), h("div", { className: "ag-row" }, ...boxes),
      h("div", { className: "ag-row" }, h("button", { type: "submit", className: "primary", textContent: "保存", testid: "queues-save" }),
        h("button", { type: "button", textContent: "取消", onclick: () => form.remove() })));
    form.onsubmit = async (event) => {
      event.preventDefault();
      const queues = [...form.querySelectorAll("input:checked")].map((i) => i.value);
      try {
        await api.put(`/api/admin/agents/${encodeURIComponent(user.agent_id)}/queues`, { queues });
        api.say(`已保存 ${user.agent_id} 监管的队列`);
        form.remove();
        await refresh();
      } catch (err) { /* shown */ }
    };
    return form;
  }

  async function disable(user) {
    if (!confirm(`停用 ${user.agent_id} ${user.name}？其登录、坐席签入和软电话注册将立即结束，密码作废。`)) return;
    try {
      const done = await api.post(`/api/admin/agents/${encodeURIComponent(user.agent_id)}/disable`);
      const phone = done.sip_password_rotated ? `，软电话注册已注销（${done.sip_contacts_removed} 个）` : "";
      api.say(`已停用 ${user.agent_id}：结束登录 ${done.sessions_ended} 个${phone}`);
      await refresh();
    } catch (err) { /* shown */ }
  }

  function openForm(form) {
    for (const old of root.querySelectorAll(".ag-form")) old.remove();
    root.querySelector(".ag-forms").append(form);
    form.scrollIntoView({ block: "nearest" });
  }

  function userRow(user) {
    const dept = user.role === "department";
    const self = Boolean(api.me) && api.me.user_id === user.agent_id;
    const actions = h("td", { className: "ag-actions" },
      dept ? null : h("button", { type: "button", textContent: "编辑", testid: "agent-edit", onclick: () => openForm(userForm(user)) }),
      dept ? null : h("button", { type: "button", textContent: user.disabled ? "启用" : "重置密码", testid: user.disabled ? "agent-enable" : "agent-reset", onclick: () => openForm(passwordForm(user)) }),
      user.role === "supervisor" && !user.disabled ? h("button", { type: "button", textContent: "监管队列", testid: "agent-queues", onclick: () => openForm(queuesForm(user)) }) : null,
      user.disabled || self ? null : h("button", { type: "button", textContent: "停用", testid: "agent-disable", onclick: () => disable(user) }));
    const state = h("span", { className: user.disabled ? "ag-state off" : "ag-state", textContent: user.disabled ? "已停用" : "正常" });
    return h("tr", { "data-agent": user.agent_id, "data-disabled": String(user.disabled), testid: "agent-row" },
      h("td", { textContent: user.agent_id }), h("td", { textContent: user.name }),
      h("td", { textContent: user.extension || "—" }), h("td", { textContent: ROLE_NAMES[user.role] || user.role }),
      h("td", { textContent: skillsText(user.skills) }), h("td", { textContent: user.queues.join("、") || "—" }),
      h("td", {}, state), actions);
  }

  async function refresh() {
    const q = root.querySelector("[data-testid=agent-search]").value.trim();
    const role = root.querySelector("[data-testid=agent-role-filter]").value;
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (role) params.set("role", role);
    const users = await api.get(`/api/admin/agents?${params}`);
    const body = root.querySelector("[data-testid=agent-table] tbody");
    body.replaceChildren(...users.map(userRow));
    root.querySelector("[data-testid=agent-count]").textContent = `共 ${users.length} 人`;
  }

  async function downloadTemplate() {
    const res = await api.raw("/api/admin/agent-import-template");
    const url = URL.createObjectURL(await res.blob());
    const link = h("a", { href: url, download: "坐席导入模板.csv" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function importFile(input) {
    const file = input.files && input.files[0];
    const report = root.querySelector("[data-testid=import-report]");
    report.replaceChildren();
    if (!file) return;
    const csv = await file.text();
    input.value = "";
    try {
      const done = await api.post("/api/admin/agent-import", { csv }, { quiet: true });
      api.say(`已导入 ${done.created} 个用户`);
      report.append(h("p", { textContent: `导入成功：${done.created} 个用户（${done.agent_ids.slice(0, 5).join("、")}${done.created > 5 ? " 等" : ""}）` }));
      await refresh();
    } catch (err) {
      const problems = (err.details && err.details.problems) || [];
      api.fail(`导入被拒绝，未导入任何用户：${problems.length ? `${err.details.count} 处问题` : err.message}`);
      if (problems.length) {
        report.append(h("table", { className: "ag-problems", testid: "import-problems" },
          h("thead", {}, h("tr", {}, h("th", { textContent: "行号" }), h("th", { textContent: "列" }), h("th", { textContent: "原因" }))),
          h("tbody", {}, ...problems.map((p) => h("tr", {}, h("td", { textContent: String(p.line) }), h("td", { textContent: p.column || "—" }), h("td", { textContent: p.reason }))))));
      }
    }
  }

  async function mount(el, shellApi) {
    api = shellApi;
    root = el;
    if (!document.getElementById("admin-agents-style")) document.head.append(h("style", { id: "admin-agents-style", textContent: STYLE }));
    const search = h("input", { type: "search", placeholder: "工号、姓名或分机", testid: "agent-search" });
    const roleFilter = h("select", { testid: "agent-role-filter" }, h("option", { value: "", textContent: "全部角色" }),
      ...Object.entries(ROLE_NAMES).map(([r, t]) => h("option", { value: r, textContent: t })));
    const file = h("input", { type: "file", accept: ".csv,text/csv", testid: "import-file", hidden: true });
    file.onchange = () => importFile(file);
    let timer = 0;
    search.oninput = () => { clearTimeout(timer); timer = setTimeout(refresh, 300); };
    roleFilter.onchange = refresh;
    el.append(
      h("h2", { textContent: "坐席与技能" }),
      h("div", { className: "ag-bar" }, search, roleFilter,
        h("button", { type: "button", className: "primary", textContent: "新建用户", testid: "agent-new", onclick: () => openForm(userForm(null)) }),
        h("button", { type: "button", textContent: "批量导入 CSV", testid: "import-open", onclick: () => file.click() }), file,
        h("button", { type: "button", textContent: "下载导入模板", testid: "import-template", onclick: downloadTemplate }),
        h("span", { className: "note", testid: "agent-count" })),
      h("p", { className: "note", textContent: "CSV 列：工号,姓名,分机,角色,技能(skill:level;...),初始密码。任一行有误则整份不导入，并列出行号与原因。部门用户请在部门门户的用户管理中新建。" }),
      h("div", { testid: "import-report" }),
      h("div", { className: "ag-forms" }),
      h("table", { className: "ag-table", testid: "agent-table" },
        h("thead", {}, h("tr", {}, ...["工号", "姓名", "分机", "角色", "技能（等级）", "监管队列", "状态", "操作"].map((t) => h("th", { textContent: t })))),
        h("tbody")));
    try {
      options = await api.get("/api/admin/agent-options");
    } catch (err) { /* shown */ }
    await refresh();
  }

  window.AdminTabs.register("agents", { title: "坐席", mount, show: () => refresh() });
})();
