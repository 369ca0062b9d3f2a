"use strict";
// Screen-pop work: the caller's history (earlier work orders and earlier calls) and the work-order form
// (category, 五要素, address, urgency, content, suggested department, knowledge base). Talks to
// /api/work-orders, /api/work-orders/suggest-department, /api/knowledge and /api/calls/{id}/caller-history.
// The knowledge panel searches the content as it is typed (debounced) and shows the best entries with the
// matched words highlighted; an entry opens on click and can answer the order (直接答复).
// Each order form has a request key, made when the form is started and sent with every save of it, so a
// save whose answer was lost can be clicked again without a second order (the centre answers the order the
// key already made); a new key is made only after a save succeeded or when the form is cleared for a new order.

function maskNumber(number) {
  if (!number) return "";
  if (number.length >= 8) return `${number.slice(0, 3)}****${number.slice(-4)}`;
  return "*".repeat(Math.max(number.length - 1, 0)) + number.slice(-1);
}

const ELEMENT_LABEL = { who: "人物", when: "时间", where: "地点", what: "事件", how: "诉求" };

function workOrderError(err) {
  if (err.errorId === "five_elements_missing") {
    const missing = (err.details.missing || []).map((m) => ELEMENT_LABEL[m] || m).join("、");
    return `投诉、举报须填写五要素，缺少：${missing}`;
  }
  if (err.errorId === "invalid_request") return `填写有误：${err.message}`;
  // No answer from the centre (network down, node gone): the save may or may not have been stored; saving
  // again sends the same request key, so it cannot make a second order.
  if (err instanceof TypeError) return "保存结果未知（网络中断），请再次点击保存，不会重复登记";
  return err.message;
}

function newRequestKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "";
}

function tableRow(values) {
  const tr = document.createElement("tr");
  for (const value of values) {
    const td = document.createElement("td");
    td.textContent = value == null ? "" : String(value);
    tr.append(td);
  }
  return tr;
}

const OUTCOME_LABEL = { answered: "已接听", abandoned: "放弃", fallback: "应急队列", ivr_hangup: "导航中挂机" };

function queueLabel(queue) {
  const labels = typeof QUEUE_LABEL === "undefined" ? {} : QUEUE_LABEL;
  return labels[queue] || queue || "";
}

function earlierCallRow(c) {
  const wait = c.wait_seconds == null ? "" : `${Math.round(c.wait_seconds)} 秒`;
  const outcome = c.outcome ? OUTCOME_LABEL[c.outcome] || c.outcome : "未结束";
  const row = tableRow([formatTime(c.entered_ivr_at), queueLabel(c.queue), outcome, wait, c.agent_id, c.work_orders.join("、")]);
  row.dataset.callId = c.call_id;
  const listener = typeof state !== "undefined" && ["supervisor", "qa", "admin"].includes(state.role);
  if (listener && c.outcome === "answered") {
    const link = document.createElement("a");
    link.href = `/recording?call=${encodeURIComponent(c.call_id)}`;
    link.target = "_blank";
    link.textContent = "录音";
    link.dataset.testid = "recording-link";
    row.children[2].append(" ", link);
  }
  return row;
}

// Work orders (by caller number) and earlier calls (by call id, so confidential callers too) are asked
// for side by side; each part is drawn as soon as it arrives and dropped if another call popped meanwhile.
class CallerHistory {
  constructor(api, el) {
    this.api = api;
    this.el = { recent: document.getElementById("history-recent"), repeat: document.getElementById("history-repeat"), ...el };
    this.callId = null;
  }

  load(call, { supervising }) {
    this.callId = call.call_id;
    this.el.orders.replaceChildren();
    this.el.calls.replaceChildren();
    this.el.callsBox.hidden = true;
    this.el.count.textContent = "";
    this.el.recent.textContent = "";
    this.el.repeat.hidden = true;
    const shown = (number) => (supervising ? number : maskNumber(number));
    return Promise.all([this.loadOrders(call, shown), this.loadCalls(call)]);
  }

