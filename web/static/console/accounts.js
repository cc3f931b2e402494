// 账号管理 (/accounts): the accounts of the administrator's scope (GET /api/users), filtered on
// the page, each with its actions: 调岗… (role, scope, name: PATCH), 重设密码 (asked first; the
// generated password is shown once; a reset takes back the unmask right, said in the question and
// beside the password, since the administrator now knows the account's password), 停用 (asked first) or 启用, 解除锁定 when locked
// (the state says 已锁定（至 HH:MM，原因：连续登录失败）), 授予明文 or 收回明文 (授予 only where the role and scope may hold it). 新建账号 opens the same form with a
// login name; its generated password is shown once too. A grid worker's account stands for a
// worker on record, picked from those of the scope without one (GET /api/users/workers): the list
// follows the scope typed (only workers of its villages), each reads 姓名 · 村（社区） · 网格, and
// the pick fills the scope with the village of their home grid (a county's record without a grid
// is not offered: it would make a grid worker of the whole county). 批量开通网格员账号 opens one for each worker of a
// township or village without one (POST /api/users/worker-accounts/plan, then …/worker-accounts,
// whose sheet of initial passwords is downloaded once). The administrator's own account offers
// no 调岗 and no 停用 (the API refuses them), and no 重设密码 (修改密码 is in the top bar); the
// accounts of other administrators and of auditors none at all (三员分立: managed on the server).
// 登录限制 under the table lists the client addresses whose logins wait because failures from them
// spread over many login names (GET /api/users/login-throttle; kept in the database, so a restart
// lifts none), each with 解除 (POST …/login-throttle/clear). Every refusal is the API's own
// Chinese message.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let accounts = [];
  let editing = null; // the account of an open 调岗 form; null for 新建账号
  let myId = null;
  /** Grounds often given for the unmask right, offered before free text. */
  const GRANT_GROUNDS = ["岗位职责需核实走访对象身份", "经综治中心负责人批准", "承担特殊人群帮扶管理工作"];

  function stateText(a) {
    if (!a.active) return "停用";
    if (a.locked_until) return "已锁定（至 " + zz.fmtTime(a.locked_until).slice(11) + "，原因：" + (a.lock_reason || "连续登录失败") + "）";
    return "启用";
  }

  function button(text, cls, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm " + cls;
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function badge(cell, text, cls) {
    const span = document.createElement("span");
    span.className = "badge ms-1 " + cls;
    span.textContent = text;
    cell.appendChild(span);
  }

  function row(a) {
    const tr = document.createElement("tr");
    tr.dataset.username = a.username;
    zz.cell(tr, "ac-username", a.username);
    zz.cell(tr, "", a.display_name);
    const role = zz.cell(tr, "", a.role_label);
    if (a.worker_name) {
      const worker = document.createElement("div");
      worker.className = "ac-code";
      worker.textContent = "网格员记录：" + a.worker_name;
      role.appendChild(worker);
    } else if (a.role === "grid_worker") {
      badge(role, "未关联网格员", "text-bg-warning");
    }
    const scope = zz.cell(tr, "", a.scope_name);
    const code = document.createElement("div");
    code.className = "ac-code";
    code.textContent = a.scope_code;
    scope.appendChild(code);
    const state = zz.cell(tr, "ac-state", stateText(a));
    if (a.active && a.locked_until) {
      state.title =
        "锁定至 " + zz.fmtTime(a.locked_until) + "（北京时间），到期自动解除，或由管理员解除锁定。" +
        "锁定期间，本人在上次成功登录的地址仍可登录（除非该地址也有登录失败）。";
    }
    if (a.must_change_password) badge(state, "待本人改密", "text-bg-warning");
    if (a.can_unmask) badge(state, "可看明文", "text-bg-danger");
    if (a.unmask_void) badge(state, "明文权限无效", "text-bg-secondary");
    const actions = zz.cell(tr, "ac-actions", "");
    const mine = a.id === myId;
    if (a.server_managed && !mine) {
      // 三员分立: administrators' and auditors' accounts are managed on the server
      actions.textContent = "在服务器上管理";
      actions.classList.add("text-secondary", "small");
      return tr;
    }
    if (!mine) actions.appendChild(button("调岗…", "btn-outline-primary", () => openForm(a)));
    if (!mine) actions.appendChild(button("重设密码", "btn-outline-secondary", () => resetPassword(a)));
    if (a.active && !mine) actions.appendChild(button("停用", "btn-outline-danger", () => setActive(a, false)));
    if (!a.active) actions.appendChild(button("启用", "btn-outline-success", () => setActive(a, true)));
    if (a.locked_until) actions.appendChild(button("解除锁定", "btn-outline-warning", () => act(a, "/unlock", null, "已解除锁定")));
    const held = a.can_unmask || a.unmask_void;
    if (held) {
      actions.appendChild(button("收回明文", "btn-outline-secondary", () => act(a, "/unmask", { allowed: false }, "已收回查看明文的权限")));
    } else if (a.may_unmask) {
      actions.appendChild(button("授予明文", "btn-outline-secondary", () => askGrounds(a, actions)));
    }
    return tr;
  }

  /** 授予明文: the grounds asked first (written to the audit log with the grant), then granted. */
  function askGrounds(a, cell) {
    if (cell.querySelector(".zz-unmask-form")) return;
    const form = zz.reasonForm(
      (reason) => act(a, "/unmask", { allowed: true, reason: reason }, "已授予查看明文的权限"),
      () => form.remove(),
      { label: "授权依据", note: "将记入审计日志", noun: "依据", choices: GRANT_GROUNDS }
    );
    cell.appendChild(form);
  }

  function render() {
    const words = $("ac-filter").value.trim().toLowerCase();
    const shown = accounts.filter((a) =>
      !words || [a.username, a.display_name, a.scope_name, a.scope_code, a.role_label].some((t) => String(t).toLowerCase().includes(words))
    );
    const body = $("ac-rows");
    body.textContent = "";
    shown.forEach((a) => body.appendChild(row(a)));
    $("ac-count").textContent = "共 " + accounts.length + " 个账号" + (words ? "，显示 " + shown.length + " 个" : "");
  }

  async function load() {
    try {
      accounts = await zz.api("/api/users");
    } catch (err) {
      $("ac-refused").textContent = zz.errorText(err);
      $("ac-refused").hidden = false;
      return;
    }
    ["ac-table", "ac-filter", "ac-new", "ac-batch"].forEach((id) => ($(id).hidden = false));
    render();
    await loadThrottle();
  }

  /** 登录限制: the addresses whose logins wait, each with 解除. */
  async function loadThrottle() {
    let held;
    try {
      held = await zz.api("/api/users/login-throttle");
    } catch (err) {
      $("ac-throttle-none").textContent = zz.errorText(err);
      $("ac-throttle").hidden = false;
      return;
    }
    $("ac-throttle-title").title =
      "同一地址在 " + held.window_minutes + " 分钟内以 " + held.max_names + " 个不同登录名登录失败，" +
      "该地址即暂停登录，直到最早的那次失败满 " + held.window_minutes + " 分钟；" +
      "此前从该地址成功登录过的账号不受影响。记录保存在数据库中，服务重启不会解除。" +
      "解除只清除地址的限制，账号自身的锁定另行解除。";
    $("ac-throttle-rule").textContent = "（" + held.window_minutes + " 分钟内 " + held.max_names + " 个登录名失败即暂停）";
    const body = $("ac-throttle-rows");
    body.textContent = "";
    held.addresses.forEach(function (t) {
      const tr = document.createElement("tr");
      tr.dataset.address = t.address;
      zz.cell(tr, "font-monospace", t.address);
      zz.cell(tr, "", t.names + " 个");
      zz.cell(tr, "", zz.fmtTime(t.last_failed_at));
      zz.cell(tr, "", zz.fmtTime(t.until));
      zz.cell(tr, "", "").appendChild(button("解除", "btn-outline-warning", () => clearAddress(t.address)));
      body.appendChild(tr);
    });
    $("ac-throttle-table").hidden = !held.addresses.length;
    $("ac-throttle-none").textContent = held.addresses.length ? "" : "目前没有受限制的地址。";
    $("ac-throttle-none").hidden = !!held.addresses.length;
    $("ac-throttle").hidden = false;
  }

  async function clearAddress(address) {
    try {
      await zz.api("/api/users/login-throttle/clear", { method: "POST", json: { address: address } });
      zz.toast("已解除地址 " + address + " 的登录限制", "success");
    } catch (err) {
      zz.toast(zz.errorText(err), "danger");
    }
    await loadThrottle();
  }

  /** The dialog's note under the password (made here: the page's template has no place for it). */
  function passwordNote() {
    let note = $("ac-password-note");
    if (!note) {
      note = document.createElement("p");
      note.id = "ac-password-note";
      note.className = "small text-danger mb-2";
      $("ac-password").after(note);
    }
    return note;
  }

  function showPassword(answer, title) {
    $("ac-password-title").textContent = title;
    $("ac-password-for").textContent = answer.account.display_name + "（" + answer.account.username + "）";
    $("ac-password").textContent = answer.password;
    const note = passwordNote();
    note.textContent = answer.unmask_withdrawn || "";
    note.hidden = !answer.unmask_withdrawn;
    $("ac-password-dialog").showModal();
  }

  async function resetPassword(a) {
    const held = a.can_unmask || a.unmask_void;
    const asked =
      "重设账号 " + a.username + " 的密码？该账号已有的登录将随即失效。" +
      (held ? "\n其查看个人信息明文的权限将一并收回，如仍需要，须在本人修改密码后重新授予。" : "");
    if (!window.confirm(asked)) return;
    try {
      const answer = await zz.api("/api/users/" + a.id + "/password", { method: "POST" });
      showPassword(answer, "新密码");
      await load();
    } catch (err) {
      zz.toast(zz.errorText(err), "danger");
    }
  }

  async function setActive(a, active) {
    if (!active && !window.confirm("停用账号 " + a.username + "？该账号已有的登录将随即失效。")) return;
    await act(a, "/active", { active: active }, active ? "已启用" : "已停用");
  }

  async function act(a, path, body, said) {
    try {
      await zz.api("/api/users/" + a.id + path, { method: "POST", json: body || undefined });
      zz.toast(said + "：" + a.username, "success");
      await load();
    } catch (err) {
      zz.toast(zz.errorText(err), "danger");
    }
  }

  let workerSearch = 0; // the latest search: an older answer arriving late is dropped

  async function findWorkers() {
    const asked = ++workerSearch;
    const words = $("ac-worker-search").value.trim();
    const scope = $("ac-scope").value.trim(); // the scope typed: only workers of its villages
    const found = await zz.api(
      "/api/users/workers?limit=50&q=" + encodeURIComponent(words) + "&scope=" + encodeURIComponent(scope)
    );
    if (asked !== workerSearch) return;
    const list = $("ac-worker");
    list.textContent = "";
    if (editing && editing.worker_name) {
      list.appendChild(new Option("当前：" + editing.worker_name, "", true, true));
    }
    found.forEach(function (w) {
      const option = new Option(w.name + " · " + w.village_name + (w.home_grid ? " · " + (w.grid_name || "网格 " + w.home_grid) : ""), w.id);
      option.title = w.village_name + "（" + w.village_code + "）";
      option.dataset.area = w.village_code;
      option.dataset.name = w.name;
      list.appendChild(option);
    });
    if (!list.options.length) {
      const none = words ? "没有找到" : scope ? "管辖范围 " + scope + " 内没有尚无账号的在册网格员" : "本辖区没有尚无账号的在册网格员";
      list.appendChild(new Option(none, "", false, false));
    }
  }

  function showWorkerField() {
    const shown = $("ac-role").value === "grid_worker";
    $("ac-worker-field").hidden = !shown;
    if (shown) findWorkers().catch((err) => formError(zz.errorText(err)));
  }

  function pickWorker() {
    const option = $("ac-worker").selectedOptions[0];
    if (!option || !option.value) return;
    $("ac-scope").value = option.dataset.area; // the village of the worker's home grid
    if (!$("ac-display-name").value.trim()) $("ac-display-name").value = option.dataset.name;
  }

  function batchError(text) {
    $("ac-batch-error").textContent = text;
    $("ac-batch-error").classList.toggle("d-none", !text);
  }

  function openBatch() {
    $("ac-batch-form").reset();
    $("ac-batch-plan").textContent = "";
    $("ac-batch-open").disabled = true;
    batchError("");
    $("ac-batch-dialog").showModal();
  }

  async function previewBatch(event) {
    event.preventDefault();
    batchError("");
    $("ac-batch-open").disabled = true;
    try {
      const plan = await zz.api("/api/users/worker-accounts/plan", { method: "POST", json: { scope: $("ac-batch-scope").value.trim() } });
      const said = $("ac-batch-plan");
      said.textContent = plan.unit_name + "：将为 " + plan.opening + " 名网格员开通账号" + (plan.skipped.length ? "；" + plan.skipped.length + " 名无法开通：" : "。");
      const list = document.createElement("ul");
      list.className = "mb-0";
      plan.skipped.slice(0, 20).forEach(function (w) {
        const item = document.createElement("li");
        item.textContent = w.name + "（" + w.area_name + "）：" + w.reason;
        list.appendChild(item);
      });
      if (plan.skipped.length > 20) list.appendChild(document.createElement("li")).textContent = "……另 " + (plan.skipped.length - 20) + " 名见下载的表";
      said.appendChild(list);
      $("ac-batch-open").disabled = plan.opening === 0;
    } catch (err) {
      batchError(zz.errorText(err));
    }
  }

  async function openAccounts() {
    const button = $("ac-batch-open");
    button.disabled = true;
    button.textContent = "正在开通……";
    batchError("");
    try {
      const response = await fetch("/api/users/worker-accounts", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ scope: $("ac-batch-scope").value.trim() }),
      });
      if (!response.ok) throw new zz.ApiError(response.status, await response.json().catch(() => null));
      const named = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = named ? decodeURIComponent(named[1]) : "网格员账号.xlsx";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      $("ac-batch-dialog").close();
      zz.toast("已开通 " + response.headers.get("X-Accounts-Opened") + " 个网格员账号，初始密码表已下载（只此一份）", "success");
      await load();
    } catch (err) {
      batchError(zz.errorText(err));
    } finally {
      button.textContent = "开通并下载初始密码表";
    }
  }

  function formError(text) {
    $("ac-form-error").textContent = text;
    $("ac-form-error").classList.toggle("d-none", !text);
  }

  function openForm(a) {
    editing = a || null;
    $("ac-form").reset();
    formError("");
    $("ac-form-title").textContent = a ? "调岗：" + a.username : "新建账号";
    $("ac-username-field").hidden = !!a;
    $("ac-unmask-field").hidden = !!a;
    $("ac-unmask-reason").hidden = !$("ac-unmask").checked;
    $("ac-form-hint").textContent = a
      ? "新岗位不能保留的查看明文权限一并收回；已登录的在下一次操作时即按新岗位。"
      : "密码由平台生成，只显示一次；本人首次登录须修改。";
    if (a) {
      $("ac-display-name").value = a.display_name;
      $("ac-role").value = a.role;
      $("ac-scope").value = a.scope_code;
    }
    $("ac-worker-search").value = "";
    showWorkerField();
    $("ac-form-dialog").showModal();
  }

  async function submitForm(event) {
    event.preventDefault();
    const submit = $("ac-form-submit");
    submit.disabled = true;
    formError("");
    try {
      if (editing) {
        const changes = {};
        const name = $("ac-display-name").value.trim();
        if (name !== editing.display_name) changes.display_name = name;
        if ($("ac-role").value !== editing.role) changes.role = $("ac-role").value;
        if ($("ac-scope").value.trim() !== editing.scope_code) changes.scope = $("ac-scope").value.trim();
        if ($("ac-worker").value && $("ac-role").value === "grid_worker") changes.worker_id = Number($("ac-worker").value);
        const answer = await zz.api("/api/users/" + editing.id, { method: "PATCH", json: changes });
        $("ac-form-dialog").close();
        zz.toast(answer.changed.length ? "已调整账号 " + editing.username : "账号本来就是这样，未作改动", "success");
        if (answer.unmask_refusal) zz.toast("已收回其查看个人信息明文的权限：" + answer.unmask_refusal, "info");
      } else {
        const answer = await zz.api("/api/users", {
          method: "POST",
          json: {
            username: $("ac-username").value.trim(),
            display_name: $("ac-display-name").value.trim(),
            role: $("ac-role").value,
            scope: $("ac-scope").value.trim(),
            can_unmask: $("ac-unmask").checked,
            unmask_reason: $("ac-unmask").checked ? $("ac-unmask-reason").value.trim() || null : null,
            worker_id: $("ac-role").value === "grid_worker" && $("ac-worker").value ? Number($("ac-worker").value) : null,
          },
        });
        $("ac-form-dialog").close();
        showPassword(answer, "初始密码");
      }
      await load();
    } catch (err) {
      formError(zz.errorText(err));
    } finally {
      submit.disabled = false;
    }
  }

  const SERVER_ROLES = ["admin", "auditor"]; // given on the server only (三员分立)
  Object.entries(zz.tables.role || {}).forEach(([code, text]) => {
    if (SERVER_ROLES.includes(code)) return;
    const option = document.createElement("option");
    option.value = code;
    option.textContent = text;
    $("ac-role").appendChild(option);
  });
  $("ac-new").addEventListener("click", () => openForm(null));
  $("ac-batch").addEventListener("click", openBatch);
  $("ac-batch-form").addEventListener("submit", previewBatch);
  $("ac-batch-open").addEventListener("click", openAccounts);
  $("ac-batch-cancel").addEventListener("click", () => $("ac-batch-dialog").close());
  $("ac-role").addEventListener("change", showWorkerField);
  $("ac-unmask").addEventListener("change", () => ($("ac-unmask-reason").hidden = !$("ac-unmask").checked));
  $("ac-worker").addEventListener("change", pickWorker);
  let searchTimer = null;
  function searchSoon() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => findWorkers().catch((err) => formError(zz.errorText(err))), 250);
  }
  $("ac-worker-search").addEventListener("input", searchSoon);
  $("ac-scope").addEventListener("input", function () {
    if (!$("ac-worker-field").hidden) searchSoon(); // the list follows the scope typed
  });
  $("ac-form").addEventListener("submit", submitForm);
  $("ac-form-cancel").addEventListener("click", () => $("ac-form-dialog").close());
  $("ac-filter").addEventListener("input", render);
  $("ac-password-done").addEventListener("click", function () {
    $("ac-password").textContent = ""; // shown once: gone from the page when closed
    $("ac-password-dialog").close();
  });
  zz.me().then(
    function (m) {
      myId = m.id;
      load();
    },
    function () {}
  );
})();
