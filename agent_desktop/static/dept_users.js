"use strict";
// The department admin's users panel in the portal: the users of the admin's department and those below
// it, adding or editing one (name, department, password; department admins are made by the centre admin),
// and disabling one (their sessions end).
// Uses dept.js's $, api, st and chineseError (loaded first); shown only to department admins.
// Endpoints: GET /api/dept/departments, GET /api/dept/users, PUT /api/dept/users/{id},
// POST /api/dept/users/{id}/disable.
const USER_ERRORS = {
  invalid_request: "请检查：账号为字母数字，姓名必填，密码至少 8 位",
  password_required: "新用户须设置密码（至少 8 位）",
  department_not_managed: "只能管理本单位及下级单位的用户",
  admin_only_by_centre: "单位管理员由中心管理员设置",
  cannot_disable_self: "不能停用自己",
  department_user_not_found: "用户不存在",
};

function userError(err) {
  return USER_ERRORS[err.errorId] ? `${USER_ERRORS[err.errorId]}（${err.status}）` : chineseError(err);
}

async function loadUsers() {
  $("users-error").textContent = "";
  let users, units;
  try {
    [users, units] = await Promise.all([api("/api/dept/users"), api("/api/dept/departments")]);
  } catch (err) { $("users-error").textContent = userError(err); return; }
  $("user-department").replaceChildren(...units.filter((d) => d.active).map((d) =>
    Object.assign(document.createElement("option"), { value: d.code, textContent: `${d.name}（${d.level.label}）` })));
  $("users-rows").replaceChildren(...users.map((u) => {
    const tr = document.createElement("tr"); tr.dataset.user = u.user_id;
    for (const text of [u.user_id, u.name, u.department_name, u.is_dept_admin ? "管理员" : "经办人", u.active ? "启用" : "已停用"]) {
      tr.append(Object.assign(document.createElement("td"), { textContent: text }));
    }
    const td = document.createElement("td");
    if (u.active && u.user_id !== st.me.user_id) {
      const btn = Object.assign(document.createElement("button"), { type: "button", textContent: "停用" });
      btn.dataset.testid = "user-disable";
      btn.onclick = async () => {
        if (!confirm(`停用用户 ${u.name}（${u.user_id}）？其登录将立即失效。`)) return;
        try { await api(`/api/dept/users/${encodeURIComponent(u.user_id)}/disable`, { method: "POST" }); await loadUsers(); }
        catch (err) { $("users-error").textContent = `停用失败：${userError(err)}`; }
      };
      td.append(btn);
    }
    tr.append(td);
    return tr;
  }));
}

$("btn-users").onclick = async () => {
  const panel = $("users-panel");
  panel.hidden = !panel.hidden;
  $("btn-users").setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) await loadUsers();
};

$("user-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("users-error").textContent = ""; $("users-done").textContent = "";
  const f = ev.target;
  const body = { name: f.elements.display_name.value.trim(), department: f.elements.department.value };
  if (f.elements.member_password.value) body.password = f.elements.member_password.value;
  try {
    await api(`/api/dept/users/${encodeURIComponent(f.elements.member_id.value.trim())}`, { method: "PUT", body: JSON.stringify(body) });
    $("users-done").textContent = `已保存用户 ${body.name}`;
    f.reset();
    await loadUsers();
  } catch (err) { $("users-error").textContent = `保存失败：${userError(err)}`; }
});

window.deptUsersReady = () => { $("btn-users").hidden = !st.me.is_dept_admin; };
