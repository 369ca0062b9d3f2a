"use strict";
// Admin tab 队列: the queue configuration in force as one form per queue (skill, strategy, wrap-up, bullseye
// overflow steps, maximum wait and its exit, surge skills, the supervisor page's thresholds), saved whole
// as a new version (PUT /api/admin/queues, checked by the server: its findings are listed by field), the
// versions with the diff between any one and the version in force, and a rollback confirmed after seeing
// what it changes. A saved change applies to new routing decisions on every app node; callers already
// waiting keep their place.
(() => {
  const STYLE = `
    .aq-queue { border: 1px solid #c5ccd3; border-radius: 4px; padding: .5rem .8rem; margin: 0 0 .6rem; }
    .aq-queue legend { font-weight: bold; }
    .aq-row { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .25rem 0; }
    .aq-row input[type=number] { width: 5.5rem; }
    .aq-row input.aq-skills { width: 12rem; }
    .aq-steps input { width: 8rem; }
    .aq-steps td, .aq-steps th { padding: .1rem .4rem; }
    .aq-errors { color: #b71c1c; }
    .aq-diff { background: #f7f9fb; border: 1px solid #c5ccd3; padding: .5rem; max-height: 24rem; overflow: auto; }
    .aq-diff .add { color: #1b5e20; background: #e8f5e9; } .aq-diff .del { color: #b71c1c; background: #ffebee; }
    .aq-versions td, .aq-versions th { padding: .2rem .6rem; text-align: left; }
    .aq-confirm { border: 2px solid #e65100; padding: .6rem; border-radius: 4px; background: #fff3e0; }
  `;
  const FIGURES = [
    ["waiting", "排队数（人）", 1], ["longest_wait_s", "最长等待（秒）", 1],
    ["service_level", "15秒接通率（低于为警示）", 0.01], ["abandon_rate", "放弃率", 0.01],
  ];
  const EXIT_KINDS = [["callback", "回拨（保留排队位置）"], ["voicemail", "留言（生成工单）"], ["queue", "转其他队列"]];
  const ACTIONS = { seed: "初始", update: "修改", rollback: "回滚" };
  const STRATEGY_NAMES = {
    longest_idle: "最长空闲优先", round_robin: "轮询", fewest_calls: "接听最少优先",
    least_talk_time: "通话时长最少优先", skill_level_first: "技能等级优先",
  };

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
  const num = (value, step = 1, testid = "") => h("input", { type: "number", step: String(step), min: "0", value: String(value ?? ""), testid });
  const list = (text) => text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
  const field = (label, input) => h("label", {}, `${label} `, input);

  let state = { current: null, strategies: [] };

  function stepRow(step, own) {
    const tr = h("tr", { className: "aq-step" },
      h("td", {}, num(step.after_s, 1, "step-after")),
      h("td", {}, h("input", { className: "aq-skills", value: (step.skills || []).join(","), placeholder: `空＝${own}`, testid: "step-skills" })),
      h("td", {}, num(step.min_level ?? 1, 1, "step-level")),
      h("td", {}, h("button", { type: "button", textContent: "删除", onclick: () => tr.remove() })));
    return tr;
  }

  function queueCard(q) {
    const box = h("fieldset", { className: "aq-queue", testid: `queue-${q.name}` });
    box.dataset.name = q.name;
    const strategy = h("select", { testid: "strategy" }, ...state.strategies.map((s) => h("option", { value: s, textContent: STRATEGY_NAMES[s] || s })));
    strategy.value = q.strategy;
    const steps = h("tbody", {}, ...(q.overflow || []).map((s) => stepRow(s, q.skill)));
    const exit = q.max_wait || { after_s: 300, kind: "callback", target: "" };
    const exitOn = h("input", { type: "checkbox", checked: Boolean(q.max_wait), testid: "exit-on" });
    const kind = h("select", { testid: "exit-kind" }, ...EXIT_KINDS.map(([v, t]) => h("option", { value: v, textContent: t })));
    kind.value = exit.kind;
    const thresholds = FIGURES.map(([figure, label, step]) => {
      const band = (q.thresholds || {})[figure] || {};
      return h("span", { className: "aq-band" }, `${label} 黄 `, num(band.amber, step, `${figure}-amber`), " 红 ", num(band.red, step, `${figure}-red`));
    });
    box.append(
      h("legend", { textContent: `${q.name}` }),
      h("div", { className: "aq-row" },
        field("技能", h("input", { value: q.skill, testid: "skill", required: true })),
        field("分配策略", strategy),
        field("最低技能等级", num(q.min_level ?? 1, 1, "min-level")),
        field("话后整理（秒）", num(q.wrapup_seconds, 1, "wrapup")),
        h("button", { type: "button", textContent: "删除此队列", onclick: () => { if (confirm(`删除队列 ${q.name}？正在排队的来电将转入 general。`)) box.remove(); } })),
      h("div", {}, "溢出步骤（等待达到秒数后，以下技能的坐席也可接听）",
        h("table", { className: "aq-steps" }, h("thead", {}, h("tr", {}, h("th", { textContent: "等待（秒）" }), h("th", { textContent: "技能（逗号分隔）" }), h("th", { textContent: "最低等级" }), h("th"))), steps),
        h("button", { type: "button", textContent: "添加步骤", testid: "add-step", onclick: () => steps.append(stepRow({ after_s: "", skills: [], min_level: 1 }, q.skill)) })),
      h("div", { className: "aq-row" }, h("label", {}, exitOn, " 最长等待"), num(exit.after_s, 1, "exit-after"), "秒后", kind,
        field("目标", h("input", { value: exit.target || "", testid: "exit-target", placeholder: "队列名或工单分类" }))),
      h("div", { className: "aq-row" }, field("应急扩容技能", h("input", { className: "aq-skills", value: (q.surge_skills || []).join(","), testid: "surge" }))),
      h("div", { className: "aq-row" }, "班长页阈值：", ...thresholds));
    return box;
  }

  function readCard(box) {
    const val = (id) => box.querySelector(`[data-testid="${id}"]`).value;
    const number = (id) => { const v = val(id); return v === "" ? null : Number(v); };
    const q = {
      name: box.dataset.name, skill: val("skill").trim(), strategy: val("strategy"),
      min_level: number("min-level"), wrapup_seconds: number("wrapup"),
      overflow: [...box.querySelectorAll(".aq-step")].map((tr) => ({
        after_s: Number(tr.querySelector('[data-testid="step-after"]').value),
        skills: list(tr.querySelector('[data-testid="step-skills"]').value),
        min_level: Number(tr.querySelector('[data-testid="step-level"]').value || 1),
      })),
      surge_skills: list(val("surge")),
      thresholds: Object.fromEntries(FIGURES.map(([f]) => [f, { amber: number(`${f}-amber`), red: number(`${f}-red`) }])),
    };
    if (box.querySelector('[data-testid="exit-on"]').checked) {
      q.max_wait = { after_s: number("exit-after"), kind: val("exit-kind"), target: val("exit-target").trim() };
    }
    return q;
  }

  function diffView(text) {
    const pre = h("pre", { className: "aq-diff", testid: "queue-diff" });
    for (const line of (text || "（无差异）\n").split("\n")) {
      const cls = line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
      pre.append(h("span", { className: cls, textContent: `${line}\n` }));
    }
    return pre;
  }

  const LABELS = {
    skill: "技能", strategy: "分配策略", min_level: "最低技能等级", wrapup_seconds: "话后整理", overflow: "溢出步骤",
    after_s: "等待秒数", skills: "技能", max_wait: "最长等待", kind: "去向", target: "目标", surge_skills: "应急扩容技能",
    thresholds: "阈值", amber: "黄", red: "红", name: "队列名",
  };

  function where(loc, names) {
    const parts = Array.isArray(loc) ? loc.map(String) : String(loc || "").split(".");
    if (parts[0] !== "queues" || parts.length < 2) return "";
    const out = [names[Number(parts[1])] || `第 ${Number(parts[1]) + 1} 个队列`];
    for (const part of parts.slice(2)) out.push(/^\d+$/.test(part) ? `第 ${Number(part) + 1} 步` : LABELS[part] || part);
    return out.join(" · ");
  }

  function showErrors(el, err) {
    const box = el.querySelector('[data-testid="queue-errors"]');
    const errors = (err.details && err.details.errors) || [];
    const names = [...el.querySelectorAll(".aq-queue")].map((q) => q.dataset.name);
    box.replaceChildren(...errors.map((e) => h("li", { textContent: `${where(e.loc, names)}：${e.message}（${[].concat(e.loc).join(".")}）` })));
    if (!errors.length && err.message) box.append(h("li", { textContent: err.message }));
  }

  async function render(el, api) {
    const current = await api.get("/api/admin/queues");
    state = { current, strategies: current.strategies };
    const cards = h("div", { testid: "queue-cards" }, ...current.queues.map(queueCard));
    const newName = h("input", { placeholder: "新队列名（小写字母、数字、_）", testid: "new-queue-name" });
    const note = h("input", { placeholder: "修改说明（记入审计）", size: 40, testid: "queue-note" });
    const errors = h("ul", { className: "aq-errors", testid: "queue-errors" });
    const save = h("button", { type: "button", textContent: "保存为新版本并立即生效", testid: "queue-save" });
    save.onclick = async () => {
      errors.replaceChildren();
      const queues = [...cards.querySelectorAll(".aq-queue")].map(readCard);
      try {
        const saved = await api.put("/api/admin/queues", { base_version: current.version, queues, note: note.value.trim() });
        await render(el, api);
        api.say(`已保存版本 ${saved.version}，新的来电分配立即按此执行；正在排队的来电保持原有位置。`);
      } catch (err) {
        showErrors(el, err);
      }
    };
    const versions = await api.get("/api/admin/queues/versions");
    const detail = h("div", { testid: "queue-version-detail" });
    const rows = versions.map((v) => h("tr", { testid: `queue-version-${v.version}` },
      h("td", { textContent: `版本 ${v.version}${v.version === current.version ? "（当前）" : ""}` }),
      h("td", { textContent: new Date(v.created_at).toLocaleString("zh-CN", { hour12: false }) }),
      h("td", { textContent: v.created_by }),
      h("td", { textContent: ACTIONS[v.action] || v.action }),
      h("td", { textContent: v.note || (v.based_on ? `恢复版本 ${v.based_on}` : "") }),
      h("td", {}, v.version === current.version ? "" : h("button", { type: "button", textContent: "与当前比较", testid: "queue-compare", onclick: () => compare(v) }),
        v.version === current.version ? "" : h("button", { type: "button", textContent: "回滚到此版本", testid: "queue-rollback", onclick: () => askRollback(v) }))));

    async function compare(v) {
      const d = await api.get(`/api/admin/queues/diff?a=${current.version}&b=${v.version}`);
      detail.replaceChildren(h("h3", { textContent: `当前版本 ${current.version} → 版本 ${v.version} 的差异` }), diffView(d.diff));
    }

    async function askRollback(v) {
      const d = await api.get(`/api/admin/queues/diff?a=${current.version}&b=${v.version}`);
      const go = h("button", { type: "button", textContent: `确认回滚到版本 ${v.version}`, testid: "queue-rollback-confirm" });
      go.onclick = async () => {
        const done = await api.post("/api/admin/queues/rollback", { version: v.version, base_version: current.version });
        await render(el, api);
        api.say(`已回滚：版本 ${done.version} 恢复了版本 ${v.version} 的配置，立即生效。`);
      };
      detail.replaceChildren(h("div", { className: "aq-confirm", testid: "queue-rollback-box" },
        h("p", { textContent: `回滚将以版本 ${v.version} 替换当前版本 ${current.version}，变化如下（- 当前，+ 回滚后）：` }),
        diffView(d.diff), go, h("button", { type: "button", textContent: "取消", onclick: () => detail.replaceChildren() })));
    }

    el.replaceChildren(
      h("h2", { textContent: `队列配置 · 当前版本 ${current.version}`, testid: "queue-version" }),
      h("p", { className: "note", textContent: `由 ${current.created_by} 于 ${new Date(current.created_at).toLocaleString("zh-CN", { hour12: false })} ${ACTIONS[current.action] || current.action}。保存后对所有节点的新分配立即生效，排队中的来电保持位置。` }),
      cards,
      h("div", { className: "aq-row" }, newName, h("button", { type: "button", textContent: "新增队列", onclick: () => {
        const name = newName.value.trim();
        if (!name) return;
        cards.append(queueCard({ name, skill: name, strategy: "longest_idle", min_level: 1, wrapup_seconds: 15, overflow: [], surge_skills: [], thresholds: {} }));
        newName.value = "";
      } })),
      h("div", { className: "aq-row" }, note, save), errors,
      h("h2", { textContent: "版本历史" }),
      h("table", { className: "aq-versions", testid: "queue-versions" },
        h("thead", {}, h("tr", {}, ...["版本", "时间", "操作人", "操作", "说明", ""].map((t) => h("th", { textContent: t })))), h("tbody", {}, ...rows)),
      detail);
  }

  function install() {
    if (!document.getElementById("aq-style")) document.head.append(h("style", { id: "aq-style", textContent: STYLE }));
  }

  window.AdminTabs.register("queues", {
    title: "队列",
    mount(el, api) { install(); render(el, api).catch((err) => api.fail(api.errorText(err))); },
    show(el, api) { render(el, api).catch((err) => api.fail(api.errorText(err))); },
  });
})();
