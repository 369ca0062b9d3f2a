"use strict";
// Admin tab 日历与时段: one year's public holidays and make-up working days (调休上班) as the centre uses
// them for the IVR's working-day tests and the work-order deadlines. The year is shown as twelve small
// months (days off red, make-up working days blue) and edited as a table of holidays; saving replaces the
// year (PUT /api/admin/calendar/{year}, audited), 恢复发布版本 drops the edit (DELETE). A year shipped before
// the State Council notice is out is marked 预排. Below it: the emergency notice callers hear (on/off, its
// text, until when; PUT /api/admin/emergency, audited) and the main call flow's working hours.
(() => {
  const STYLE = `
    .ac-head { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
    .ac-badge { padding: .1rem .6rem; border-radius: 1rem; background: #e8edf2; }
    .ac-badge[data-kind="expected"] { background: #fff3e0; color: #e65100; border: 1px solid #ffb74d; }
    .ac-badge[data-kind="edited"] { background: #e3f2fd; color: #0d47a1; }
    .ac-months { display: grid; grid-template-columns: repeat(6, 1fr); gap: .5rem; margin: .6rem 0; }
    .ac-month table { border-collapse: collapse; font-size: .75rem; }
    .ac-month td, .ac-month th { width: 1.5rem; height: 1.2rem; text-align: center; padding: 0; }
    .ac-month caption { font-weight: bold; font-size: .85rem; }
    .ac-month td.off { background: #ffcdd2; color: #b71c1c; } .ac-month td.weekend { color: #9e9e9e; }
    .ac-month td.work { background: #bbdefb; color: #0d47a1; font-weight: bold; }
    .ac-holidays td, .ac-holidays th { padding: .15rem .4rem; text-align: left; }
    .ac-holidays input.ac-date { width: 9.5rem; } .ac-holidays input.ac-dates { width: 14rem; }
    .ac-holidays input.ac-note { width: 20rem; }
    .ac-notice { margin-top: 1.2rem; border-top: 1px solid #c5ccd3; padding-top: .6rem; }
  `;
  const SOURCES = { edited: "已编辑", shipped: "随系统发布", none: "未设置（仅按周末）" };
  const WEEK = ["一", "二", "三", "四", "五", "六", "日"];

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
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

  function month(year, m, off, work) {
    const first = new Date(year, m, 1);
    const rows = [];
    let row = [];
    for (let i = 0; i < (first.getDay() + 6) % 7; i++) row.push(h("td"));
    for (let d = new Date(first); d.getMonth() === m; d.setDate(d.getDate() + 1)) {
      const key = iso(d);
      const cls = off.has(key) ? "off" : work.has(key) ? "work" : d.getDay() % 6 === 0 ? "weekend" : "";
      row.push(h("td", { className: cls, textContent: String(d.getDate()), title: off.get(key) || work.get(key) || "" }));
      if (row.length === 7) { rows.push(h("tr", {}, ...row)); row = []; }
    }
    if (row.length) rows.push(h("tr", {}, ...row));
    return h("div", { className: "ac-month" }, h("table", {}, h("caption", { textContent: `${m + 1} 月` }),
      h("thead", {}, h("tr", {}, ...WEEK.map((w) => h("th", { textContent: w })))), h("tbody", {}, ...rows)));
  }

  function holidayRow(hol) {
    const tr = h("tr", { className: "ac-holiday" },
      h("td", {}, h("input", { value: hol.name || "", testid: "hol-name", size: 8 })),
      h("td", {}, h("input", { type: "date", className: "ac-date", value: hol.start || "", testid: "hol-start" })),
      h("td", {}, h("input", { type: "date", className: "ac-date", value: hol.end || "", testid: "hol-end" })),
      h("td", {}, h("input", { className: "ac-dates", value: (hol.workdays || []).join(","), placeholder: "如 2027-01-30,2027-02-20", testid: "hol-workdays" })),
      h("td", {}, h("input", { className: "ac-note", value: hol.note || "", testid: "hol-note" })),
      h("td", {}, h("button", { type: "button", textContent: "删除", onclick: () => tr.remove() })));
    return tr;
  }

  function readRow(tr) {
    const val = (id) => tr.querySelector(`[data-testid="${id}"]`).value.trim();
    return {
      name: val("hol-name"), start: val("hol-start"), end: val("hol-end"),
      workdays: val("hol-workdays").split(/[,，\s]+/).filter(Boolean), note: val("hol-note"),
    };
  }

  async function render(el, api, year) {
    const view = await api.get(`/api/admin/calendar/${year}`);
    const off = new Map(view.days_off.map((d) => [d.date, d.name]));
    const work = new Map(view.workdays.map((d) => [d.date, `${d.name} 调休上班`]));
    const expected = view.status === "expected";
    const select = h("select", { testid: "calendar-year" });
    const now = new Date().getFullYear();
    for (let y = now - 1; y <= now + 2; y++) select.append(h("option", { value: String(y), textContent: `${y} 年` }));
    select.value = String(year);
    select.onchange = () => render(el, api, Number(select.value)).catch((err) => api.fail(api.errorText(err)));
    const status = h("select", { testid: "calendar-status" },
      h("option", { value: "confirmed", textContent: "已发布（按国务院办公厅通知）" }),
      h("option", { value: "expected", textContent: "预排（通知未发布）" }));
    status.value = view.status || "confirmed";
    const notice = h("input", { value: view.notice || "", size: 60, testid: "calendar-notice" });
    const url = h("input", { value: view.url || "", size: 50, placeholder: "https://www.gov.cn/...", testid: "calendar-url" });
    const published = h("input", { type: "date", value: view.published || "", testid: "calendar-published" });
    const rows = h("tbody", {}, ...view.holidays.map(holidayRow));
    const save = h("button", { type: "button", textContent: "保存本年安排（立即生效）", testid: "calendar-save" });
    save.onclick = async () => {
      const body = { status: status.value, notice: notice.value.trim(), url: url.value.trim(), published: published.value || null,
        holidays: [...rows.querySelectorAll(".ac-holiday")].map(readRow) };
      await api.put(`/api/admin/calendar/${year}`, body);
      await render(el, api, year);
      api.say(`已保存 ${year} 年放假调休安排，自动语音和工单时限立即按此计算。`);
    };
    const reset = h("button", { type: "button", textContent: "恢复发布版本", testid: "calendar-reset", disabled: view.source !== "edited" });
    reset.onclick = async () => {
      if (!confirm(`放弃对 ${year} 年的修改，恢复随系统发布的安排？`)) return;
      await api.del(`/api/admin/calendar/${year}`);
      await render(el, api, year);
      api.say(`${year} 年已恢复为随系统发布的安排。`);
    };
    el.replaceChildren(
      h("div", { className: "ac-head" }, h("h2", { textContent: "节假日与调休" }), select,
        h("span", { className: "ac-badge", testid: "calendar-source", textContent: SOURCES[view.source] || view.source, "data-kind": expected ? "expected" : view.source }),
        expected ? h("span", { className: "ac-badge", "data-kind": "expected", testid: "calendar-expected", textContent: "预排：国务院办公厅通知尚未发布，按法定假日与往年惯例排定" }) : null,
        view.updated_by ? h("span", { className: "note", textContent: `${view.updated_by} 修改于 ${new Date(view.updated_at).toLocaleString("zh-CN", { hour12: false })}` }) : null),
      h("p", { className: "note", textContent: `放假 ${view.days_off.length} 天（红色），调休上班 ${view.workdays.length} 天（蓝色）；其余周一至周五为工作日。` }),
      h("div", { className: "ac-months", testid: "calendar-months" }, ...Array.from({ length: 12 }, (_, m) => month(year, m, off, work))),
      h("div", { className: "ac-head" }, h("label", {}, "状态 ", status), h("label", {}, "通知 ", notice)),
      h("div", { className: "ac-head" }, h("label", {}, "链接 ", url), h("label", {}, "发布日期 ", published)),
      h("table", { className: "ac-holidays", testid: "calendar-holidays" },
        h("thead", {}, h("tr", {}, ...["节日", "放假开始", "放假结束", "调休上班日", "说明", ""].map((t) => h("th", { textContent: t })))), rows),
      h("div", { className: "ac-head" },
        h("button", { type: "button", textContent: "添加节日", testid: "calendar-add", onclick: () => rows.append(holidayRow({})) }), save, reset));
  }

  const pad = (n) => String(n).padStart(2, "0");
  const localInput = (isoText) => {
    if (!isoText) return "";
    const d = new Date(isoText);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  };

  async function renderNotice(el, api) {
    const state = await api.get("/api/admin/emergency");
    const on = h("input", { type: "checkbox", checked: state.on, testid: "notice-on" });
    const text = h("textarea", { rows: 2, cols: 70, value: state.text || "", testid: "notice-text", maxLength: 200 });
    const until = h("input", { type: "datetime-local", value: localInput(state.until), testid: "notice-until" });
    const save = h("button", { type: "button", textContent: "保存紧急通知", testid: "notice-save" });
    save.onclick = async () => {
      const body = { on: on.checked, text: text.value.trim() || null, until: until.value ? new Date(until.value).toISOString() : null };
      if (!body.on) body.until = null;
      await api.put("/api/admin/emergency", body);
      await renderNotice(el, api);
      api.say(body.on ? "紧急通知已开启，新来电将先听到通知。" : "紧急通知已关闭。");
    };
    const hours = state.working_hours.map((r) => `${r.start}–${r.end}`).join("，") || "未设置";
    const queues = await api.get("/api/admin/hours");
    const hoursRows = queues.map((q) => hoursRow(q, api, () => renderNotice(el, api)));
    el.replaceChildren(
      h("h2", { textContent: "紧急通知" }),
      h("p", { className: "note", testid: "notice-state", textContent: state.on
        ? `正在播放${state.until ? `，至 ${new Date(state.until).toLocaleString("zh-CN", { hour12: false })} 自动关闭` : "，直到手动关闭"}`
        : "未开启" }),
      h("div", { className: "ac-head" }, h("label", {}, on, " 开启（新来电先听到此通知）"), h("label", {}, "播放至 ", until), save),
      h("label", {}, "通知内容 ", text),
      h("h2", { textContent: "工作时段" }),
      h("p", { testid: "working-hours", textContent: `主呼叫流程的工作时段（工作日）：${hours}。非工作时段进入值班菜单；在「流程」页修改。` }),
      h("h2", { textContent: "各队列开放时间" }),
      h("p", { className: "note", textContent: "专席在开放时间外不接入：此时转入该队列的来电改由综合坐席（general，全天值守）接听。未设置的队列全天开放。" }),
      h("table", { className: "ac-holidays", testid: "queue-hours" },
        h("thead", {}, h("tr", {}, ...["队列", "开放日", "开始", "结束", "当前", ""].map((t) => h("th", { textContent: t })))),
        h("tbody", {}, ...hoursRows)));
  }

  function hoursRow(q, api, again) {
    const set = q.hours || { days: "working", start: "08:30", end: "17:30" };
    const days = h("select", { testid: "hours-days", disabled: q.always_open },
      h("option", { value: "working", textContent: "工作日（含调休上班日）" }), h("option", { value: "every_day", textContent: "每天" }));
    days.value = set.days;
    const start = h("input", { type: "time", value: set.start, testid: "hours-start", disabled: q.always_open });
    const end = h("input", { type: "time", value: set.end, testid: "hours-end", disabled: q.always_open });
    const label = q.always_open ? "全天值守" : q.hours ? `${q.hours.days === "working" ? "工作日" : "每天"} ${q.hours.start}–${q.hours.end}` : "全天开放";
    const save = h("button", { type: "button", textContent: "保存", testid: "hours-save", disabled: q.always_open });
    save.onclick = async () => {
      await api.put(`/api/admin/hours/${q.queue}`, { days: days.value, start: start.value, end: end.value });
      await again();
      api.say(`队列 ${q.queue} 的开放时间已保存，立即生效。`);
    };
    const clear = h("button", { type: "button", textContent: "改为全天开放", testid: "hours-clear", disabled: !q.hours });
    clear.onclick = async () => {
      await api.del(`/api/admin/hours/${q.queue}`);
      await again();
      api.say(`队列 ${q.queue} 已改为全天开放。`);
    };
    return h("tr", { testid: `hours-${q.queue}` }, h("td", { textContent: q.queue }), h("td", {}, days), h("td", {}, start), h("td", {}, end),
      h("td", { testid: "hours-now", textContent: label }), h("td", {}, save, clear));
  }

  window.AdminTabs.register("calendar", {
    title: "日历与时段",
    mount(el, api) {
      if (!document.getElementById("ac-style")) document.head.append(h("style", { id: "ac-style", textContent: STYLE }));
      const year = new Date().getMonth() >= 9 ? new Date().getFullYear() + 1 : new Date().getFullYear();
      const calendar = h("div", { testid: "calendar-part" });
      const notice = h("div", { className: "ac-notice", testid: "notice-part" });
      el.replaceChildren(calendar, notice);
      render(calendar, api, year).catch((err) => api.fail(api.errorText(err)));
      renderNotice(notice, api).catch((err) => api.fail(api.errorText(err)));
    },
  });
})();