  async loadOrders(call, shown) {
    if (call.masked || !call.caller) {
      this.el.note.textContent = call.masked ? "保密来电：不显示历史工单" : "无来电号码";
      return;
    }
    if (!/^[0-9+-]+$/.test(call.caller)) {
      // A sign-language video guest or a chat visitor: no telephone number to look orders up by.
      this.el.note.textContent = "无来电号码（视频或文字来访）";
      return;
    }
    this.el.note.textContent = "查询中…";
    try {
      const orders = await this.api(`/api/work-orders?caller=${encodeURIComponent(call.caller)}&limit=10`);
      if (this.callId !== call.call_id) return;
      for (const o of orders) {
        this.el.orders.append(tableRow([o.number, shown(o.caller.number), o.category.label, o.status.label, formatTime(o.created_at)]));
      }
      this.el.count.textContent = `（${orders.length} 条工单）`;
      this.el.note.textContent = orders.length ? "" : "无历史工单";
    } catch (err) {
      if (this.callId === call.call_id) this.el.note.textContent = `历史工单查询失败：${err.message}`;
    }
  }

  async loadCalls(call) {
    try {
      const history = await this.api(`/api/calls/${encodeURIComponent(call.call_id)}/caller-history`);
      if (this.callId !== call.call_id) return;
      this.el.calls.replaceChildren(...history.calls.map(earlierCallRow));
      this.el.callsBox.hidden = history.calls.length === 0;
      this.el.recent.textContent = `近${history.recent_days}天来电 ${history.recent_calls} 次`;
      this.el.recent.dataset.count = String(history.recent_calls);
      this.el.repeat.hidden = history.recent_calls === 0;
    } catch (err) {
      if (this.callId === call.call_id) this.el.recent.textContent = `历史来电查询失败：${err.message}`;
    }
  }
}

function highlighted(text, spans) {
  // Text nodes and <mark> elements for the matched spans [start, end) of a snippet (never HTML).
  const parts = [];
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parts.push(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, end);
    parts.push(mark);
    at = end;
  }
  if (at < text.length) parts.push(document.createTextNode(text.slice(at)));
  return parts;
}

