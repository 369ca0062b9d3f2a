"use strict";
// Call controls on the screen-pop: blind transfer to a queue, a named colleague or a directory entry;
// attended transfer (consult first, then complete or cancel) to the same targets; three-way call with a
// directory entry (110, departments), leaving the call, hold/resume through the browser phone.
// Shows the call's live state (ringing / on call / consulting / three-way / transferred / ended).
// Endpoints: GET /api/directory, GET /api/colleagues, POST /api/me/call/transfer, /api/me/call/consult,
// /api/me/call/consult/complete, /api/me/call/consult/cancel, /api/me/call/three-way, /api/me/call/leave.

const DEFAULT_QUEUES = ["general", "enterprise", "social_security", "women_children", "elderly_services", "wage_arrears", "accessibility", "surge"];
const QUEUE_LABEL = {
  general: "综合", enterprise: "企业服务", social_security: "社保", women_children: "妇女儿童",
  elderly_services: "为老服务", wage_arrears: "欠薪", accessibility: "无障碍", surge: "高峰分流",
  sign_video: "手语视频", sign_language: "手语/听障",
};
const KIND_LABEL = { emergency: "紧急服务", hotline: "专线", department: "部门" };
const CALL_STATE_LABEL = {
  ringing: "振铃", on_call: "通话中", consulting: "咨询中（来电人保持）", three_way: "三方通话中", transferred: "已转接", left: "已退出（三方继续）", ended: "已结束",
};
const CONTROL_ERROR = {
  no_live_call: "当前没有通话", agent_not_available: "该坐席当前不可接听", consult_not_answered: "对方尚未接听，可等待或取消咨询",
  consult_in_progress: "正在咨询，请先完成或取消", no_consult: "当前没有进行中的咨询（对方可能已挂机）",
};
const LIVE = new Set(["on_call", "three_way", "consulting"]);

class CallControls {
  constructor(api, el, phone) {
    this.api = api;
    this.el = el;
    this.phone = phone;
    this.state = "";
    this.detail = "";
    el.xferQueue.onclick = () => this.transferToQueue();
    el.xferNumber.onclick = () => this.transferToNumber();
    el.threeWay.onclick = () => this.threeWayCall();
    el.leave.onclick = () => this.leave();
    el.hold.onclick = () => this.phone.toggleHold();
    el.xferAgent.onclick = () => this.transferToAgent();
    el.consultAgent.onclick = () => this.consult(this.colleagueTarget());
    el.consultQueue.onclick = () => this.consult({ body: { queue: this.el.queue.value }, label: `队列 ${QUEUE_LABEL[this.el.queue.value] || this.el.queue.value}` });
    el.consultNumber.onclick = () => this.consult(this.directoryTarget());
    el.consultComplete.onclick = () => this.completeConsult();
    el.consultCancel.onclick = () => this.cancelConsult();
    this.setQueues(DEFAULT_QUEUES);
    this.render();
  }

  setQueues(names) {
    this.el.queue.replaceChildren(...names.map((name) => new Option(QUEUE_LABEL[name] ? `${QUEUE_LABEL[name]}（${name}）` : name, name)));
  }

  async loadDirectory() {
    try {
      const entries = await this.api("/api/directory");
      const groups = new Map();
      for (const e of entries) {
        if (!groups.has(e.kind)) groups.set(e.kind, Object.assign(document.createElement("optgroup"), { label: KIND_LABEL[e.kind] || e.kind }));
        groups.get(e.kind).append(new Option(`${e.name}（${e.number}）`, e.id));
      }
      this.el.directory.replaceChildren(...groups.values());
    } catch (err) {
      this.el.error.textContent = `号码簿不可用：${err.message}`;
    }
  }

  // Agent state labels are desktop.js's STATE_LABEL (loaded after this file; read only at call time).
  async loadColleagues() {
    try {
      const agents = await this.api("/api/colleagues");
      this.el.colleague.replaceChildren(...agents.map((a) => {
        const option = new Option(`${a.agent_id}（${a.ready ? "可接" : (a.pause_reason && pauseLabel(a.pause_reason)) || STATE_LABEL[a.state] || a.state}）`, a.agent_id);
        option.disabled = !a.ready;
        return option;
      }));
    } catch (err) {
      this.el.error.textContent = `坐席列表不可用：${err.message}`;
    }
  }

  colleagueTarget() {
    const option = this.el.colleague.selectedOptions[0];
    return option && !option.disabled ? { body: { agent_id: option.value }, label: `坐席 ${option.value}` } : null;
  }

  directoryTarget() {
    const entry = this.selectedEntry();
    return entry ? { body: { directory_id: entry.id }, label: entry.label } : null;
  }

