"use strict";
// 部门三率 view of the reports page: per department (rolled up over its subtree) the orders dispatched in the
// period, 响应率, 解决率, 满意率, 按时办结率, overdue counts, returns, extensions and 督办, as a table with the
// total row and two charts (dispatched and overdue per department; the four rates). Loaded before
// reports.js, which calls showDepartments() and runDepartments() from its run(); downloads go through
// reports.js as for the other views (GET /api/reports/departments?period=&date=&department=&format=).
// Definitions: docs/SANLV.md.
const SANLV_COLUMNS = [
  ["dispatched", "派单量", "int"], ["response_rate", "响应率", "pct"], ["solve_rate", "解决率", "pct"],
  ["satisfaction_rate", "满意率", "pct"], ["on_time_rate", "按时办结率", "pct"],
  ["overdue_sign", "签收超期", "int"], ["overdue_handle", "办理超期", "int"], ["overdue_reply", "答复超期", "int"],
  ["returns", "退单", "int"], ["extensions_requested", "延期申请", "int"], ["extensions_approved", "延期同意", "int"],
  ["escalations", "督办", "int"],
];
const SANLV_LEVEL_INDENT = { city: 0, district: 1, street: 2 };
const sanlv = { charts: null, known: new Map() };

function showDepartments(on) {
  document.getElementById("sanlv").hidden = !on;
  document.getElementById("department-filter").hidden = !on;
  for (const el of document.querySelectorAll("#reports > .table-wrap, #reports > .report-charts")) {
    el.style.display = on ? "none" : "";
  }
}

function sanlvCell(text, field) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.field = field;
  return td;
}

function sanlvShow(value, kind) {
  if (value === null || value === undefined) return "—";
  return kind === "pct" ? `${(value * 100).toFixed(1)}%` : String(value);
}

function sanlvTable(report) {
  const head = document.createElement("tr");
  for (const title of ["部门", ...SANLV_COLUMNS.map((c) => c[1])]) {
    head.append(Object.assign(document.createElement("th"), { textContent: title }));
  }
  document.getElementById("sanlv-head").replaceChildren(head);
  const rows = report.rows.map((r) => [r, r.department]);
  if (report.department === null) rows.push([report.total, "__total__"]);
  document.getElementById("sanlv-rows").replaceChildren(...rows.map(([row, key]) => {
    const tr = document.createElement("tr");
    tr.dataset.key = key;
    if (key === "__total__") tr.className = "total";
    const name = sanlvCell(key === "__total__" ? "合计（全市）" : row.name, "name");
    name.style.paddingLeft = `${0.4 + 1.4 * (SANLV_LEVEL_INDENT[row.level] || 0)}rem`;
    tr.append(name, ...SANLV_COLUMNS.map(([field, , kind]) => sanlvCell(sanlvShow(row[field], kind), field)));
    return tr;
  }));
}

function sanlvCharted(report) {
  // the chosen department and those one level below it (the top-level ones for the whole city), with orders
  const top = report.department;
  const near = report.rows.filter((r) => (top === null ? r.parent === null : r.parent === top || r.department === top));
  const busy = near.filter((r) => r.dispatched > 0);
  return busy.length ? busy : near;
}

function sanlvCharts(report) {
  if (!sanlv.charts) {
    sanlv.charts = {
      volume: echarts.init(document.getElementById("sanlv-chart-volume")),
      rates: echarts.init(document.getElementById("sanlv-chart-rates")),
    };
  }
  const rows = sanlvCharted(report);
  const axis = { type: "category", data: rows.map((r) => r.name), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } };
  const grid = { left: 40, right: 16, top: 30, bottom: rows.length > 6 ? 80 : 30 };
  const bar = (name, key) => ({ name, type: "bar", data: rows.map((r) => r[key]) });
  sanlv.charts.volume.setOption({
    animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid, xAxis: axis,
    yAxis: { type: "value", minInterval: 1 },
    series: [bar("派单量", "dispatched"), bar("签收超期", "overdue_sign"), bar("答复超期", "overdue_reply"), bar("退单", "returns")],
  }, true);
  const pct = (key) => rows.map((r) => (r[key] === null ? null : +(r[key] * 100).toFixed(1)));
  sanlv.charts.rates.setOption({
    animation: false, tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : `${v}%`) },
    legend: { top: 0 }, grid, xAxis: axis,
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [["响应率", "response_rate"], ["解决率", "solve_rate"], ["满意率", "satisfaction_rate"], ["按时办结率", "on_time_rate"]]
      .map(([name, key]) => ({ name, type: "bar", data: pct(key) })),
  }, true);
}

function sanlvFilter(report) {
  for (const r of report.rows) sanlv.known.set(r.department, r);
  const select = document.getElementById("department");
  const chosen = select.value;
  const options = [...sanlv.known.values()]; // tree order, as the first report listed them
  const all = Object.assign(document.createElement("option"), { value: "", textContent: "全部（可见范围）" });
  select.replaceChildren(all, ...options.map((r) => Object.assign(document.createElement("option"), {
    value: r.department, textContent: `${"　".repeat(SANLV_LEVEL_INDENT[r.level] || 0)}${r.name}`,
  })));
  select.value = chosen;
}

async function runDepartments(params) {
  const report = await api(`/api/reports/departments?${params}`);
  const scope = report.department === null ? "全市" : (sanlv.known.get(report.department) || report.total).name;
  document.getElementById("sanlv-title").textContent = `部门三率·${scope}${PERIOD_TEXT[report.period]}（${periodRange(report)}）`;
  sanlvTable(report);
  sanlvFilter(report);
  sanlvCharts(report);
  return report;
}

window.addEventListener("resize", () => sanlv.charts && Object.values(sanlv.charts).forEach((c) => c.resize()));
