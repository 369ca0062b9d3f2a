"use strict";
// The citizen's sign-language video page: one button asks the centre for a one-time guest credential
// (POST /api/guest/credential), then calls the sign-language entry with camera and microphone over
// JsSIP (Asterisk's SIP websocket, WebRTC with DTLS-SRTP, the same stack as the agent page). While the
// call waits, POST /api/guest/status gives the place in line and the estimated wait, shown in text.
// When no signing agent can take the call, the page offers text chat (citizen_chat.js mounts into
// #chat-entry when it is there) or a callback booked as a web matter.
// window.__sign_timeline records epoch milliseconds of the steps; window.__sign_phone.stats() gives
// the call's WebRTC counters (for tests and diagnostics).

window.__sign_timeline = {};

(function signPage() {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 2000;
  const STATE_TEXT = {
    connecting: "正在连接手语坐席…",
    ready: "正在接通…",
    waiting: "正在排队，请稍候",
    ringing: "手语坐席正在接听…",
    talking: "通话中",
    no_agent: "暂时没有手语坐席可以接听",
    ended: "通话已结束",
    expired: "连接已过期，请重新开始",
    failed: "未能接通",
  };
  let ua = null;
  let session = null;
  let local = null;
  let token = "";
  let poller = null;
  let current = "idle";

  function now() { return performance.timeOrigin + performance.now(); }
  function mark(kind) { if (!(kind in window.__sign_timeline)) window.__sign_timeline[kind] = now(); }

  function show(state, extra) {
    current = state;
    $("status").dataset.state = state;
    $("status").textContent = STATE_TEXT[state] || state;
    $("wait").hidden = !extra;
    $("wait").textContent = extra || "";
  }

  function minutes(seconds) {
    const m = Math.max(1, Math.round(seconds / 60));
    return `约 ${m} 分钟`;
  }

  function waitingText(s) {
    if (!s.position) return "正在为您排队…";
    const ahead = s.position - 1;
    const who = ahead > 0 ? `您前面还有 ${ahead} 位` : "您是下一位";
    return `${who}，预计等待${minutes(s.ewt_s)}`;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || `HTTP ${response.status}`);
      error.id = data.error_id || "";
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function errorText(error) {
    if (error.status === 429) return "请求过于频繁，请稍后再试。";
    if (error.id === "video_seats_busy") return "视频线路繁忙，请稍后再试，或使用文字交流。";
    if (error.name === "NotAllowedError" || error.name === "NotFoundError") return "无法使用摄像头或麦克风，请在浏览器设置中允许后再试。";
    return "暂时无法接通，请稍后再试。";
  }

  async function start() {
    mark("pressed");
    $("start").disabled = true;
    $("error").textContent = "";
    $("alternatives").hidden = true;
    show("connecting");
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
      $("local-video").srcObject = local;
      $("stage").hidden = false;
      const credential = await post("/api/guest/credential");
      mark("credential");
      token = credential.token;
      call(credential);
      poll();
    } catch (error) {
      $("error").textContent = errorText(error);
      finish("failed");
    }
  }

  function call(credential) {
    const socket = new JsSIP.WebSocketInterface(credential.ws_url);
    ua = new JsSIP.UA({
      sockets: [socket],
      uri: credential.sip_uri,
      authorization_user: credential.user,
      password: credential.password,
      display_name: "手语视频",
      register: false,
      session_timers: false,
      user_agent: "hotline-citizen-sign",
    });
    const domain = credential.sip_uri.split("@")[1];
    ua.on("connected", () => {
      if (session) return;
      mark("socket");
      session = ua.call(`sip:${credential.dial}@${domain}`, {
        mediaStream: local,
        pcConfig: { iceServers: credential.ice_servers || [] },
      });
      session.connection.addEventListener("track", (e) => {
        const stream = new MediaStream([e.track]);
        if (e.track.kind === "video") $("remote-video").srcObject = stream;
        else $("remote-audio").srcObject = stream;
      });
      session.on("confirmed", () => mark("confirmed"));
      // A call that ends before anyone signing answered (the centre gave up, or lost its service) is
      // not the citizen's doing: offer chat or a callback rather than just "ended".
      const unanswered = () => current !== "talking" && current !== "ended";
      session.on("ended", () => finish(unanswered() ? "no_agent" : "ended"));
      session.on("failed", () => finish(unanswered() ? "no_agent" : "failed"));
    });
    ua.start();
    $("start").hidden = true;
    $("chat-now").hidden = true;
    $("hangup").hidden = false;
  }

  async function poll() {
    clearTimeout(poller);
    if (!token) return;
    try {
      const s = await post("/api/guest/status", { token });
      if (s.state === "waiting") show("waiting", waitingText(s));
      else if (s.state === "ready") show(current === "connecting" ? "connecting" : "ready");
      else show(s.state);
      if (s.state === "no_agent") return finish("no_agent");
      if (s.state === "ended" || s.state === "expired") return finish(s.state);
    } catch (error) {
      if (error.status === 404) return;
    }
    poller = setTimeout(poll, POLL_MS);
  }

  function finish(state) {
    clearTimeout(poller);
    const ending = session;
    session = null;
    if (ending && !ending.isEnded()) ending.terminate();
    if (ua) ua.stop();
    ua = null;
    if (local) local.getTracks().forEach((t) => t.stop());
    local = null;
    token = "";
    show(state);
    $("stage").hidden = true;
    $("hangup").hidden = true;
    $("start").hidden = false;
    $("chat-now").hidden = state === "no_agent";
    $("start").disabled = false;
    $("start").textContent = "重新开始手语视频通话";
    $("alternatives").hidden = state !== "no_agent";
  }

  function chooseChat() {
    const chat = window.HotlineCitizenChat;
    if (chat && typeof chat.open === "function") {
      chat.open($("chat-entry"), { from: "sign" });
      return;
    }
    const handled = !document.dispatchEvent(new CustomEvent("hotline:chat-requested", { cancelable: true }));
    if (!handled) $("chat-entry").textContent = "文字交流暂未开通，请预约回拨或稍后再试。";
  }

  async function bookCallback(event) {
    event.preventDefault();
    const form = event.target;
    const phone = form.phone.value.trim();
    const note = form.content.value.trim();
    if (!/^1\d{10}$/.test(phone)) {
      $("callback-result").textContent = "请填写 11 位手机号码。";
      return;
    }
    const content = `听障人士手语视频来电未能接通，请安排手语坐席视频回拨或短信联系。${note ? `诉求：${note}` : ""}`;
    try {
      const made = await post("/api/public/orders", { phone, address: "手语视频服务页面", content, category: "help" });
      $("callback-result").textContent = `已预约回拨，工单号 ${made.number}。我们会尽快联系您。`;
      form.querySelector("button").disabled = true;
    } catch (error) {
      $("callback-result").textContent = errorText(error);
    }
  }

  function loadChat() {
    fetch("/static/citizen_chat.js", { method: "HEAD" }).then((r) => {
      if (!r.ok) return;
      const script = document.createElement("script");
      script.src = "/static/citizen_chat.js";
      document.body.appendChild(script);
    }).catch(() => {});
  }

  window.__sign_phone = {
    state: () => current,
    async stats() {
      const pc = session && session.connection;
      if (!pc) return null;
      const report = await pc.getStats();
      const out = { videoIn: null, videoOut: null, audioIn: null, audioOut: null };
      report.forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") out.videoIn = { framesDecoded: s.framesDecoded, bytesReceived: s.bytesReceived };
        if (s.type === "outbound-rtp" && s.kind === "video") out.videoOut = { framesSent: s.framesSent, bytesSent: s.bytesSent };
        if (s.type === "inbound-rtp" && s.kind === "audio") out.audioIn = { bytesReceived: s.bytesReceived, packetsReceived: s.packetsReceived };
        if (s.type === "outbound-rtp" && s.kind === "audio") out.audioOut = { bytesSent: s.bytesSent, packetsSent: s.packetsSent };
      });
      return out;
    },
  };

  $("start").addEventListener("click", start);
  $("hangup").addEventListener("click", () => { current = "ended"; finish("ended"); });
  $("choose-chat").addEventListener("click", chooseChat);
  $("chat-now").addEventListener("click", chooseChat);
  $("choose-callback").addEventListener("click", () => { $("callback-form").hidden = false; $("callback-form").phone.focus(); });
  $("callback-form").addEventListener("submit", bookCallback);
  loadChat();
})();
