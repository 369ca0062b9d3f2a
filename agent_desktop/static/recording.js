// The recording page (/recording?call=<call id>): sign-in as on the supervisor page (the token is shared
// in sessionStorage), then the call's recordings in the player (recording_player.js). Supervisors,
// QA staff and admins only. Endpoints: POST /api/sessions, GET /api/me, the player's.
"use strict";

const page = { token: sessionStorage.getItem("hotline.token"), player: null };
const $ = (id) => document.getElementById(id);
const ROLE_LABEL = { admin: "管理员", supervisor: "班长", qa: "质检员", agent: "坐席" };

async function api(path, init = {}) {
  const headers = { "Content-Type": "application/json" };
  if (page.token) headers.Authorization = `Bearer ${page.token}`;
  const resp = await fetch(path, { ...init, headers });
  const body = resp.status === 204 ? null : await resp.json().catch(() => null);
  if (!resp.ok) {
    const err = new Error((body && body.message) || `HTTP ${resp.status}`);
    err.status = resp.status;
    throw err;
  }
  return body;
}

async function show(callId) {
  if (page.player) page.player.destroy();
  $("call").value = callId;
  const url = new URL(window.location.href);
  url.searchParams.set("call", callId);
  window.history.replaceState(null, "", url);
  page.player = await RecordingPlayer.mount($("player"), callId, page.token);
}

async function enter() {
  $("signin").hidden = true;
  let me;
  try {
    me = await api("/api/me");
  } catch (err) {
    sessionStorage.removeItem("hotline.token");
    page.token = null;
    $("signin").hidden = false;
    $("signin-error").textContent = "登录已失效，请重新登录";
    return;
  }
  $("who").textContent = `${me.user_id}（${ROLE_LABEL[me.role] || me.role}）`;
  if (!["supervisor", "qa", "admin"].includes(me.role)) { $("denied").hidden = false; return; }
  $("recording").hidden = false;
  const callId = new URLSearchParams(window.location.search).get("call");
  if (callId) show(callId);
}

$("call-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const callId = $("call").value.trim();
  if (callId) show(callId);
});

$("signin-form").querySelector("[type=submit]").disabled = false; // off until this handler is attached
$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const s = await api("/api/sessions", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    page.token = s.token;
    sessionStorage.setItem("hotline.token", s.token);
    enter();
  } catch (err) {
    $("signin-error").textContent = err.status === 401 ? "工号或密码错误" : "登录失败";
  }
});

if (page.token) enter();
