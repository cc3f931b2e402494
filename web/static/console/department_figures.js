// 指挥调度's 部门考核 (trial BA S1: the county could not rate the departments it sends 12345 orders
// to): a link under 导出简报 opens a table, one row a 承办部门 (and county), of the dispatches it
// received in a month and what became of them — 收到, 受理, 按时受理, 办结, 按时办结, 超期, 退回,
// 申请延期, 延期获批, 回访, 满意, 不满意, 满意率 (GET /api/figures/departments). The month's brief
// (月总结) holds the same figures on its sheet 部门办理情况. Labels in Chinese.
(function () {
  "use strict";

  const code = document.body.dataset.code;
  const briefs = document.getElementById("zz-briefs");
  if (!code || !briefs) return;

  const line = document.createElement("div");
  line.className = "zz-dept-figures-link";
  line.innerHTML = '部门考核：<a href="#" id="zz-dept-figures-open" role="button">各承办部门办理情况</a>';
  briefs.appendChild(line);

  const dialog = document.createElement("dialog");
  dialog.className = "zz-dialog zz-handover";
  dialog.id = "zz-dept-figures";
  dialog.setAttribute("aria-labelledby", "zz-dept-figures-title");
  dialog.innerHTML =
    '<div class="d-flex align-items-start gap-2">' +
    '<h2 class="h6 flex-grow-1" id="zz-dept-figures-title">部门考核：各承办部门办理情况</h2>' +
    '<button type="button" class="btn-close" id="zz-dept-figures-close" aria-label="关闭"></button></div>' +
    '<div class="d-flex align-items-center gap-2 small mb-2">月份 ' +
    '<input type="month" class="form-control form-control-sm w-auto" id="zz-dept-figures-month" aria-label="统计月份">' +
    '<a id="zz-dept-figures-brief" download>下载该月月总结（含「部门办理情况」）</a></div>' +
    '<div class="small text-secondary mb-2" id="zz-dept-figures-summary"></div>' +
    '<div class="alert alert-danger py-1 px-2 small d-none" id="zz-dept-figures-error" role="alert"></div>' +
    '<div class="zz-handover-table"><table class="table table-sm zz-queue">' +
    '<thead><tr id="zz-dept-figures-head"></tr></thead><tbody id="zz-dept-figures-body"></tbody></table></div>' +
    '<div class="small text-secondary" id="zz-dept-figures-note"></div>';
  document.body.appendChild(dialog);

  const $ = (id) => document.getElementById(id);
  const month = $("zz-dept-figures-month");
  month.value = zz.beijingDay(0).slice(0, 7);
  month.max = month.value;
  let token = 0;

  /** A cell as the page shows it: 满意率 as a percentage, none as 「无」. */
  function shown(key, value) {
    if (key === "satisfied_share") return value === null ? "无" : (value * 100).toFixed(1) + "%";
    return value === null || value === undefined ? "" : String(value);
  }

  function row(columns, r, total) {
    const tr = document.createElement("tr");
    tr.className = total ? "zz-dept-figures-total fw-bold" : "zz-dept-figures-row";
    columns.forEach(function (c) {
      const td = document.createElement("td");
      td.dataset.key = c.key;
      td.textContent = shown(c.key, r[c.key]);
      tr.appendChild(td);
    });
    return tr;
  }

  async function load() {
    const mine = ++token;
    const day = (month.value || zz.beijingDay(0).slice(0, 7)) + "-01";
    $("zz-dept-figures-brief").href = "/api/command/" + code + "/brief.xlsx?period=month&date=" + day;
    const body = $("zz-dept-figures-body");
    const error = $("zz-dept-figures-error");
    body.textContent = "";
    error.classList.add("d-none");
    $("zz-dept-figures-summary").textContent = "正在加载…";
    let found;
    try {
      found = await zz.api("/api/figures/departments?unit=" + code + "&period=month&date=" + day);
    } catch (e) {
      if (mine !== token) return;
      $("zz-dept-figures-summary").textContent = "";
      error.textContent = "部门考核加载失败：" + zz.errorText(e);
      error.classList.remove("d-none");
      return;
    }
    if (mine !== token) return;
    const head = $("zz-dept-figures-head");
    head.textContent = "";
    found.columns.forEach(function (c) {
      const th = document.createElement("th");
      th.textContent = c.label;
      head.appendChild(th);
    });
    found.rows.forEach((r) => body.appendChild(row(found.columns, r, false)));
    if (found.rows.length) body.appendChild(row(found.columns, found.total, true));
    $("zz-dept-figures-summary").textContent =
      "统计时段 " + found.window.text + "：" +
      (found.rows.length ? found.rows.length + " 个承办部门，收到派单 " + found.total.received + " 件" : "统计时段内无派往职能部门的案件");
    $("zz-dept-figures-note").textContent = "说明：" + found.note;
  }

  month.addEventListener("change", load);
  $("zz-dept-figures-open").addEventListener("click", function (e) {
    e.preventDefault();
    if (!dialog.open) dialog.showModal();
    load();
  });
  $("zz-dept-figures-close").addEventListener("click", () => dialog.close());
})();
