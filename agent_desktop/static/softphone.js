"use strict";
// The agent's browser phone: JsSIP over Asterisk's SIP websocket, WebRTC media (DTLS-SRTP, ICE).
// Registers with what GET /api/me/phone returns; shows an incoming call with an Answer button;
// answer, hang up, hold, mute, DTMF (RFC 4733 in the media stream). A call whose offer carries video
// (the sign-language video line) is answered with the camera too: remote and local video are shown
// and the agent can turn the camera off and on (el.video*, optional).
// window.__hotline_timeline records when things arrived, in epoch milliseconds with sub-ms precision
// (the desktop's offer frame, the SIP INVITE on the wire), so a test can compare their order.

window.__hotline_timeline = [];

function hotlineNow() {
  return performance.timeOrigin + performance.now();
}

function hotlineMark(kind, fields = {}) {
  const entry = { kind, at: hotlineNow(), ...fields };
  window.__hotline_timeline.push(entry);
  return entry;
}

class Softphone {
  constructor(elements) {
    this.el = elements;
    this.ua = null;
    this.session = null;
    this.held = false;
    this.muted = false;
    this.callTimer = null;
  }

  start(config) {
    this.stop();
    const socket = new JsSIP.WebSocketInterface(config.ws_url);
    const deliver = socket._onMessage;
    socket._onMessage = function onMessage(event) {
      if (typeof event.data === "string" && event.data.startsWith("INVITE ")) hotlineMark("invite");
      deliver.call(this, event);
    };
    this.ua = new JsSIP.UA({
      sockets: [socket],
      uri: config.sip_uri,
      authorization_user: config.authorization_user,
      password: config.password,
      display_name: config.display_name,
      register: true,
      register_expires: 300,
      session_timers: false,
      user_agent: "hotline-desktop",
    });
    this.iceServers = config.ice_servers;
    this.ua.on("registered", () => this.setStatus("registered", `已注册 ${config.extension}`));
    this.ua.on("unregistered", () => this.setStatus("off", "未注册"));
    this.ua.on("registrationFailed", (e) => this.setStatus("failed", `注册失败（${e.cause}）`));
    this.ua.on("disconnected", () => this.setStatus("off", "未连接"));
    this.ua.on("newRTCSession", (e) => this.onSession(e));
    this.setStatus("connecting", "注册中");
    this.ua.start();
  }

  stop() {
    if (this.ua) this.ua.stop();
    this.ua = null;
    this.session = null;
    this.showIdle();
  }

  setStatus(state, label) {
    this.el.status.dataset.state = state;
    this.el.status.textContent = label;
    this.el.status.className = `badge ${state === "registered" ? "on" : "off"}`;
  }

  onSession(event) {
    const session = event.session;
    if (event.originator !== "remote" || this.session) {
      if (event.originator === "remote") session.terminate({ status_code: 486 });
      return;
    }
    this.session = session;
    this.hasVideo = Boolean(event.request && /\r?\nm=video /.test(event.request.body || ""));
    const who = session.remote_identity;
    hotlineMark("incoming", { from: who.uri.user });
    this.el.incomingFrom.textContent = who.display_name || who.uri.user;
    this.el.incoming.hidden = false;
    session.on("peerconnection", (e) => this.attachMedia(e.peerconnection));
    session.on("confirmed", () => this.showInCall(who));
    session.on("hold", () => this.setHeld(true));
    session.on("unhold", () => this.setHeld(false));
    session.on("ended", (e) => this.onEnded(session, e.cause));
    session.on("failed", (e) => this.onEnded(session, e.cause));
  }

  attachMedia(pc) {
    pc.addEventListener("track", (e) => {
      const stream = e.streams[0] || new MediaStream([e.track]);
      if (e.track.kind === "video") {
        if (this.el.remoteVideo) this.el.remoteVideo.srcObject = new MediaStream([e.track]);
        return;
      }
      this.el.audio.srcObject = stream;
    });
  }

  showVideo() {
    if (!this.el.videoPanel || !this.session) return;
    const pc = this.session.connection;
    const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
    this.el.videoPanel.hidden = !sender;
    if (sender) this.el.localVideo.srcObject = new MediaStream([sender.track]);
    this.setCamera(true);
  }

