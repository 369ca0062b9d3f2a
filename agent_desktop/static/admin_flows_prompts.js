"use strict";
// 提示音 panel of the 流程 tab: every prompt of the version being edited with its text, the flows and nodes
// that play it and its file (合成 = spoken by the centre from the flow's text, 管理员提供 = an uploaded
// recording or a text of the admin's own); listen, upload a recording, or speak it with the TTS.
// Endpoints: GET /api/admin/flows/prompts?version=, GET .../prompts/{id}/audio,
// POST .../prompts/{id}/generate, PUT /api/ivr/prompts/{id} (the recording as the body).
(() => {
  const SOURCE_TEXT = { generated: "语音合成", admin: "管理员提供", missing: "缺少文件" };

  function prompts(ctx, el) {
    const { h, api } = ctx;
    const rows = h("tbody", { "data-testid": "prompt-rows" });
    const player = h("audio", { controls: "", class: "prompt-player", "data-testid": "prompt-player" });
    const playing = h("span", { class: "note", "data-testid": "prompt-playing" });
    const system = h("input", { type: "checkbox", "data-testid": "prompt-system" });
    let listed = [];
    el.append(
      h("h2", { text: "提示音" }),
      h("p", { class: "note", text: "上传录音支持 WAV、MP3、FLAC、OGG 等格式，自动转为 8 kHz 单声道。合成时文本留空则使用流程中的文本；使用自定义文本的合成视同上传的录音，发布新版本时不会被覆盖。" }),
      h("div", { class: "prompt-play" }, player, playing, h("label", { class: "check" }, system, "显示系统提示音（排队播报、回拨、回访等）")),
      h("div", { class: "table-wrap" }, h("table", { class: "grid-table prompt-table" },
        h("thead", {}, h("tr", {}, ...["提示音", "文本", "使用位置", "文件", "时长", "操作"].map((t) => h("th", { text: t })))), rows)),
    );

    async function play(id) {
      try {
        const res = await api.raw(`/api/admin/flows/prompts/${encodeURIComponent(id).replace(/%2F/g, "/")}/audio`);
        if (player.src) URL.revokeObjectURL(player.src);
        player.src = URL.createObjectURL(await res.blob());
        playing.textContent = `正在播放：${id}`;
        await player.play().catch(() => {});
      } catch (_) { /* shown by api */ }
    }

    async function upload(id, file) {
      if (!file) return;
      try {
        await api.put(`/api/ivr/prompts/${id}`, file);
        api.say(`提示音 ${id} 已替换为上传的录音`);
        await load();
      } catch (_) { /* shown by api */ }
    }

    async function generate(id, text) {
      try {
        const body = text ? { text } : { version: ctx.current.version };
        await api.post(`/api/admin/flows/prompts/${id}/generate`, body);
        api.say(`提示音 ${id} 已重新合成`);
        await load();
      } catch (_) { /* shown by api */ }
    }

    function usage(p) {
      if (p.runtime) return "系统提示音（排队、回拨、留言等）";
      if (!p.used_by.length) return "未被使用";
      return p.used_by.map((u) => `${u.flow_name}（${u.flow}）：${u.nodes.join("、")}`).join("；");
    }

    function row(p) {
      const file = h("input", { type: "file", accept: "audio/*", hidden: "", "data-testid": "prompt-file" });
      file.onchange = () => upload(p.id, file.files[0]);
      const own = h("input", { placeholder: "自定义文本（可空）", size: "14", "data-testid": "prompt-text" });
      const buttons = h("td", { class: "buttons" },
        h("button", { type: "button", "data-testid": "prompt-play", text: "播放", onclick: () => play(p.id) }),
        h("button", { type: "button", "data-testid": "prompt-upload", text: "上传录音", onclick: () => file.click() }), file,
        own, h("button", { type: "button", "data-testid": "prompt-generate", text: "合成", onclick: () => generate(p.id, own.value.trim()) }));
      buttons.querySelector("[data-testid=prompt-play]").disabled = p.file.source === "missing";
      const seconds = p.file.seconds === null ? "—" : `${p.file.seconds.toFixed(1)} 秒`;
      return h("tr", { "data-prompt": p.id },
        h("td", { class: "mono", text: p.id }), h("td", { class: "prompt-text", text: p.text || "（无文本，需上传录音）" }),
        h("td", { "data-field": "used_by", text: usage(p) }),
        h("td", { "data-field": "source", "data-source": p.file.source, text: SOURCE_TEXT[p.file.source] || p.file.source }),
        h("td", { text: seconds }), buttons);
    }

    function draw() {
      rows.replaceChildren(...listed.filter((p) => system.checked || !p.runtime).map(row));
    }
    system.onchange = draw;

    async function load() {
      if (!ctx.current) return;
      try {
        const got = await api.get(`/api/admin/flows/prompts?version=${ctx.current.version}`, { quiet: true });
        ctx.promptTexts = Object.fromEntries(got.prompts.map((p) => [p.id, p.text]));
        listed = got.prompts;
        draw();
      } catch (err) {
        rows.replaceChildren(h("tr", {}, h("td", { colspan: "6", class: "error", text: `版本 ${ctx.current.version} 无法列出提示音：${api.errorText(err)}` })));
      }
    }
    return { refresh: load };
  }

  prompts.place = "below";
  (window.AdminFlowPanels = window.AdminFlowPanels || []).push(prompts);
})();
