// Recording player: the recordings of one call, each segment with both sides as waveforms.
//
// API (a global, no module system needed):
//   const player = await RecordingPlayer.mount(element, callId, token);
//   player.destroy();                 // stops playback, frees the waveforms, empties `element`
// Needs /static/vendor/wavesurfer.min.js (global WaveSurfer) loaded first, and a signed-in
// supervisor, QA or admin token (others get 403, shown in the element as 无权收听录音).
// Shows, per segment (第 N 段: each agent or transferred party), the caller side (来电人) and the centre
// side (中心侧: agent, consulted party, barging supervisor) as two waveforms played together: one
// play/pause button, a click on either waveform seeks both, a time readout and a download link per side.
// Every playback and download is audited by the server. Endpoints: GET /api/recordings?call_id=,
// GET /api/recordings/{id}/audio[?download=1].
(function () {
  "use strict";

  const SIDE_LABEL = { caller: "来电人", agent: "中心侧" };
  const COLORS = { caller: ["#7aa7d9", "#1f5fa8"], agent: ["#8cc79a", "#2e7d43"] };
  const STATUS_LABEL = { recording: "录音中", missing: "文件缺失", deleted: "已按保存期限删除" };

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  async function request(url, token) {
    const resp = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (!resp.ok) {
      const err = new Error(`HTTP ${resp.status}`);
      err.status = resp.status;
      throw err;
    }
    return resp;
  }

  async function download(rec, token) {
    const resp = await request(`${rec.audio_url}?download=1`, token);
    const link = el("a", { href: URL.createObjectURL(await resp.blob()), download: `${rec.recording_id}.wav` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  function groupBySegment(recordings) {
    const segments = new Map();
    recordings.forEach((r) => {
      if (!segments.has(r.segment)) segments.set(r.segment, {});
      segments.get(r.segment)[r.side] = r;
    });
    return [...segments.entries()].sort((a, b) => a[0] - b[0]);
  }

  function sideRow(rec, side, token, waves) {
    const row = el("div", { class: "rec-side", "data-side": side });
    row.append(el("span", { class: "rec-side-label" }, SIDE_LABEL[side]));
    const wave = el("div", { class: "rec-wave", "data-testid": `wave-${side}` });
    row.append(wave);
    if (!rec || rec.status !== "saved") {
      wave.textContent = rec ? STATUS_LABEL[rec.status] || rec.status : "无录音";
      wave.classList.add("rec-wave-empty");
      return row;
    }
    const link = el("a", { href: "#", class: "rec-download", "data-testid": `download-${side}` }, "下载");
    link.addEventListener("click", (ev) => {
      ev.preventDefault();
      download(rec, token).catch(() => { link.textContent = "下载失败"; });
    });
    row.append(link);
    waves.push(
      WaveSurfer.create({
        container: wave,
        height: 56,
        waveColor: COLORS[side][0],
        progressColor: COLORS[side][1],
        cursorColor: "#333",
        normalize: true,
        url: rec.audio_url,
        fetchParams: { headers: { Authorization: `Bearer ${token}` } },
      })
    );
    return row;
  }

  function segmentBlock(number, sides, token) {
    const any = sides.caller || sides.agent;
    const block = el("section", { class: "rec-segment", "data-testid": `segment-${number}` });
    const who = any.agent_id ? `坐席 ${any.agent_id}` : "转接方";
    const length = any.duration_s != null ? ` · 时长 ${clock(any.duration_s)}` : "";
    block.append(el("h3", {}, `第 ${number + 1} 段 · ${who}${length}`));
    const waves = [];
    const controls = el("div", { class: "rec-controls" });
    const button = el("button", { type: "button", "data-testid": `play-${number}`, disabled: "" }, "播放");
    const time = el("span", { class: "rec-time" }, "00:00 / 00:00");
    controls.append(button, time);
    block.append(controls, sideRow(sides.caller, "caller", token, waves), sideRow(sides.agent, "agent", token, waves));
    let ready = 0;
    waves.forEach((ws) => {
      ws.on("ready", () => {
        ready += 1;
        if (ready === waves.length) {
          button.removeAttribute("disabled");
          block.dataset.ready = "1";
          time.textContent = `00:00 / ${clock(ws.getDuration())}`;
        }
      });
      ws.on("timeupdate", (t) => { time.textContent = `${clock(t)} / ${clock(ws.getDuration())}`; });
      ws.on("interaction", (t) => waves.forEach((other) => other !== ws && other.setTime(t)));
      ws.on("finish", () => { button.textContent = "播放"; });
      ws.on("error", () => { block.dataset.error = "1"; time.textContent = "录音无法加载"; });
    });
    button.addEventListener("click", () => {
      const playing = waves.some((ws) => ws.isPlaying());
      waves.forEach((ws) => (playing ? ws.pause() : ws.play()));
      button.textContent = playing ? "播放" : "暂停";
    });
    return { block, waves };
  }

  async function mount(element, callId, token) {
    element.replaceChildren(el("p", { class: "rec-note" }, "正在读取录音…"));
    const all = [];
    const player = {
      destroy() {
        all.forEach((ws) => ws.destroy());
        all.length = 0;
        element.replaceChildren();
      },
    };
    let body;
    try {
      body = await (await request(`/api/recordings?call_id=${encodeURIComponent(callId)}`, token)).json();
    } catch (err) {
      const text = err.status === 403 ? "无权收听录音（仅班长、质检员和管理员）" : "录音读取失败";
      element.replaceChildren(el("p", { class: "error", role: "alert" }, text));
      return player;
    }
    if (!body.recordings.length) {
      element.replaceChildren(el("p", { class: "rec-note", "data-testid": "no-recordings" }, "本通话没有录音"));
      return player;
    }
    element.replaceChildren();
    groupBySegment(body.recordings).forEach(([number, sides]) => {
      const { block, waves } = segmentBlock(number, sides, token);
      all.push(...waves);
      element.append(block);
    });
    return player;
  }

  window.RecordingPlayer = { mount };
})();
