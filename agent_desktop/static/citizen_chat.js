"use strict";
// Citizen text chat (文字交谈). Mounts into #chat-entry: on its own page /citizen/chat, or inside the
// sign-language page (citizen_sign.js calls HotlineCitizenChat.open, queue sign_language). POST
// /api/chat/sessions gives a short-lived token (kept in sessionStorage so a reload resumes); the socket
// /ws/chat carries messages both ways, typing, delivery receipts and the place in line while waiting.
// A message is shown at once and resent with the same client id until the server confirms it, so a
// lost connection loses nothing.
(function () {
  const KEY = "hotline.chat";
  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };
  const clientId = () => `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const minutes = (s) => (s < 60 ? "不到1分钟" : `约${Math.round(s / 60)}分钟`);

  function ensureStyle() {
    if (document.querySelector('link[href="/static/citizen_chat.css"]')) return;
    const link = el("link", { rel: "stylesheet", href: "/static/citizen_chat.css" });
    document.head.append(link);
  }

  class CitizenChat {
    constructor(root, queue) {
      this.root = root;
      this.queue = queue;
      this.saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
      this.unsent = new Map();
      this.seen = new Map();
      this.retry = 0;
      this.ws = null;
      this.closed = false;
      this.typingSent = 0;
      this.typingTimer = null;
      if (this.saved && this.saved.token) this.chatView(); else this.startView();
    }

    startView() {
      this.root.innerHTML = "";
      const box = el("div", { class: "cc", "data-testid": "chat-start" });
      box.append(el("p", {}, "坐席将通过文字与您交流。可留下手机号码，以便需要时回复您。"));
      const label = el("label", {}, "手机号码（可不填）");
      this.phone = el("input", { type: "tel", inputmode: "numeric", maxlength: "20", autocomplete: "tel", "data-testid": "chat-phone" });
      label.append(this.phone);
      const start = el("button", { type: "button", "data-testid": "chat-begin" }, "开始文字交谈");
      this.error = el("p", { class: "cc-error", role: "alert", "data-testid": "chat-error" });
      start.onclick = () => this.start(start);
      box.append(label, start, this.error);
      this.root.append(box);
    }

    async start(button) {
      const phone = this.phone.value.trim();
      if (phone && !/^[0-9]{3,20}$/.test(phone)) { this.error.textContent = "手机号码只能填写数字。"; return; }
      button.disabled = true;
      try {
        const res = await fetch("/api/chat/sessions", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify(phone ? { queue: this.queue, phone } : { queue: this.queue }),
        });
        const body = await res.json().catch(() => ({}));
        if (res.status === 429) throw new Error("请求过于频繁，请稍后再试。");
        if (!res.ok) throw new Error(body.message || "暂时无法开始交谈，请稍后再试。");
        this.saved = { token: body.token, session_id: body.session_id };
        sessionStorage.setItem(KEY, JSON.stringify(this.saved));
        this.chatView();
      } catch (err) {
        button.disabled = false;
        this.error.textContent = err.message;
      }
    }

    chatView() {
      this.root.innerHTML = "";
      const box = el("div", { class: "cc", "data-testid": "chat-box" });
      this.status = el("p", { class: "cc-status", role: "status", "aria-live": "polite", "data-testid": "chat-status" }, "正在连接…");
      this.queueInfo = el("p", { class: "cc-queue", "data-testid": "chat-queue" });
      this.queueInfo.hidden = true;
      this.log = el("ol", { class: "cc-log", "data-testid": "chat-log", "aria-live": "polite" });
      this.typing = el("p", { class: "cc-typing", "data-testid": "chat-typing" });
      const form = el("form", { class: "cc-form" });
      this.input = el("textarea", { rows: "2", maxlength: "2000", "aria-label": "输入消息", "data-testid": "chat-input", placeholder: "请输入您要咨询或反映的内容" });
      this.sendButton = el("button", { type: "submit", "data-testid": "chat-send" }, "发送");
      form.append(this.input, this.sendButton);
      form.onsubmit = (ev) => { ev.preventDefault(); this.send(); };
      this.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); this.send(); } });
      this.input.addEventListener("input", () => this.typed());
      this.error = el("p", { class: "cc-error", role: "alert", "data-testid": "chat-error" });
      const row = el("div", { class: "cc-row" });
      this.endButton = el("button", { type: "button", class: "secondary", "data-testid": "chat-end" }, "结束交谈");
      this.endButton.onclick = () => this.frame({ type: "end" });
      row.append(this.endButton);
      box.append(this.status, this.queueInfo, this.log, this.typing, form, this.error, row);
      this.root.append(box);
      this.connect();
    }

    connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const ws = new WebSocket(`${scheme}://${location.host}/ws/chat`);
      this.ws = ws;
      ws.onopen = () => { this.retry = 0; ws.send(JSON.stringify({ type: "auth", token: this.saved.token })); };
      ws.onmessage = (ev) => this.onFrame(JSON.parse(ev.data));
      ws.onclose = (ev) => {
        if (ev.code === 4401) { this.expired(); return; }
        if (this.closed) return;
        this.status.textContent = "连接中断，正在重新连接…";
        setTimeout(() => this.connect(), Math.min(10000, 500 * 2 ** this.retry++));
      };
    }

    frame(f) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(f)); return true; }
      return false;
    }

    onFrame(f) {
      if (f.type === "hello") {
        for (const m of f.messages) this.render(m);
        this.setState(f.state);
        for (const [id, body] of this.unsent) this.frame({ type: "message", body, client_id: id });
        this.ack();
      } else if (f.type === "queue") {
        this.queueInfo.hidden = false;
        this.queueInfo.textContent = f.position <= 1 ? `您是下一位，预计等待${minutes(f.ewt_s)}` : `您前面还有 ${f.position - 1} 位，预计等待${minutes(f.ewt_s)}`;
      } else if (f.type === "sent") {
        this.unsent.delete(f.client_id);
        this.render(f.message);
      } else if (f.type === "message") {
        this.render(f.message);
        this.typing.textContent = "";
        this.ack();
      } else if (f.type === "receipt") this.receipt(f.up_to);
      else if (f.type === "typing") this.typing.textContent = f.typing ? "坐席正在输入…" : "";
      else if (f.type === "state") this.setState(f.state, f.by);
      else if (f.type === "error") this.error.textContent = `消息未能处理：${f.message}`;
    }

    setState(state, by) {
      this.state = state;
      if (state === "waiting") this.status.textContent = "正在为您接入坐席，请稍候。您可以先输入要咨询的内容。";
      else if (state === "active") { this.status.textContent = "坐席已接入，请开始交谈。"; this.queueInfo.hidden = true; }
      else if (state === "ended") {
        this.status.textContent = by === "citizen" ? "您已结束交谈，感谢您的反映。" : "交谈已结束，感谢您的反映。";
        this.queueInfo.hidden = true;
        this.input.disabled = true; this.sendButton.disabled = true; this.endButton.disabled = true;
        this.closed = true;
        sessionStorage.removeItem(KEY);
        if (this.ws) this.ws.close();
      }
    }

    expired() {
      sessionStorage.removeItem(KEY);
      this.saved = null;
      this.startView();
      this.error.textContent = "交谈已过期，请重新开始。";
    }

    render(m) {
      let li = (m.seq && this.seen.get(m.seq)) || (m.client_id && this.log.querySelector(`[data-client="${m.client_id}"]`));
      if (!li) {
        li = el("li", { class: `msg ${m.sender}`, "data-testid": "chat-message", "data-sender": m.sender });
        li.append(el("span", { class: "body" }, m.body), el("span", { class: "meta" }));
        this.log.append(li);
      }
      if (m.client_id) li.dataset.client = m.client_id;
      if (m.seq) { li.dataset.seq = m.seq; this.seen.set(m.seq, li); }
      const time = m.sent_at ? new Date(m.sent_at).toLocaleTimeString("zh-CN") : "";
      const delivered = m.delivered || (m.seq && m.seq <= (this.receiptUpTo || 0));
      const tick = m.sender === "citizen" ? (delivered ? " 已送达" : m.seq ? " 已发送" : " 发送中") : "";
      if (m.sender === "citizen") li.dataset.delivered = String(Boolean(delivered));
      li.querySelector(".meta").textContent = `${time}${tick}`;
      this.log.scrollTop = this.log.scrollHeight;
    }

    ack() {
      const agentSeqs = [...this.seen.entries()].filter(([, li]) => li.dataset.sender === "agent").map(([seq]) => seq);
      const last = Math.max(0, ...agentSeqs);
      if (last > (this.acked || 0) && this.frame({ type: "delivered", up_to: last })) this.acked = last;
    }

    receipt(upTo) {
      this.receiptUpTo = Math.max(this.receiptUpTo || 0, upTo);  // a receipt may overtake the "sent" answer
      for (const [seq, li] of this.seen) {
        if (seq <= upTo && li.dataset.sender === "citizen" && li.dataset.delivered !== "true") {
          li.dataset.delivered = "true";
          const meta = li.querySelector(".meta");
          meta.textContent = meta.textContent.replace(/ 已发送$/, "") + " 已送达";
        }
      }
    }

    typed() {
      const now = Date.now();
      if (now - this.typingSent > 2500) { this.typingSent = now; this.frame({ type: "typing", typing: true }); }
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => { this.typingSent = 0; this.frame({ type: "typing", typing: false }); }, 3000);
    }

    send() {
      const body = this.input.value.trim();
      if (!body || this.state === "ended") return;
      const id = clientId();
      this.input.value = "";
      this.error.textContent = "";
      clearTimeout(this.typingTimer);
      this.typingSent = 0;
      this.unsent.set(id, body);
      this.render({ sender: "citizen", body, client_id: id });
      this.frame({ type: "message", body, client_id: id });
    }
  }

  window.HotlineCitizenChat = {
    open(root, options = {}) {
      ensureStyle();
      const queue = options.queue || (options.from === "sign" ? "sign_language" : "general");
      root.hidden = false;
      return new CitizenChat(root, queue);
    },
  };
  if (document.body && document.body.dataset.page === "chat") {
    const params = new URLSearchParams(location.search);
    const queue = /^[a-z_]{1,32}$/.test(params.get("queue") || "") ? params.get("queue") : "general";
    window.HotlineCitizenChat.open(document.getElementById("chat-entry"), { queue });
  }
})();
