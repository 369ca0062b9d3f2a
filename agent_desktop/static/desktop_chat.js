"use strict";
// Agent desktop chat panel (文字交谈): chats offered by the ACD (chat_offer frames on the desktop
// websocket), several at once as tabs, typing indication and delivery receipts both ways, end, and a
// work order from the chat (the server attaches the transcript). A reloaded page resumes from
// GET /api/chat/mine. Uses desktop.js's global api(); frames reach it through desktopChat.onFrame.
(function () {
  const CATEGORIES = [["consult", "咨询"], ["help", "求助"], ["complaint", "投诉"], ["report", "举报"], ["suggestion", "建议"], ["praise", "表扬"]];
  const QUEUE_LABEL = { general: "综合", sign_language: "手语/听障", enterprise: "企业" };
  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };
  const clientId = () => `a${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

  class DesktopChat {
    constructor(root) {
      this.root = root;
      this.chats = new Map();
      this.offers = new Map();
      this.current = null;
      this.typingTimer = null;
      this.typingSent = 0;
      root.innerHTML = "";
      const head = el("h2", {}, "文字交谈 ");
      this.count = el("span", { class: "badge state", "data-testid": "chat-count" }, "0");
      head.append(this.count);
      this.offerList = el("div", { class: "chat-offers", "data-testid": "chat-offers" });
      this.tabs = el("div", { class: "chat-tabs", role: "tablist", "data-testid": "chat-tabs" });
      this.body = el("div", { class: "chat-body" });
      this.error = el("p", { class: "error", role: "alert", "data-testid": "chat-error" });
      root.append(head, this.offerList, this.tabs, this.body, this.error);
    }

    async resume() {
      try {
        const mine = await api("/api/chat/mine");
        for (const chat of mine.chats) this.addChat(chat);
        for (const offer of mine.offers) this.showOffer(offer);
        this.refresh();
      } catch (err) { this.error.textContent = `文字交谈加载失败：${err.message}`; }
    }

    onFrame(frame) {
      if (frame.type === "chat_offer") this.showOffer(frame.chat);
      else if (frame.type === "chat_offer_withdrawn") { this.dropOffer(frame.session_id); }
      else if (frame.type === "chat_message") this.received(frame.session_id, frame.message);
      else if (frame.type === "chat_typing") this.showTyping(frame.session_id, frame.typing);
      else if (frame.type === "chat_receipt") this.receipt(frame.session_id, frame.up_to);
      else if (frame.type === "chat_ended") this.ended(frame.session_id, frame.by);
      this.refresh();
    }

    showOffer(offer) {
      if (this.offers.has(offer.session_id) || this.chats.has(offer.session_id)) return;
      const card = el("div", { class: "chat-offer", "data-testid": "chat-offer", "data-session": offer.session_id });
      const queue = QUEUE_LABEL[offer.queue] || offer.queue || "";
      card.append(el("span", {}, `新的文字交谈${queue ? `（${queue}）` : ""}${offer.join ? " · 追加" : ""}`));
      const accept = el("button", { class: "answer", "data-testid": "chat-accept" }, "接入");
      const decline = el("button", { "data-testid": "chat-decline" }, "拒绝");
      accept.onclick = () => this.accept(offer.session_id);
      decline.onclick = () => api(`/api/chat/sessions/${offer.session_id}/decline`, { method: "POST" })
        .catch((err) => { this.error.textContent = err.message; }).finally(() => this.dropOffer(offer.session_id));
      card.append(accept, decline);
      this.offers.set(offer.session_id, card);
      this.offerList.append(card);
    }

    dropOffer(sid) {
      const card = this.offers.get(sid);
      if (card) card.remove();
      this.offers.delete(sid);
      this.refresh();
    }

    async accept(sid) {
      this.error.textContent = "";
      try {
        const chat = await api(`/api/chat/sessions/${sid}/accept`, { method: "POST" });
        this.dropOffer(sid);
        this.addChat(chat);
        this.select(sid);
      } catch (err) { this.dropOffer(sid); this.error.textContent = `接入失败：${err.message}`; }
      this.refresh();
    }

    addChat(chat) {
      if (this.chats.has(chat.session_id)) return;
      const c = { sid: chat.session_id, queue: chat.queue, phone: chat.phone, state: chat.state, seen: new Map(), order: chat.order_number };
      c.tab = el("button", { role: "tab", class: "chat-tab", "data-testid": "chat-tab", "data-session": c.sid });
      c.tab.onclick = () => this.select(c.sid);
      c.pane = this.buildPane(c);
      this.tabs.append(c.tab);
      this.body.append(c.pane);
      this.chats.set(c.sid, c);
      for (const m of chat.messages) this.render(c, m);
      this.ack(c);
      if (!this.current) this.select(c.sid);
      this.label(c);
    }

    buildPane(c) {
      const pane = el("div", { class: "chat-pane", "data-testid": "chat-pane", "data-session": c.sid });
      pane.hidden = true;
      pane.append(el("p", { class: "chat-who" }, `市民 ${c.phone || "未留电话"} · ${QUEUE_LABEL[c.queue] || c.queue}`));
      c.log = el("ol", { class: "chat-log", "data-testid": "chat-log", "aria-live": "polite" });
      c.typing = el("p", { class: "chat-typing", "data-testid": "chat-typing" });
      const form = el("form", { class: "chat-form" });
      c.input = el("textarea", { rows: "2", maxlength: "2000", "data-testid": "chat-input", "aria-label": "回复内容" });
      c.send = el("button", { type: "submit", "data-testid": "chat-send" }, "发送");
      form.append(c.input, c.send);
      form.onsubmit = (ev) => { ev.preventDefault(); this.send(c); };
      c.input.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); this.send(c); } });
      c.input.addEventListener("input", () => this.typed(c));
      c.end = el("button", { class: "hangup", "data-testid": "chat-end" }, "结束交谈");
      c.end.onclick = () => api(`/api/chat/sessions/${c.sid}/end`, { method: "POST" }).catch((err) => { this.error.textContent = err.message; });
      pane.append(c.log, c.typing, form, c.end, this.buildOrder(c));
      return pane;
    }

    buildOrder(c) {
      const form = el("form", { class: "chat-order", "data-testid": "chat-order" });
      const cat = el("select", { name: "category", "data-testid": "chat-order-category", "aria-label": "诉求类型" });
      for (const [v, label] of CATEGORIES) cat.append(el("option", { value: v }, label));
      const matter = el("input", { name: "matter", maxlength: "100", placeholder: "事项（如：路灯损坏）", "data-testid": "chat-order-matter" });
      const content = el("textarea", { name: "content", rows: "2", maxlength: "4000", placeholder: "诉求内容（交谈记录将自动附在工单中）", "data-testid": "chat-order-content" });
      const save = el("button", { type: "submit", "data-testid": "chat-order-save" }, "生成工单");
      c.orderNumber = el("span", { class: "number", "data-testid": "chat-order-number" }, c.order || "");
      form.append(el("strong", {}, "生成工单 "), cat, matter, content, save, c.orderNumber);
      form.onsubmit = async (ev) => {
        ev.preventDefault();
        this.error.textContent = "";
        try {
          const made = await api(`/api/chat/sessions/${c.sid}/work-order`, {
            method: "POST", body: JSON.stringify({ category: cat.value, matter: matter.value, content: content.value }),
          });
          c.orderNumber.textContent = made.number;
        } catch (err) { this.error.textContent = `工单未生成：${err.message}`; }
      };
      return form;
    }

    select(sid) {
      this.current = sid;
      for (const c of this.chats.values()) {
        c.pane.hidden = c.sid !== sid;
        c.tab.setAttribute("aria-selected", String(c.sid === sid));
      }
      const c = this.chats.get(sid);
      if (c) { c.unread = 0; this.label(c); this.ack(c); }
    }

    label(c) {
      const ended = c.state === "ended" ? "（已结束）" : "";
      c.tab.textContent = `${c.phone || c.sid.slice(5, 11)}${ended}${c.unread ? ` · ${c.unread}` : ""}`;
    }

    render(c, m) {
      let li = c.seen.get(m.seq) || (m.client_id && c.log.querySelector(`[data-client="${m.client_id}"]`));
      if (!li) {
        li = el("li", { class: `msg ${m.sender}`, "data-testid": "chat-message", "data-sender": m.sender });
        li.append(el("span", { class: "body" }, m.body), el("span", { class: "meta" }));
        c.log.append(li);
      }
      li.dataset.seq = m.seq || "";
      if (m.client_id) li.dataset.client = m.client_id;
      if (m.seq) c.seen.set(m.seq, li);
      const time = m.sent_at ? new Date(m.sent_at).toLocaleTimeString() : "";
      const delivered = m.delivered || (m.seq && m.seq <= (c.receiptUpTo || 0));
      const tick = m.sender === "agent" ? (delivered ? " 已送达" : m.seq ? " 已发送" : " 发送中") : "";
      li.querySelector(".meta").textContent = `${time}${tick}`;
      if (m.sender === "agent") li.dataset.delivered = String(Boolean(delivered));
      c.log.scrollTop = c.log.scrollHeight;
    }

    received(sid, m) {
      const c = this.chats.get(sid);
      if (!c) return;
      this.render(c, m);
      c.typing.textContent = "";
      if (this.current === sid && !document.hidden) this.ack(c);
      else { c.unread = (c.unread || 0) + 1; this.label(c); }
    }

    ack(c) {
      const last = Math.max(0, ...[...c.seen.entries()].filter(([, li]) => li.dataset.sender === "citizen").map(([seq]) => seq));
      if (last > (c.acked || 0) && c.state !== "ended") {
        c.acked = last;
        api(`/api/chat/sessions/${c.sid}/delivered`, { method: "POST", body: JSON.stringify({ up_to: last }) }).catch(() => { c.acked = 0; });
      }
    }

    receipt(sid, upTo) {
      const c = this.chats.get(sid);
      if (!c) return;
      c.receiptUpTo = Math.max(c.receiptUpTo || 0, upTo);  // a receipt may overtake the send's answer
      for (const [seq, li] of c.seen) {
        if (seq <= upTo && li.dataset.sender === "agent" && li.dataset.delivered !== "true") {
          li.dataset.delivered = "true";
          const meta = li.querySelector(".meta");
          meta.textContent = meta.textContent.replace(/ 已发送$/, "") + " 已送达";
        }
      }
    }

    showTyping(sid, typing) {
      const c = this.chats.get(sid);
      if (c) c.typing.textContent = typing ? "市民正在输入…" : "";
    }

    typed(c) {
      const now = Date.now();
      if (now - this.typingSent > 2500) {
        this.typingSent = now;
        api(`/api/chat/sessions/${c.sid}/typing`, { method: "POST", body: JSON.stringify({ typing: true }) }).catch(() => {});
      }
      clearTimeout(this.typingTimer);
      this.typingTimer = setTimeout(() => {
        this.typingSent = 0;
        api(`/api/chat/sessions/${c.sid}/typing`, { method: "POST", body: JSON.stringify({ typing: false }) }).catch(() => {});
      }, 3000);
    }

    async send(c) {
      const body = c.input.value.trim();
      if (!body || c.state === "ended") return;
      const id = clientId();
      c.input.value = "";
      clearTimeout(this.typingTimer);
      this.typingSent = 0;
      this.render(c, { sender: "agent", body, client_id: id });
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const m = await api(`/api/chat/sessions/${c.sid}/messages`, { method: "POST", body: JSON.stringify({ body, client_id: id }) });
          this.render(c, m);
          return;
        } catch (err) {
          if (err.status && err.status < 500) { this.error.textContent = `发送失败：${err.message}`; return; }
          await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        }
      }
      this.error.textContent = "发送失败，请重试";
    }

    ended(sid, by) {
      const c = this.chats.get(sid);
      if (!c) return;
      c.state = "ended";
      c.input.disabled = true; c.send.disabled = true; c.end.disabled = true;
      c.typing.textContent = by === "citizen" ? "市民已结束交谈" : "交谈已结束";
      this.label(c);
    }

    refresh() {
      const open = [...this.chats.values()].filter((c) => c.state !== "ended").length;
      this.count.textContent = String(open);
      this.root.hidden = this.chats.size === 0 && this.offers.size === 0;
    }
  }

  const root = document.getElementById("chat-panel");
  if (root) window.desktopChat = new DesktopChat(root);
})();
