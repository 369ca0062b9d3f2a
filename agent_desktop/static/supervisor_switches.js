"use strict";
// The supervisor page's centre switches: surge mode (the ACD's surge seats and the call flow's surge flag
// together) and the emergency notice (on/off and the text callers hear), from GET /api/supervisor/switches
// (read again every SWITCHES_POLL_MS: another supervisor or an admin may switch them) and set with
// PUT /api/supervisor/switches/surge and /emergency.

const SWITCHES_POLL_MS = 15000;

class CentreSwitches {
  // el: surge, surgeState, emergency, emergencyState, text, save, error (elements); api(path, options); log(text)
  constructor(el, api, log) {
    this.el = el;
    this.api = api;
    this.log = log;
    this.state = null;
    this.busy = false;
    this.timer = null;
    el.surge.onclick = () => this.change("高峰模式", "surge", { on: !this.state.surge.on });
    el.emergency.onclick = () => this.change("紧急通知", "emergency", this.emergencyBody(!this.state.emergency.on));
    el.save.onclick = () => this.change("通知内容", "emergency", this.emergencyBody(true));
    el.text.oninput = () => { el.save.disabled = this.busy || !this.textChanged(); };
  }

  start() {
    this.refresh();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), SWITCHES_POLL_MS);
  }

  stop() { clearInterval(this.timer); }

  async refresh() {
    try {
      this.show(await this.api("/api/supervisor/switches"));
    } catch (err) {
      this.el.error.textContent = `读取开关失败：${chineseError(err)}`;
    }
  }

  textChanged() { return this.state && this.el.text.value.trim() !== this.state.emergency.text; }

  emergencyBody(on) {
    const text = this.el.text.value.trim();
    return this.textChanged() && text ? { on, text } : { on };
  }

  async change(what, which, body) {
    if (!this.state || this.busy) return;
    this.busy = true;
    this.el.error.textContent = "";
    this.render();
    try {
      this.show(await this.api(`/api/supervisor/switches/${which}`, { method: "PUT", body: JSON.stringify(body) }));
      this.log(`${what}${body.text ? "已更新并" : ""}${body.on ? "开启" : "关闭"}`);
    } catch (err) {
      this.el.error.textContent = `${what}设置失败：${chineseError(err)}`;
      this.log(this.el.error.textContent);
    } finally {
      this.busy = false;
      this.render();
    }
  }

  show(state) {
    const typing = this.state && document.activeElement === this.el.text && this.textChanged();
    this.state = state;
    if (!typing) this.el.text.value = state.emergency.text;
    this.render();
  }

  render() {
    const s = this.state;
    if (!s) return;
    const surge = s.surge.on ? "on" : s.surge.acd || s.surge.ivr ? "partial" : "off";
    const surgeText = { on: "已开启", off: "已关闭", partial: `部分开启（${s.surge.acd ? "仅坐席扩容" : "仅导航分流"}）` }[surge];
    this.el.surge.dataset.state = surge;
    this.el.surge.setAttribute("aria-pressed", String(s.surge.on));
    this.el.surge.textContent = s.surge.on ? "关闭高峰模式" : "开启高峰模式";
    this.el.surgeState.textContent = surgeText;
    this.el.surgeState.dataset.state = surge;
    this.el.emergency.dataset.state = s.emergency.on ? "on" : "off";
    this.el.emergency.setAttribute("aria-pressed", String(s.emergency.on));
    this.el.emergency.textContent = s.emergency.on ? "关闭紧急通知" : "开启紧急通知";
    this.el.emergencyState.textContent = s.emergency.on ? "播放中" : "未播放";
    this.el.emergencyState.dataset.state = s.emergency.on ? "on" : "off";
    for (const b of [this.el.surge, this.el.emergency]) b.disabled = this.busy;
    this.el.save.disabled = this.busy || !this.textChanged();
  }
}