class WorkOrderForm {
  constructor(api, el) {
    this.api = api;
    this.el = el;
    this.form = el.form;
    this.call = null;
    this.articleId = null;
    this.requestKey = newRequestKey();
    this.suggestTimer = null;
    this.form.addEventListener("submit", (ev) => { ev.preventDefault(); this.save(); });
    this.kbTimer = null;
    this.kbSeq = 0;
    this.form.elements.content.addEventListener("input", () => { this.scheduleSuggest(); this.scheduleKnowledge(); });
    this.form.elements.category.addEventListener("change", () => this.scheduleSuggest());
    this.el.kbSearch.addEventListener("click", () => this.searchKnowledge());
    this.el.kbQuery.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); this.searchKnowledge(); }
    });
    this.el.kbQuery.addEventListener("input", () => { if (!this.el.kbQuery.value.trim()) this.scheduleKnowledge(); });
    if (window.watchOrderDuplicates) window.watchOrderDuplicates(this); // 并单 preview while typing
  }

  reset(call) {
    this.call = call;
    this.form.reset();
    this.articleId = null;
    this.requestKey = newRequestKey();
    this.form.elements.confidential.checked = Boolean(call.masked);
    this.el.suggestions.replaceChildren();
    clearTimeout(this.kbTimer);
    this.kbSeq += 1;
    this.el.kbResults.replaceChildren();
    this.el.number.textContent = "";
    this.el.error.textContent = "";
    this.el.save.disabled = false;
  }

  scheduleSuggest() {
    clearTimeout(this.suggestTimer);
    this.suggestTimer = setTimeout(() => this.suggest(), 300);
  }

  async suggest() {
    const text = this.form.elements.content.value.trim();
    if (!text) { this.el.suggestions.replaceChildren(); return; }
    const category = this.form.elements.category.value;
    const found = await this.api(`/api/work-orders/suggest-department?text=${encodeURIComponent(text)}&category=${category}`)
      .catch(() => []);
    if (text !== this.form.elements.content.value.trim()) return;
    this.el.suggestions.replaceChildren(...found.map((s) => this.suggestionItem(s)));
    if (!found.length) this.el.suggestions.textContent = "（无匹配）";
  }

  suggestionItem(s) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.dataset.testid = "wo-suggestion";
    button.textContent = `${s.department_name} · ${s.matter}${s.police_linkage ? "（警务联动）" : ""}`;
    button.title = `匹配：${s.matched.join("、")}，得分 ${s.score.toFixed(2)}`;
    button.onclick = () => {
      this.form.elements.matter.value = s.matter;
      this.form.elements.matter_code.value = s.matter_code;
      for (const other of this.el.suggestions.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
    };
    li.append(button);
    return li;
  }

  // Knowledge panel: while the agent types the content (debounced), the best matches of the content
  // are shown; a query typed in the search box takes over until it is cleared. The newest request wins.
  scheduleKnowledge() {
    clearTimeout(this.kbTimer);
    if (this.el.kbQuery.value.trim()) return;
    this.kbTimer = setTimeout(() => this.knowledgeFor(this.form.elements.content.value.trim().slice(0, 200), true), 400);
  }

  searchKnowledge() {
    clearTimeout(this.kbTimer);
    const q = this.el.kbQuery.value.trim();
    if (q) this.knowledgeFor(q, false);
  }

  async knowledgeFor(q, auto) {
    const seq = ++this.kbSeq;
    this.el.kbResults.dataset.source = auto ? "content" : "query";
    if (!q) { this.el.kbResults.replaceChildren(); return; }
    try {
      const hits = await this.api(`/api/knowledge?q=${encodeURIComponent(q)}&limit=5`);
      if (seq !== this.kbSeq) return;
      this.el.kbResults.replaceChildren(...hits.map((h) => this.articleItem(h)));
      if (!hits.length) this.el.kbResults.textContent = auto ? "（知识库无匹配条目）" : "（无结果）";
    } catch (err) {
      if (seq === this.kbSeq) this.el.kbResults.textContent = `搜索失败：${err.message}`;
    }
  }

  articleItem(hit) {
    const article = hit.article;
    const li = document.createElement("li");
    li.dataset.testid = "kb-article";
    li.dataset.articleId = String(article.id);
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "kb-article";
    radio.value = String(article.id);
    radio.checked = this.articleId === article.id;
    radio.onchange = () => { this.articleId = article.id; this.form.elements.answered_directly.checked = true; };
    const title = document.createElement("button");
    title.type = "button";
    title.className = "link";
    title.dataset.testid = "kb-title";
    title.textContent = article.title;
    label.append(radio, " 选用 ");
    const snippet = document.createElement("p");
    snippet.className = "kb-snippet";
    snippet.dataset.testid = "kb-snippet";
    snippet.append(...highlighted(hit.snippet || "", hit.highlights || []));
    const detail = document.createElement("div");
    detail.dataset.testid = "kb-detail";
    detail.hidden = true;
    const body = document.createElement("p");
    body.className = "kb-body";
    body.textContent = article.body;
    const use = document.createElement("button");
    use.type = "button";
    use.dataset.testid = "kb-answer";
    use.textContent = "按此条目直接答复";
    use.onclick = () => { radio.checked = true; radio.dispatchEvent(new Event("change")); };
    const meta = document.createElement("small");
    meta.textContent = [article.category_label, article.expires_on ? `有效期至 ${article.expires_on}` : ""].filter(Boolean).join(" · ");
    detail.append(body, meta, " ", use);
    title.onclick = () => {
      detail.hidden = !detail.hidden;
      snippet.hidden = !detail.hidden;
      title.setAttribute("aria-expanded", String(!detail.hidden));
    };
    li.append(label, title, snippet, detail);
    return li;
  }

  payload() {
    const f = this.form.elements;
    const value = (name) => f[name].value.trim();
    const answered = f.answered_directly.checked;
    const body = {
      caller: { name: value("caller_name"), number: this.call && !this.call.masked ? this.call.caller : "", confidential: f.confidential.checked },
      category: f.category.value,
      matter: value("matter") || value("content").slice(0, 30),
      content: value("content"),
      elements: { who: value("who"), when: value("when"), where: value("where"), what: value("what"), how: value("how") },
      address: value("address"),
      urgency: f.urgency.value,
      answered_directly: answered,
      request_key: this.requestKey,
    };
    if (this.call) body.call_id = this.call.call_id;
    if (value("matter_code")) body.matter_code = value("matter_code");
    if (answered && this.articleId) body.answer_article_id = this.articleId;
    return body;
  }

  async save() {
    this.el.error.textContent = "";
    if (!this.form.elements.content.value.trim()) { this.el.error.textContent = "请填写诉求内容"; return; }
    this.el.save.disabled = true;
    try {
      const order = await this.api("/api/work-orders", { method: "POST", body: JSON.stringify(this.payload()) });
      this.requestKey = newRequestKey();
      this.el.number.textContent = order.number;
      this.el.number.dataset.status = order.status.value;
      this.el.onSaved(order);
      if (window.showOrderDuplicates) window.showOrderDuplicates(order, this.api);
    } catch (err) {
      this.el.error.textContent = workOrderError(err);
      this.el.save.disabled = false;
    }
  }
}
