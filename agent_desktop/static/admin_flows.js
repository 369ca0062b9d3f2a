"use strict";
// 流程 tab of the admin console: the versions of the 12345 flow pack, the YAML in CodeMirror 6 (window.CM)
// with the server validator's findings at their lines (and on their nodes in the graph), the flow graph
// (admin_flows_graph.js), drafts saved, publish and rollback behind a confirmation naming what changes.
// The dry run, version diff and prompts panels are in admin_flows_panels.js and admin_flows_prompts.js.
// Endpoints: GET/POST /api/ivr/flows, GET/PUT /api/ivr/flows/{v}, POST /api/ivr/flows/{v}/publish,
// POST /api/ivr/rollback, POST /api/admin/flows/check, GET /api/admin/flows/changes/{old}/{new}.
(() => {
  const ISSUE_TEXT = {
    unknown_start: "起始节点不存在", unknown_target: "目标节点不存在", unreachable_node: "节点无法到达",
    loop_without_exit: "循环没有出口", prompt_not_listed: "提示音未在 prompts 中列出", unknown_prompt: "提示音没有录音",
    unknown_queue: "队列不存在", menu_too_deep: "菜单层级过深", no_person_from_first_menu: "首层菜单无法转人工",
    silence_not_to_person: "无按键时未转人工", key_zero_not_to_person: "按 0 未转人工",
    unknown_speech_choice: "语音关键词对应的选项不存在", unknown_flag: "开关未声明", no_working_hours: "未设置工作时间",
    unknown_variable: "变量从未收号", bad_post_call_survey: "满意度评价节点无效", unknown_subflow: "子流程不存在",
    subflow_cycle: "子流程循环调用", flow_parse_error: "YAML 语法错误", flow_invalid: "字段不符合格式",
    pack_id_mismatch: "主流程编号不符", duplicate_flow_id: "流程编号重复",
  };
  const FIELD_TEXT = { on_timeout: "无按键去向", on_invalid: "按错去向", then: "条件成立去向", else: "条件不成立去向", next: "下一步", queue: "队列", prompt: "提示音" };
  const h = (tag, attrs = {}, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") el.textContent = v; else if (k.startsWith("on")) el[k] = v; else el.setAttribute(k, v);
    }
    el.append(...children);
    return el;
  };
  const fieldText = (f) => (f.startsWith("options.") ? `按键 ${f.slice(8)}` : f.startsWith("prompts.") ? `提示音 ${f.slice(8)} 的文本` : FIELD_TEXT[f] || f);
  const show = (v) => (v === null || v === undefined ? "（无）" : typeof v === "object" ? JSON.stringify(v) : String(v));

  function changeLines(changes) {
    if (!changes.length) return ["两个版本的流程内容相同"];
    return changes.map((c) => {
      const where = c.node ? `流程 ${c.flow} · 节点 ${c.node}` : `流程 ${c.flow}`;
      if (c.change === "added") return `${where}：新增`;
      if (c.change === "removed") return `${where}：删除`;
      return `${where}：` + c.fields.map((f) => `${fieldText(f.field)} 由 ${show(f.before)} 改为 ${show(f.after)}`).join("；");
    });
  }

  function diffView(text) {
    const pre = h("pre", { class: "flow-diff", "data-testid": "flow-diff" });
    for (const line of (text || "（无差异）").split("\n")) {
      const kind = line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
      pre.append(h("span", { class: kind }, `${line}\n`));
    }
    return pre;
  }

  function versionText(v) {
    const state = v.status !== "published" ? "草稿" : v.live ? "线上" : "已发布";
    return `版本 ${v.version} · ${state} · ${v.author}${v.note ? ` · ${v.note}` : ""}`;
  }

  function mount(root, api) {
    const ui = {
      version: h("select", { "data-testid": "flow-version" }),
      status: h("span", { class: "badge flow-state", "data-testid": "flow-status" }),
      newDraft: h("button", { type: "button", "data-testid": "flow-new-draft", text: "以此版本新建草稿" }),
      save: h("button", { type: "button", "data-testid": "flow-save", text: "保存草稿" }),
      publish: h("button", { type: "button", class: "primary", "data-testid": "flow-publish", text: "发布…" }),
      rollback: h("button", { type: "button", "data-testid": "flow-rollback", text: "回滚…" }),
      note: h("span", { class: "note", "data-testid": "flow-note" }),
      flowPick: h("select", { "data-testid": "flow-pick" }),
      graph: h("div", { class: "flows-graph", "data-testid": "flow-graph" }),
      editor: h("div", { class: "flows-editor", "data-testid": "flow-editor" }),
      checkState: h("span", { class: "badge check-state", "data-testid": "flow-check-state" }),
      findings: h("ul", { class: "findings", "data-testid": "findings" }),
      dialog: h("dialog", { class: "flow-confirm", "data-testid": "flow-confirm" }),
    };
    const ctx = { api, versions: [], current: null, dirty: false, flows: [], changeLines, diffView, h };
    ctx.graph = window.AdminFlowGraph.create(ui.graph, (id) => { jumpToNode(id); ctx.graph.pick(id); });

    const side = h("div", { class: "flows-side" });
    const below = h("div", { class: "flows-below" });
    root.append(
      h("div", { class: "flows-bar" }, h("label", {}, "版本 ", ui.version), ui.status, ui.newDraft, ui.save, ui.publish, ui.rollback, ui.note),
      h("section", { class: "flows-graph-wrap" }, h("h2", {}, "流程图 ", ui.flowPick,
        h("span", { class: "note", text: "蓝色：菜单；橙色菱形：条件（时间、工作时间、来电人、开关）；绿色：队列；紫色：转接；红框：有问题；黄色：试运行路径。点击节点定位到 YAML，滚轮缩放。" })), ui.graph),
      h("div", { class: "flows-work" },
        h("section", { class: "flows-editor-wrap" }, h("h2", {}, "YAML ", ui.checkState), ui.editor,
          h("h3", {}, "检查结果"), ui.findings),
        side),
      below,
      ui.dialog,
    );

    function setDirty(dirty) {
      ctx.dirty = dirty;
      ui.save.disabled = !dirty || !isDraft();
      ui.note.textContent = dirty ? "有未保存的修改" : "";
    }
    const isDraft = () => ctx.current && ctx.current.status !== "published";

    function diagnostics(doc, issues) {
      return issues.map((i) => {
        const line = doc.line(Math.min(Math.max(i.line || 1, 1), doc.lines));
        const text = `${ISSUE_TEXT[i.code] || i.code}${i.node_id ? `（节点 ${i.node_id}）` : ""}：${i.message}`;
        return { from: line.from, to: Math.max(line.to, line.from), severity: "error", message: text, source: i.flow_id || "" };
      });
    }

    function renderFindings(body) {
      ui.checkState.textContent = body.valid ? "检查通过" : `${body.issues.length} 个问题`;
      ui.checkState.dataset.state = body.valid ? "ok" : "bad";
      ui.findings.replaceChildren(...body.issues.map((i) => {
        const item = h("li", { "data-testid": "finding", "data-line": String(i.line || ""), "data-node": i.node_id || "", "data-code": i.code },
          h("button", { type: "button", class: "link", text: i.line ? `第 ${i.line} 行` : "整体" }),
          ` ${ISSUE_TEXT[i.code] || i.code}${i.node_id ? ` · 节点 ${i.node_id}` : ""}：`, h("span", { class: "note", text: i.message }));
        item.querySelector("button").onclick = () => { jumpToLine(i.line || 1); if (i.node_id) ctx.graph.pick(i.node_id); };
        return item;
      }));
    }

    function renderGraph(flows) {
      if (!flows.length) { ui.note.textContent = "YAML 无法解析，流程图为上次的结果"; return; }
      ctx.flows = flows;
      const keep = ui.flowPick.value || flows[0].id;
      ui.flowPick.replaceChildren(...flows.map((f) => h("option", { value: f.id, text: `${f.name}（${f.id}）` })));
      ui.flowPick.value = flows.some((f) => f.id === keep) ? keep : flows[0].id;
      ctx.graph.draw(flows.find((f) => f.id === ui.flowPick.value));
    }
    ui.flowPick.onchange = () => ctx.graph.draw(ctx.flows.find((f) => f.id === ui.flowPick.value));

    const lint = window.CM.linter(async (view) => {
      const source = view.state.doc.toString();
      if (!source.trim()) return [];
      ui.checkState.textContent = "检查中…";
      let body;
      try { body = await api.post("/api/admin/flows/check", { source }, { quiet: true }); } catch (err) {
        ui.checkState.textContent = `检查失败：${api.errorText(err)}`;
        return [];
      }
      renderFindings(body);
      renderGraph(body.flows);
      ctx.lastCheck = body;
      return diagnostics(view.state.doc, body.issues);
    }, { delay: 400 });

    function editorState(doc, editable) {
      const ext = [window.CM.basicSetup, window.CM.yaml(), window.CM.lintGutter(), lint, window.CM.EditorView.lineWrapping,
        window.CM.EditorView.updateListener.of((u) => { if (u.docChanged) setDirty(true); })];
      if (!editable) ext.push(window.CM.EditorState.readOnly.of(true), window.CM.EditorView.editable.of(false));
      return window.CM.EditorState.create({ doc, extensions: ext });
    }
    ctx.view = new window.CM.EditorView({ parent: ui.editor, state: editorState("", false) });

    function jumpToLine(n) {
      const doc = ctx.view.state.doc;
      const line = doc.line(Math.min(Math.max(n, 1), doc.lines));
      ctx.view.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true });
      ctx.view.focus();
    }
    function jumpToNode(id) {
      // The node's key under `nodes:` of the flow on the graph (the prompts may use the same names).
      const text = ctx.view.state.doc.toString();
      const quote = (v) => v.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
      const flowId = ctx.graph.flow ? ctx.graph.flow.id : "";
      const flowAt = Math.max(0, text.search(new RegExp(`^id: *["']?${quote(flowId)}["']? *$`, "m")));
      const nodesAt = text.slice(flowAt).search(/^nodes:/m);
      if (nodesAt < 0) return;
      const from = flowAt + nodesAt;
      const at = text.slice(from).search(new RegExp(`^  ${quote(id)}:`, "m"));
      if (at >= 0) jumpToLine(ctx.view.state.doc.lineAt(from + at).number);
    }

    async function loadVersions(select) {
      ctx.versions = await api.get("/api/ivr/flows");
      ui.version.replaceChildren(...ctx.versions.map((v) => h("option", { value: String(v.version), text: versionText(v) })));
      const live = ctx.versions.find((v) => v.live);
      const want = select || (ctx.current && ctx.current.version) || (live && live.version);
      if (want) ui.version.value = String(want);
      await open(Number(ui.version.value));
    }
    ctx.live = () => ctx.versions.find((v) => v.live);

    async function open(number) {
      const detail = await api.get(`/api/ivr/flows/${number}`);
      ctx.current = detail;
      ui.status.textContent = detail.status !== "published" ? "草稿（可编辑）" : detail.live ? "线上版本（只读）" : "已发布（只读）";
      ui.status.dataset.state = detail.status !== "published" ? "draft" : detail.live ? "live" : "old";
      ctx.view.setState(editorState(detail.source, detail.status !== "published"));
      setDirty(false);
      ui.publish.disabled = detail.status === "published";
      ui.rollback.disabled = !ctx.versions.some((v) => v.status === "published" && !v.live);
      ctx.panels.forEach((p) => p.refresh && p.refresh());
    }
    ui.version.onchange = async () => {
      if (ctx.dirty && !window.confirm("当前草稿有未保存的修改，确定放弃？")) { ui.version.value = String(ctx.current.version); return; }
      await open(Number(ui.version.value)).catch(() => {});
    };

    ctx.saveIfDirty = async () => {
      if (!ctx.dirty || !isDraft()) return;
      let saved;
      try {
        saved = await api.put(
          `/api/ivr/flows/${ctx.current.version}`,
          { source: ctx.view.state.doc.toString(), base_sha256: ctx.current.source_sha256 },
          { quiet: true },
        );
      } catch (err) {
        // Someone saved this draft after it was opened here: keep this text on screen, overwrite nothing.
        if (err.errorId === "draft_changed") {
          const when = err.details && err.details.updated_at ? new Date(err.details.updated_at).toLocaleString("zh-CN") : "";
          api.fail(`草稿 版本 ${ctx.current.version} 已被他人修改（${when}），本次未保存：请复制您的修改，重新打开该版本后再改`);
        } else {
          api.fail(api.errorText(err));
        }
        throw err;
      }
      ctx.current = saved;
      setDirty(false);
      api.say(`草稿 版本 ${saved.version} 已保存`);
    };
    ui.save.onclick = () => ctx.saveIfDirty().catch(() => {});
    ui.newDraft.onclick = async () => {
      try {
        const base = ctx.current.version;
        const made = await api.post("/api/ivr/flows", { base, note: `基于版本 ${base}` });
        api.say(`已新建草稿 版本 ${made.version}`);
        await loadVersions(made.version);
      } catch (_) { /* shown by api */ }
    };

    function confirmDialog(title, lines, diffText, action, extra) {
      const ok = h("button", { type: "button", class: "primary", "data-testid": "confirm-ok", text: action });
      const cancel = h("button", { type: "button", "data-testid": "confirm-cancel", text: "取消" });
      const list = h("ul", { "data-testid": "confirm-changes" }, ...lines.map((l) => h("li", { text: l })));
      ui.dialog.replaceChildren(h("h2", { "data-testid": "confirm-title", text: title }), ...(extra ? [extra] : []), h("p", { text: "将发生的变更（仅影响之后接入的来电，通话中的来电继续使用原版本）：" }), list,
        h("details", {}, h("summary", { text: "YAML 差异" }), diffView(diffText)), h("div", { class: "buttons" }, ok, cancel));
      ui.dialog.showModal();
      return new Promise((resolve) => {
        ok.onclick = () => { ui.dialog.close(); resolve(true); };
        cancel.onclick = () => { ui.dialog.close(); resolve(false); };
        ui.dialog.oncancel = () => resolve(false);
      });
    }
    ctx.changes = (from, to) => api.get(`/api/admin/flows/changes/${from}/${to}`);

    ui.publish.onclick = async () => {
      try {
        await ctx.saveIfDirty();
        const live = ctx.live();
        const target = ctx.current.version;
        const changed = await ctx.changes(live.version, target);
        const yes = await confirmDialog(`发布版本 ${target}，替换线上版本 ${live.version}？`, changeLines(changed.changes), changed.diff, "确认发布");
        if (!yes) return;
        await api.post(`/api/ivr/flows/${target}/publish`, {});
        api.say(`版本 ${target} 已发布，新来电将按此版本处理`);
        await loadVersions(target);
      } catch (_) { /* shown by api; the findings are in the list */ }
    };

    ui.rollback.onclick = async () => {
      const live = ctx.live();
      const targets = ctx.versions.filter((v) => v.status === "published" && !v.live);
      if (!targets.length) return;
      const pick = h("select", { "data-testid": "rollback-target" }, ...targets.map((v) => h("option", { value: String(v.version), text: versionText(v) })));
      const before = targets.filter((v) => v.version < live.version);
      pick.value = String((before[0] || targets[0]).version);
      try {
        let changed = await ctx.changes(live.version, Number(pick.value));
        const wait = confirmDialog(`回滚：线上版本 ${live.version} 换回版本 ${pick.value}？`, changeLines(changed.changes), changed.diff, "确认回滚", h("label", {}, "回滚到 ", pick));
        pick.onchange = async () => {
          changed = await ctx.changes(live.version, Number(pick.value));
          ui.dialog.querySelector("[data-testid=confirm-title]").textContent = `回滚：线上版本 ${live.version} 换回版本 ${pick.value}？`;
          ui.dialog.querySelector("[data-testid=confirm-changes]").replaceChildren(...changeLines(changed.changes).map((l) => h("li", { text: l })));
        };
        if (!(await wait)) return;
        const row = await api.post("/api/ivr/rollback", { version: Number(pick.value) });
        api.say(`已回滚，线上版本为 ${row.version}`);
        await loadVersions(row.version);
      } catch (_) { /* shown by api */ }
    };

    ctx.panels = (window.AdminFlowPanels || []).map((make) => {
      const el = h("section", { class: "flows-panel" });
      (make.place === "below" ? below : side).append(el);
      try { return make(ctx, el); } catch (err) { el.textContent = `加载失败：${err.message}`; return {}; }
    });
    ctx.markPath = (path) => ctx.graph.mark(path);
    window.AdminFlows = ctx;
    loadVersions().catch(() => {});
  }

  window.AdminFlowPanels = window.AdminFlowPanels || [];
  window.AdminTabs.register("flows", { title: "流程", mount });
})();
