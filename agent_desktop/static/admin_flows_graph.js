"use strict";
// The flow picture of the 流程 tab: one flow of the pack drawn with Cytoscape.js (window.cytoscape) from
// the graph POST /api/admin/flows/check answers (nodes with type, label, detail and findings; edges with
// the key or branch that takes them). Menus are blue, conditions (time, working hours, caller profile,
// switches) orange diamonds, queues green, transfers purple, a node that does not exist red; a node with
// a finding gets a red border; a dry run's path is drawn thick. Clicking a node calls onPick(nodeId).
(() => {
  const TYPE_TEXT = {
    menu: "按键菜单", speech_menu: "语音/按键菜单", condition: "条件", queue: "队列", transfer: "转接",
    play: "放音", set_tags: "标记", leave_message: "留言", collect_digits: "收号", work_order_status: "工单查询",
    survey: "满意度评价", hangup: "挂机", subflow: "子流程", return: "返回", missing: "缺失",
  };
  const STYLE = [
    { selector: "node", style: {
      shape: "round-rectangle", "background-color": "#eceff1", "border-width": 1, "border-color": "#90a4ae",
      label: "data(text)", "text-wrap": "wrap", "text-max-width": "150px", "text-valign": "center",
      "font-size": 11, width: (n) => textWidth(n.data("text")), height: (n) => 12 + 14 * n.data("text").split("\n").length,
      color: "#1d2733",
    } },
    { selector: "node[type = 'menu'], node[type = 'speech_menu']", style: { "background-color": "#bbdefb", "border-color": "#1565c0" } },
    { selector: "node[type = 'condition']", style: { shape: "round-diamond", "background-color": "#ffe0b2", "border-color": "#e65100", width: (n) => textWidth(n.data("text")) + 40, height: (n) => 40 + 14 * n.data("text").split("\n").length } },
    { selector: "node[type = 'queue']", style: { "background-color": "#c8e6c9", "border-color": "#2e7d32" } },
    { selector: "node[type = 'transfer']", style: { "background-color": "#e1bee7", "border-color": "#6a1b9a" } },
    { selector: "node[type = 'missing']", style: { "background-color": "#ffcdd2", "border-style": "dashed", "border-color": "#b71c1c" } },
    { selector: "node.start", style: { "border-width": 3 } },
    { selector: "node.issue", style: { "border-width": 4, "border-color": "#c62828" } },
    { selector: "node.path", style: { "background-color": "#fff59d", "border-width": 4, "border-color": "#f9a825" } },
    { selector: "node.picked", style: { "overlay-color": "#0b4f8a", "overlay-opacity": 0.15 } },
    { selector: "edge", style: {
      width: 1.5, "line-color": "#90a4ae", "target-arrow-color": "#90a4ae", "target-arrow-shape": "triangle",
      "curve-style": "bezier", label: "data(label)", "font-size": 11, "text-background-color": "#fff",
      "text-background-opacity": 1, "text-background-padding": "2px", color: "#0b4f8a",
    } },
    { selector: "edge.path", style: { width: 4, "line-color": "#f9a825", "target-arrow-color": "#f9a825" } },
  ];

  function textWidth(text) {
    const widest = Math.max(...text.split("\n").map((line) => [...line].reduce((w, c) => w + (c.charCodeAt(0) > 255 ? 11 : 6.3), 0)));
    return Math.min(170, Math.max(50, widest + 14));
  }

  function elements(flow) {
    const nodes = flow.nodes.map((n) => ({
      data: { id: n.id, type: n.type, text: `${n.label ? `${n.label}\n` : ""}${n.id}\n${n.detail || TYPE_TEXT[n.type] || n.type}` },
      classes: [n.start ? "start" : "", n.issues.length ? "issue" : ""].join(" ").trim(),
    }));
    const edges = flow.edges.map((e, i) => ({
      data: { id: `e${i}-${e.source}-${e.field}`, source: e.source, target: e.target, label: e.label, field: e.field },
    }));
    return [...nodes, ...edges];
  }

  function create(container, onPick) {
    const state = { cy: null, flow: null, path: [] };
    function draw(flow) {
      state.flow = flow;
      if (!window.cytoscape) {
        container.textContent = "流程图组件未加载（vendor/cytoscape.min.js）";
        return;
      }
      if (state.cy) state.cy.destroy();
      state.cy = window.cytoscape({
        container, elements: elements(flow), style: STYLE, minZoom: 0.2, maxZoom: 2,
        layout: {
          name: "breadthfirst", directed: true, roots: [flow.start], spacingFactor: 1, animate: false,
          transform: (_, pos) => ({ x: pos.y * 1.3, y: pos.x * 0.7 }),
        },
      });
      state.cy.on("tap", "node", (ev) => onPick(ev.target.id()));
      mark(state.path);
    }
    function mark(path) {
      state.path = path || [];
      if (!state.cy) return;
      state.cy.elements().removeClass("path");
      const here = state.path.filter((s) => s.flow === state.flow.id).map((s) => s.node);
      here.forEach((id, i) => {
        state.cy.$id(id).addClass("path");
        if (i > 0) state.cy.edges(`[source = "${here[i - 1]}"][target = "${id}"]`).addClass("path");
      });
    }
    function pick(nodeId) {
      if (!state.cy) return;
      state.cy.nodes().removeClass("picked");
      const node = state.cy.$id(nodeId);
      if (node.nonempty()) { node.addClass("picked"); state.cy.center(node); }
    }
    return { draw, mark, pick, get cy() { return state.cy; }, get flow() { return state.flow; } };
  }

  window.AdminFlowGraph = { create, TYPE_TEXT };
})();
