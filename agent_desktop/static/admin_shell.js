"use strict";
// Admin console shell: sign-in (the token is shared with the other pages in sessionStorage), the admin role
// check, a tab bar and one panel per area. Each area's code lives in admin_<area>.js and registers itself:
//   window.AdminTabs.register("<area>", { title: "...", mount(el, api) {...}, show(el, api) {...} })
// mount runs once, the first time the tab is opened; the optional show runs on every later opening.
// A tab whose file is missing or fails shows a notice instead; the other tabs keep working.
// `api` is a fetch helper with the bearer token:
//   await api(path, {method, body, headers, quiet})  -> parsed JSON (null for an empty answer)
//   api.get(path) / api.post(path, body) / api.put(path, body) / api.patch(path, body) / api.del(path)
//   api.raw(path, options) -> the Response itself (blobs, audio, downloads)
//   api.say(text) / api.fail(text) / api.clear() -> the console's message line
// A body that is a plain object is sent as JSON; FormData, Blob, File and strings are sent as they are.
// An error answer {error_id, message, details} throws an Error with .errorId, .status and .details and is
// shown in the message line (unless `quiet: true`).
(() => {
  const $ = (id) => document.getElementById(id);
  const AREAS = [
    ["flows", "流程"], ["queues", "队列"], ["agents", "坐席"],
    ["calendar", "日历与时段"], ["directory", "通讯录"], ["audit", "审计"],
  ];
  const STATUS_TEXT = {
    400: "请求无效", 401: "登录已失效，请重新登录", 403: "无权限", 404: "不存在", 409: "与当前状态冲突",
    413: "内容过大", 422: "输入有误", 500: "服务器错误", 503: "服务暂不可用",
  };
  const state = { token: sessionStorage.getItem("hotline.token"), me: null, current: null, started: false };
  const tabs = new Map(AREAS.map(([area, title]) => [area, { area, title, spec: null, mounted: false }]));

  function say(text, kind = "ok") {
    const line = $("admin-message");
    line.textContent = text;
    line.dataset.kind = kind;
    line.hidden = !text;
  }

  function fieldsOf(details) {
    const errors = details && Array.isArray(details.errors) ? details.errors : [];
    const names = errors.map((e) => (e.loc || []).filter((p) => p !== "body").join(".")).filter(Boolean);
    return names.length ? `；有误的字段：${[...new Set(names)].join("、")}` : "";
  }

  function errorText(err) {
    const head = STATUS_TEXT[err.status] || "操作失败";
    const id = err.errorId ? `，${err.errorId}` : "";
    return `${head}：${err.message}${fieldsOf(err.details)}（${err.status || "网络"}${id}）`;
  }

  function encode(body, headers) {
    if (body === undefined || body === null) return undefined;
    if (body instanceof FormData || body instanceof Blob || typeof body === "string") return body;
    headers["Content-Type"] = "application/json";
    return JSON.stringify(body);
  }

  async function raw(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const init = { method: options.method || "GET", headers, body: encode(options.body, headers) };
    let res;
    try {
      res = await fetch(path, init);
    } catch (cause) {
      const err = new Error(`网络不可用（${cause.message}）`);
      if (!options.quiet) say(errorText(err), "error");
      throw err;
    }
    if (res.ok) return res;
    const body = await res.json().catch(() => null);
    const err = new Error(body && body.message ? body.message : res.statusText || "未知错误");
    err.errorId = body && body.error_id;
    err.details = body && body.details;
    err.status = res.status;
    if (!options.quiet) say(errorText(err), "error");
    if (res.status === 401) signOutLocally();
    throw err;
  }

  async function api(path, options = {}) {
    const res = await raw(path, options);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
  Object.assign(api, {
    raw,
    say: (text) => say(text, "ok"),
    fail: (text) => say(text, "error"),
    clear: () => say(""),
    errorText,
    get: (path, options = {}) => api(path, { ...options, method: "GET" }),
    post: (path, body, options = {}) => api(path, { ...options, method: "POST", body }),
    put: (path, body, options = {}) => api(path, { ...options, method: "PUT", body }),
    patch: (path, body, options = {}) => api(path, { ...options, method: "PATCH", body }),
    del: (path, options = {}) => api(path, { ...options, method: "DELETE" }),
  });
  Object.defineProperty(api, "me", { get: () => state.me });

  function buildTabs() {
    const nav = $("admin-tabs");
    const panels = $("admin-panels");
    nav.replaceChildren();
    for (const tab of tabs.values()) {
      const button = document.createElement("button");
      Object.assign(button, { type: "button", textContent: tab.title, id: `tab-${tab.area}` });
      button.setAttribute("role", "tab");
      button.setAttribute("data-testid", `tab-${tab.area}`);
      button.onclick = () => { location.hash = tab.area; };
      nav.append(button);
      if (!$(`panel-${tab.area}`)) {
        const panel = document.createElement("section");
        Object.assign(panel, { id: `panel-${tab.area}`, className: "admin-panel", hidden: true });
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("data-testid", `panel-${tab.area}`);
        panels.append(panel);
      }
    }
  }

  function missing(tab, el) {
    const note = document.createElement("p");
    note.className = "note";
    note.setAttribute("data-testid", "tab-missing");
    note.textContent = `「${tab.title}」功能尚未提供。`;
    el.replaceChildren(note);
  }

  function open(area) {
    const tab = tabs.get(area) || tabs.get(AREAS[0][0]);
    state.current = tab.area;
    for (const other of tabs.values()) {
      const selected = other === tab;
      $(`tab-${other.area}`).setAttribute("aria-selected", String(selected));
      $(`panel-${other.area}`).hidden = !selected;
    }
    const el = $(`panel-${tab.area}`);
    if (!tab.spec) { missing(tab, el); return; }
    const failed = (err) => say(`「${tab.title}」加载失败：${err && err.message ? err.message : err}`, "error");
    try {
      let done;
      if (!tab.mounted) {
        tab.mounted = true;
        el.replaceChildren();
        done = tab.spec.mount(el, api);
      } else if (typeof tab.spec.show === "function") {
        done = tab.spec.show(el, api);
      }
      // An async mount or show that fails is reported like one that throws (api errors are shown already).
      if (done && typeof done.catch === "function") done.catch((err) => { if (!err || !err.status) failed(err); });
    } catch (err) {
      failed(err);
    }
  }

  function register(area, spec) {
    if (!spec || typeof spec.mount !== "function") throw new Error(`admin tab ${area}: mount(el, api) is required`);
    const tab = tabs.get(area) || { area, title: spec.title || area, spec: null, mounted: false };
    tab.spec = spec;
    if (spec.title) tab.title = spec.title;
    tabs.set(area, tab);
    if (state.started) { buildTabs(); open(state.current); }
  }

  function signOutLocally() {
    sessionStorage.removeItem("hotline.token");
    state.token = null; state.me = null;
    $("console").hidden = true; $("denied").hidden = true; $("signout").hidden = true;
    $("who").textContent = "";
    $("signin").hidden = false;
  }

  async function enter() {
    $("signin").hidden = true;
    try {
      state.me = await api("/api/me", { quiet: true });
    } catch (err) {
      signOutLocally();
      $("signin-error").textContent = errorText(err);
      return;
    }
    $("who").textContent = `${state.me.user_id}（${state.me.role === "admin" ? "管理员" : state.me.role}）`;
    $("signout").hidden = false;
    if (state.me.role !== "admin") { $("denied").hidden = false; return; }
    $("console").hidden = false;
    state.started = true;
    buildTabs();
    open(location.hash.slice(1));
  }

  window.addEventListener("hashchange", () => { if (state.started) open(location.hash.slice(1)); });

  $("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("signin-error").textContent = "";
    try {
      const body = Object.fromEntries(new FormData(ev.target));
      const s = await api("/api/sessions", { method: "POST", body, quiet: true });
      state.token = s.token;
      sessionStorage.setItem("hotline.token", s.token);
      enter();
    } catch (err) {
      $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : errorText(err);
    }
  });

  $("signout").onclick = async () => {
    try { await api("/api/sessions", { method: "DELETE", quiet: true }); } catch (_) { /* signed out anyway */ }
    state.started = false;
    signOutLocally();
  };

  window.AdminTabs = { register, areas: () => [...tabs.keys()], api };
  // The tab files load after this one; start once they all have run (a missing one is skipped).
  document.addEventListener("DOMContentLoaded", () => { if (state.token) enter(); });
})();
