"use strict";
// Two panels of the 流程 tab (admin_flows.js calls each with its context and a section):
// 试运行: keys pressed, time of day and caller profile -> the path taken (also drawn on the graph), the
// prompts played and where the call ends, through POST /api/ivr/dry-run on the version being edited
// (a draft is saved first); 版本对比: the changes and YAML diff between two versions.
(() => {
  const OUTCOME_TEXT = {
    ToQueue: (o) => `进入队列 ${o.queue}${o.priority ? `（优先级 ${o.priority}）` : ""}`,
    Transfer: (o) => `转接 ${o.number}`,
    LeaveMessage: () => "留言",
    Hangup: () => "挂机",
    WorkOrderStatus: () => "播报工单办理进度",
  };
  const shanghaiNow = () => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date()).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
  };

  function dryRun(ctx, el) {
    const { h, api } = ctx;
    const field = (label, input) => h("label", {}, `${label} `, input);
    const caller = h("input", { name: "caller", value: "13800138000", size: "13", "data-testid": "dry-caller" });
    const at = h("input", { type: "datetime-local", name: "at", "data-testid": "dry-at" });
    at.value = shanghaiNow();
    const keys = h("input", { name: "keys", placeholder: "如 2 1；语音用 say:2", "data-testid": "dry-keys" });
    const check = (name, text) => h("label", { class: "check" }, h("input", { type: "checkbox", name, "data-testid": `dry-${name}` }), text);
    const profile = h("select", { "data-testid": "dry-profile" },
      h("option", { value: "directory", text: "按来电人档案" }), h("option", { value: "given", text: "指定如下" }));
    const orders = h("input", { name: "orders", placeholder: "未办结工单号，逗号分隔", size: "18" });
    const flags = h("span", { class: "flags" });
    const run = h("button", { type: "submit", class: "primary", "data-testid": "dry-run", text: "试运行" });
    const result = h("div", { class: "dry-result", "data-testid": "dry-result" });
    const form = h("form", { class: "dry-form" }, field("来电号码", caller), field("时间（北京时间）", at), field("按键", keys),
      field("来电人", profile), check("elderly", "老年人"), check("repeat_caller", "重复来电"), check("vip", "重点来电人"), orders,
      flags, run);
    el.append(h("h2", { text: "试运行" }), form, result);

    async function loadFlags() {
      try {
        const got = await api.get("/api/ivr/flags", { quiet: true });
        const names = { emergency_announcement: "应急公告", surge: "应急扩容" };
        flags.replaceChildren(...Object.keys(got.defaults).map((f) => h("label", { class: "check" },
          h("input", { type: "checkbox", name: `flag:${f}`, "data-flag": f }), `开关 ${names[f] || f}`)));
        for (const box of flags.querySelectorAll("input")) box.checked = (got.overrides[box.dataset.flag] ?? got.defaults[box.dataset.flag]) === true;
      } catch (_) { flags.textContent = ""; }
    }

    function request() {
      const body = {
        caller: caller.value.trim(),
        at: `${at.value}:00+08:00`,
        keys: keys.value.split(/[\s,，]+/).filter(Boolean),
        version: ctx.current.version,
        flags: Object.fromEntries([...flags.querySelectorAll("input")].map((b) => [b.dataset.flag, b.checked])),
      };
      if (profile.value === "given") {
        const on = (n) => form.querySelector(`input[name=${n}]`).checked;
        body.attributes = { elderly: on("elderly"), repeat_caller: on("repeat_caller"), vip: on("vip"),
          open_work_orders: orders.value.split(/[\s,，]+/).filter(Boolean) };
      }
      return body;
    }

    function render(out) {
      const texts = ctx.promptTexts || {};
      const outcome = (OUTCOME_TEXT[out.outcome.type] || (() => out.outcome.type))(out.outcome);
      result.replaceChildren(
        h("p", {}, h("strong", { text: "结果：" }), h("span", { "data-testid": "dry-outcome", text: outcome }), ` （版本 ${out.version}${out.tags.length ? `，标记 ${out.tags.join(",")}` : ""}）`),
        h("h3", { text: "经过的节点" }),
        h("ol", { "data-testid": "dry-path" }, ...out.path.map((s) => h("li", { "data-node": s.node, text: `${s.flow} · ${s.node}${s.inputs.length ? `（输入 ${s.inputs.join(" ")}）` : ""}` }))),
        h("h3", { text: "播放的提示音" }),
        h("ol", { "data-testid": "dry-prompts" }, ...out.prompts.map((p) => h("li", { text: `${p}${texts[p] ? `：${texts[p]}` : ""}` }))),
        ...(out.unused_keys.length ? [h("p", { class: "note", text: `未用到的按键：${out.unused_keys.join(" ")}` })] : []),
      );
      ctx.markPath(out.path);
    }

    form.onsubmit = async (ev) => {
      ev.preventDefault();
      result.replaceChildren();
      try {
        await ctx.saveIfDirty();
        render(await api.post("/api/ivr/dry-run", request()));
      } catch (_) { /* shown by api */ }
    };
    loadFlags();
    return { refresh: () => { result.replaceChildren(); ctx.markPath([]); } };
  }

  function versionDiff(ctx, el) {
    const { h, api } = ctx;
    const from = h("select", { "data-testid": "diff-from" });
    const to = h("select", { "data-testid": "diff-to" });
    const go = h("button", { type: "button", "data-testid": "diff-run", text: "对比" });
    const out = h("div", { "data-testid": "diff-result" });
    el.append(h("h2", { text: "版本对比" }), h("div", { class: "dry-form" }, h("label", {}, "从 ", from), h("label", {}, "到 ", to), go), out);
    go.onclick = async () => {
      try {
        const got = await ctx.changes(Number(from.value), Number(to.value));
        out.replaceChildren(h("ul", { "data-testid": "diff-changes" }, ...ctx.changeLines(got.changes).map((l) => h("li", { text: l }))), ctx.diffView(got.diff));
      } catch (_) { /* shown by api */ }
    };
    return {
      refresh() {
        const options = () => ctx.versions.map((v) => h("option", { value: String(v.version), text: `版本 ${v.version}${v.live ? "（线上）" : v.status === "published" ? "" : "（草稿）"}` }));
        from.replaceChildren(...options());
        to.replaceChildren(...options());
        const live = ctx.live();
        if (live) from.value = String(live.version);
        to.value = String(ctx.current.version);
        out.replaceChildren();
      },
    };
  }

  (window.AdminFlowPanels = window.AdminFlowPanels || []).push(dryRun, versionDiff);
})();
