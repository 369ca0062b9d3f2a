"use strict";
// The public 12345 page: submit a matter (POST /api/public/orders) and check an order's progress
// (POST /api/public/orders/progress with the number and the phone's last four digits). No account.

(function () {
  const $ = (id) => document.getElementById(id);
  const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
  const NUMBER = /^[0-9A-Za-z]{1,16}-\d{8}-\d{6,9}$/;
  const FIELD_NAMES = { name: "姓名", phone: "手机号码", address: "事发地址", content: "诉求内容", category: "诉求类型", when: "发生时间", number: "工单编号", phone_last4: "手机号后四位" };
  const ERRORS = {
    too_many_requests: (d) => `操作过于频繁，请${d.retry_after_s || 60}秒后再试。`,
    order_not_found: () => "未查到该工单，请核对工单编号和手机号后四位。",
    five_elements_missing: () => "投诉、举报请填写发生时间、地点和事情经过。",
  };

  function showTab(which) {
    for (const name of ["submit", "lookup"]) {
      $(name).hidden = name !== which;
      $(`tab-${name}`).setAttribute("aria-selected", String(name === which));
    }
  }

  function fieldOf(error) {
    const loc = (error && error.loc) || [];
    return loc[loc.length - 1];
  }

  function explain(body, status) {
    if (body && ERRORS[body.error_id]) return ERRORS[body.error_id](body.details || {});
    if (body && body.error_id === "invalid_request") {
      const names = [...new Set(((body.details || {}).errors || []).map(fieldOf).filter((f) => FIELD_NAMES[f]))];
      if (names.length) return `请检查：${names.map((f) => FIELD_NAMES[f]).join("、")}。`;
      return "提交的内容格式不正确，请检查后重试。";
    }
    if (status >= 500) return "系统繁忙，请稍后再试，或拨打12345。";
    return "请求未成功，请稍后再试。";
  }

  // One key per submission, the same on every try until it is taken in: a try whose answer was lost is
  // answered with the order already taken in, never a second one.
  function newRequestKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let requestKey = newRequestKey();

  async function post(path, body, offline = "网络连接失败，请检查网络后重试。") {
    let res;
    try {
      res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (e) {
      return { ok: false, message: offline };
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.ok) return { ok: true, data };
    return { ok: false, message: explain(data, res.status), data };
  }

  function mark(form, names) {
    for (const el of form.querySelectorAll("input, textarea")) {
      el.setAttribute("aria-invalid", String(names.includes(el.name)));
    }
  }

  function dateText(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${two(d.getHours())}:${two(d.getMinutes())}`;
  }

  function localCheck(values) {
    const bad = [];
    if (!PHONE.test(values.phone)) bad.push("phone");
    if (values.address.length < 2) bad.push("address");
    if (values.content.length < 5) bad.push("content");
    return bad;
  }

  async function submit(event) {
    event.preventDefault();
    const form = $("submit-form");
    const f = new FormData(form);
    const values = {
      category: String(f.get("category")),
      name: String(f.get("name") || "").trim(),
      phone: String(f.get("phone") || "").trim(),
      address: String(f.get("address") || "").trim(),
      content: String(f.get("content") || "").trim(),
    };
    const when = String(f.get("when") || "").trim();
    if (when) values.when = when;
    const bad = localCheck(values);
    mark(form, bad);
    if (bad.length) {
      $("submit-error").textContent = `请检查：${bad.map((n) => FIELD_NAMES[n]).join("、")}。`;
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    $("submit-error").textContent = "";
    values.request_key = requestKey;
    const got = await post("/api/public/orders", values, "提交结果未知（网络中断），请再次点击提交，不会重复登记。");
    button.disabled = false;
    if (!got.ok) {
      const errs = ((got.data || {}).details || {}).errors || [];
      mark(form, errs.map(fieldOf));
      $("submit-error").textContent = got.message;
      return;
    }
    requestKey = newRequestKey();
    form.hidden = true;
    $("submitted-number").textContent = got.data.number;
    $("submitted").hidden = false;
    sessionStorage.setItem("citizen-last4", values.phone.replace(/\D/g, "").slice(-4));
  }

  function showProgress(p) {
    $("p-number").textContent = p.number;
    $("p-category").textContent = p.category_label;
    $("p-created").textContent = dateText(p.created_at);
    $("p-status").textContent = p.status_label;
    $("p-merged").textContent = p.merged_into ? `与工单 ${p.merged_into} 合并办理` : "";
    $("p-merged").hidden = !p.merged_into;
    $("p-status").dataset.status = p.status;
    $("p-department").textContent = p.department || "正在分派承办单位";
    $("p-due").textContent = p.reply_due ? dateText(p.reply_due) : "派单后确定";
    $("p-reply").textContent = p.reply || "";
    $("p-reply-box").hidden = !p.reply;
    $("progress").hidden = false;
  }

  async function lookup(event) {
    event.preventDefault();
    const form = $("lookup-form");
    const number = form.number.value.trim();
    const last4 = form.phone_last4.value.trim();
    const bad = [];
    if (!NUMBER.test(number)) bad.push("number");
    if (!/^\d{4}$/.test(last4)) bad.push("phone_last4");
    mark(form, bad);
    $("progress").hidden = true;
    if (bad.length) {
      $("lookup-error").textContent = `请检查：${bad.map((n) => FIELD_NAMES[n]).join("、")}。`;
      return;
    }
    $("lookup-error").textContent = "";
    const got = await post("/api/public/orders/progress", { number, phone_last4: last4 });
    if (!got.ok) {
      $("lookup-error").textContent = got.message;
      return;
    }
    showProgress(got.data);
  }

  function init() {
    $("tab-submit").addEventListener("click", () => showTab("submit"));
    $("tab-lookup").addEventListener("click", () => showTab("lookup"));
    $("submit-form").addEventListener("submit", submit);
    $("lookup-form").addEventListener("submit", lookup);
    for (const id of ["submit-form", "lookup-form"]) {
      $(id).querySelector("[type=submit]").disabled = false; // off until the handlers are attached
    }
    const category = $("submit-form").category;
    const toggleWhen = () => { $("when-label").hidden = !["complaint", "report"].includes(category.value); };
    category.addEventListener("change", toggleWhen);
    toggleWhen();
    const content = $("submit-form").content;
    content.addEventListener("input", () => { $("content-count").textContent = `${content.value.length}/2000`; });
    $("submit-another").addEventListener("click", () => {
      $("submit-form").reset();
      $("submit-form").hidden = false;
      $("submitted").hidden = true;
      toggleWhen();
    });
    $("lookup-this").addEventListener("click", () => {
      const form = $("lookup-form");
      form.number.value = $("submitted-number").textContent;
      form.phone_last4.value = sessionStorage.getItem("citizen-last4") || "";
      showTab("lookup");
      form.requestSubmit();
    });
    const asked = new URLSearchParams(location.search).get("number");
    if (asked && NUMBER.test(asked)) {
      $("lookup-form").number.value = asked;
      showTab("lookup");
    }
  }

  init();
})();