  setState(state, detail = "") {
    if (this.state === state && this.detail === detail) return;
    this.state = state;
    this.detail = detail;
    this.render();
  }

  render() {
    const label = CALL_STATE_LABEL[this.state] || "";
    this.el.badge.textContent = this.detail ? `${label} · ${this.detail}` : label;
    this.el.badge.dataset.state = this.state;
    this.el.popState.textContent = this.el.badge.textContent;
    const live = LIVE.has(this.state);
    // During a consultation the caller is on hold: only complete, cancel and hold apply.
    const consulting = this.state === "consulting";
    this.el.xferQueue.disabled = !live || consulting;
    this.el.xferNumber.disabled = !live || consulting;
    const talking = this.state === "on_call";
    this.el.threeWay.disabled = !talking;
    this.el.xferAgent.disabled = !talking;
    for (const button of [this.el.consultAgent, this.el.consultQueue, this.el.consultNumber]) button.disabled = !talking;
    this.el.consultComplete.disabled = !consulting;
    this.el.consultCancel.disabled = !consulting;
    this.el.leave.disabled = !live || consulting;
    this.el.hold.disabled = !live || !this.phone.session;
  }

  selectedEntry() {
    const option = this.el.directory.selectedOptions[0];
    return option ? { id: option.value, label: option.textContent } : null;
  }

  async run(action) {
    this.el.error.textContent = "";
    try {
      await action();
    } catch (err) {
      this.el.error.textContent = CONTROL_ERROR[err.errorId] || err.message;
    }
  }

  transferToQueue() {
    const queue = this.el.queue.value;
    return this.run(async () => {
      await this.api("/api/me/call/transfer", { method: "POST", body: JSON.stringify({ queue }) });
      this.setState("transferred", `队列 ${QUEUE_LABEL[queue] || queue}`);
    });
  }

  transferToNumber() {
    const entry = this.selectedEntry();
    if (!entry) return Promise.resolve();
    return this.run(async () => {
      await this.api("/api/me/call/transfer", { method: "POST", body: JSON.stringify({ directory_id: entry.id }) });
      this.setState("transferred", entry.label);
    });
  }

  transferToAgent() {
    const target = this.colleagueTarget();
    if (!target) return Promise.resolve();
    return this.run(async () => {
      await this.api("/api/me/call/transfer", { method: "POST", body: JSON.stringify(target.body) });
      this.setState("transferred", target.label);
    });
  }

  consult(target) {
    if (!target) return Promise.resolve();
    return this.run(async () => {
      await this.api("/api/me/call/consult", { method: "POST", body: JSON.stringify(target.body) });
      this.setState("consulting", target.label);
    });
  }

  completeConsult() {
    const label = this.detail;
    return this.run(async () => {
      await this.api("/api/me/call/consult/complete", { method: "POST" });
      this.setState("transferred", label);
    });
  }

  cancelConsult() {
    return this.run(async () => {
      try {
        await this.api("/api/me/call/consult/cancel", { method: "POST" });
      } catch (err) {
        if (err.errorId !== "no_consult") throw err;
      }
      this.setState("on_call");
    });
  }

  threeWayCall() {
    const entry = this.selectedEntry();
    if (!entry) return Promise.resolve();
    return this.run(async () => {
      await this.api("/api/me/call/three-way", { method: "POST", body: JSON.stringify({ directory_id: entry.id }) });
      this.setState("three_way", entry.label);
    });
  }

  leave() {
    const wasThreeWay = this.state === "three_way";
    return this.run(async () => {
      await this.api("/api/me/call/leave", { method: "POST" });
      this.setState(wasThreeWay ? "left" : "ended", wasThreeWay ? this.detail : "");
    });
  }

  // The ACD's view of the agent and the call moves the state on (answered, ended) without undoing
  // what a control action set (a transferred call also ends for this agent).
  onAgent(agentState) {
    if (agentState === "on_call" && (this.state === "ringing" || this.state === "")) this.setState("on_call");
    else if ((agentState === "wrap_up" || agentState === "idle") && LIVE.has(this.state)) {
      this.setState(this.state === "three_way" ? "left" : "ended", this.state === "three_way" ? this.detail : "");
    } else this.render();
  }

  // Another tab of the same agent (or this one) started, completed or cancelled a consultation.
  onConsult(phase, target) {
    if (phase === "started") this.setState("consulting", this.detail || target);
    else if (phase === "completed") this.setState("transferred", this.detail || target);
    else if (phase === "cancelled" && this.state === "consulting") this.setState("on_call");
  }

  onCallChanged(callState) {
    if (callState === "connected" && this.state === "ringing") this.setState("on_call");
    else if (callState === "ended" && (this.state === "ringing" || this.state === "on_call")) this.setState("ended");
  }
}