  setCamera(on) {
    const pc = this.session && this.session.connection;
    const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
    if (sender) sender.track.enabled = on;
    this.cameraOn = on;
    if (!this.el.camera) return;
    this.el.camera.setAttribute("aria-pressed", String(!on));
    this.el.camera.textContent = on ? "关闭摄像头" : "开启摄像头";
    this.el.videoPanel.dataset.camera = on ? "on" : "off";
  }

  toggleCamera() {
    this.setCamera(!this.cameraOn);
  }

  answer() {
    if (!this.session) return;
    hotlineMark("answer_clicked");
    this.session.answer({
      mediaConstraints: { audio: true, video: Boolean(this.hasVideo && this.el.videoPanel) },
      pcConfig: { iceServers: this.iceServers || [] },
    });
  }

  hangup() {
    if (this.session) this.session.terminate();
  }

  toggleHold() {
    if (!this.session) return;
    if (this.held) this.session.unhold();
    else this.session.hold();
  }

  toggleMute() {
    if (!this.session) return;
    if (this.muted) this.session.unmute({ audio: true });
    else this.session.mute({ audio: true });
    this.muted = !this.muted;
    this.el.mute.setAttribute("aria-pressed", String(this.muted));
    this.el.mute.textContent = this.muted ? "取消静音" : "静音";
  }

  sendDtmf(digit) {
    if (!this.session) return;
    this.session.sendDTMF(digit, { transportType: "RFC2833", duration: 160 });
    hotlineMark("dtmf_sent", { digit });
  }

  setHeld(held) {
    this.held = held;
    for (const button of [this.el.hold, this.el.popHold]) {
      if (!button) continue;
      button.setAttribute("aria-pressed", String(held));
      button.textContent = held ? "恢复" : "保持";
    }
  }

  showInCall(who) {
    hotlineMark("confirmed");
    this.el.incoming.hidden = true;
    this.el.inCall.hidden = false;
    this.el.peer.textContent = who.display_name || who.uri.user;
    if (this.hasVideo) this.showVideo();
    const started = Date.now();
    clearInterval(this.callTimer);
    const tick = () => { this.el.timer.textContent = `${Math.round((Date.now() - started) / 1000)} 秒`; };
    tick();
    this.callTimer = setInterval(tick, 1000);
  }

  onEnded(session, cause) {
    if (session !== this.session) return;
    hotlineMark("ended", { cause });
    this.session = null;
    this.showIdle();
  }

  showIdle() {
    clearInterval(this.callTimer);
    this.el.incoming.hidden = true;
    this.el.inCall.hidden = true;
    this.el.audio.srcObject = null;
    if (this.el.videoPanel) {
      this.el.videoPanel.hidden = true;
      this.el.remoteVideo.srcObject = null;
      this.el.localVideo.srcObject = null;
    }
    this.hasVideo = false;
    this.muted = false;
    this.el.mute.setAttribute("aria-pressed", "false");
    this.el.mute.textContent = "静音";
    this.setHeld(false);
  }

  // Media counters of the current call's RTCPeerConnection (for diagnostics and tests).
  async stats() {
    const pc = this.session && this.session.connection;
    if (!pc) return null;
    const report = await pc.getStats();
    const out = { inbound: null, outbound: null, pair: null, videoIn: null, videoOut: null };
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") out.videoIn = { framesDecoded: s.framesDecoded, bytesReceived: s.bytesReceived, codec: s.codecId ? (report.get(s.codecId) || {}).mimeType : null };
      if (s.type === "outbound-rtp" && s.kind === "video") out.videoOut = { framesSent: s.framesSent, bytesSent: s.bytesSent };
      if (s.type === "inbound-rtp" && s.kind === "audio") out.inbound = { bytesReceived: s.bytesReceived, packetsReceived: s.packetsReceived };
      if (s.type === "outbound-rtp" && s.kind === "audio") out.outbound = { bytesSent: s.bytesSent, packetsSent: s.packetsSent };
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        out.pair = pair ? { state: pair.state, local: local ? `${local.address}:${local.port}` : null, dtls: s.dtlsState } : null;
      }
    });
    return out;
  }
}
