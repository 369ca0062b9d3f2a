"use strict";
// The supervisor page's live chats (text chat as its own channel, protocol 1.4 queue_chats frames): per
// queue the chats waiting and in progress now and today's offered, answered and abandoned chats with the
// mean wait of the answered ones; only the supervisor's own queues (as on the board). Also the channel
// label of a queue row: 视频 for the sign-language video queue, 语音 for the others, 文字 for chats.

const CHANNEL_LABEL = { voice: "语音", video: "视频", chat: "文字" };
const VIDEO_QUEUES = new Set(["sign_video"]);

function channelOfQueue(queue) { return VIDEO_QUEUES.has(queue) ? "video" : "voice"; }

// A cell holding the channel label of a row (data-channel for the colour).
function channelCell(channel) {
  const td = document.createElement("td");
  const label = document.createElement("span");
  label.className = "channel";
  label.dataset.channel = channel;
  label.textContent = CHANNEL_LABEL[channel] || channel;
  td.dataset.field = "channel";
  td.append(label);
  return td;
}

class SupervisorChats {
  constructor(el, board) {
    this.el = el;
    this.board = board;
    this.queues = [];
    this.frames = 0;
  }

  // One queue_chats frame: every queue's chats now and today.
  onChats(data) {
    this.frames += 1;
    this.show(data);
  }

  show(data) {
    this.queues = data.queues || [];
    this.el.at.textContent = `更新于 ${clockTime(data.at ? data.at * 1000 : Date.now())}`;
    this.render();
  }

  // The figures as they are now (GET /api/chat/figures): frames come only when they change. A frame
  // arriving meanwhile is newer and wins.
  async load(api) {
    const before = this.frames;
    try {
      const data = await api("/api/chat/figures");
      if (this.frames === before) this.show(data);
    } catch (err) {
      this.el.at.textContent = err.status === 503 ? "文字交谈服务未启动" : `交谈数据读取失败（${err.status || err.message}）`;
    }
  }

  render() {
    const shown = this.board.shown(this.queues);
    const rows = shown.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      tr.append(
        cell(queueLabel(q.queue)), channelCell(q.channel || "chat"),
        cell(String(q.waiting), { "data-field": "waiting", "data-level": q.waiting > 0 && q.active === 0 ? "amber" : "" }),
        cell(String(q.active), { "data-field": "active" }),
        cell(String(q.offered), { "data-field": "offered" }), cell(String(q.answered), { "data-field": "answered" }),
        cell(String(q.abandoned), { "data-field": "abandoned" }),
        cell(q.mean_wait_s === null || q.mean_wait_s === undefined ? "—" : duration(q.mean_wait_s), { "data-field": "mean_wait" }),
      );
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell("暂无文字交谈", { colspan: "8", class: "note" });
      tr.append(td);
      rows.push(tr);
    }
    this.el.rows.replaceChildren(...rows);
  }
}
