// 指挥调度's 交班 (trial AZ M8: the day shift could not see who holds what): the night shift's
// brief (18:00 to 08:00), a brief over any span the operator types, and 交班视图, the open cases
// one row a matter (a repeat told in its original's row), each with who holds it, since when,
// how it stands, the departments summoned or dispatched to and their answers
// (GET /api/command/{code}/handover). Labels in Chinese; no reporter's name or number is listed.
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const code = document.body.dataset.code;
  const spanLink = $("zz-brief-span-link");
  if (!code || !spanLink) return;
  const start = $("zz-brief-start");
  const end = $("zz-brief-end");
  const base = "/api/command/" + code + "/brief.xlsx";

  /** `2026-12-05T18:00`: a day from today (北京时间) at an hour, as datetime-local shows it. */
  function at(days, hour) {
    return zz.beijingDay(days) + "T" + String(hour).padStart(2, "0") + ":00";
  }

  // the span's fields start at last night's shift: yesterday 18:00 to today 08:00
  start.value = at(-1, 18);
  end.value = at(0, 8);

  /** The span's link follows its fields (times without a zone: 北京时间, as the API reads them). */
  function spanChanged() {
    const ok = start.value && end.value && end.value > start.value;
    spanLink.classList.toggle("disabled", !ok);
    spanLink.setAttribute("aria-disabled", String(!ok));
    spanLink.title = ok ? "" : "请填写开始和结束时间，结束须晚于开始";
    if (ok) spanLink.href = base + "?start=" + encodeURIComponent(start.value) + "&end=" + encodeURIComponent(end.value);
  }
  start.addEventListener("change", spanChanged);
  end.addEventListener("change", spanChanged);
  spanLink.addEventListener("click", function (e) {
    if (spanLink.classList.contains("disabled")) e.preventDefault();
  });
  spanChanged();

  const dialog = $("zz-handover");
  const open = $("zz-handover-open");
  if (!dialog || !open) return;
  let token = 0;

  zz.me().then(function (m) {
    // an analyst reads aggregates only: no list of cases
    if (m.role === "analyst") open.closest(".zz-handover-link").hidden = true;
  }, () => {});

  function cell(tr, text, html) {
    const td = document.createElement("td");
    if (html) td.innerHTML = html;
    else td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function row(c) {
    const tr = document.createElement("tr");
    tr.className = "zz-handover-case";
    tr.dataset.caseId = c.id;
    const risk = cell(tr, "");
    const badge = document.createElement("span");
    badge.className = "zz-risk";
    badge.textContent = c.risk_label.replace(/（.*）/, "");
    badge.style.background = zz.riskColor(c.risk_level);
    risk.appendChild(badge);
    cell(
      tr,
      "",
      '<a href="/cases/' + encodeURIComponent(c.id) + '">' + zz.esc(c.title) + "</a>" +
        '<div class="text-muted small">' + zz.esc(c.code) + " · " + zz.esc(c.area_name) + " · " + zz.esc(c.state_label) + "</div>"
    ).className = "zz-handover-title";
    cell(tr, c.holder).className = "zz-handover-holder";
    cell(tr, zz.fmtTime(c.since) || "—").className = "zz-handover-when";
    cell(
      tr,
      "",
      zz.esc(c.progress) + (c.change ? '<div class="text-muted small">' + zz.esc(c.change) + "</div>" : "")
    );
    cell(tr, "", c.departments.length ? c.departments.map(zz.esc).join("<br>") : "无").className = "zz-handover-departments";
    cell(tr, c.repeats || "—").className = "zz-handover-repeats";
    return tr;
  }

  async function load() {
    const mine = ++token;
    const body = $("zz-handover-body");
    const error = $("zz-handover-error");
    body.textContent = "";
    error.classList.add("d-none");
    $("zz-handover-summary").textContent = "正在加载…";
    let found;
    try {
      found = await zz.api("/api/command/" + code + "/handover?limit=200");
    } catch (e) {
      if (mine !== token) return;
      $("zz-handover-summary").textContent = "";
      error.textContent = "交班视图加载失败：" + zz.errorText(e);
      error.classList.remove("d-none");
      return;
    }
    if (mine !== token) return;
    found.rows.forEach((c) => body.appendChild(row(c)));
    const merged = found.matters !== found.open_cases ? "，合 " + found.matters + " 个事项（重复反映并入原案）" : "";
    $("zz-handover-summary").textContent = found.open_cases
      ? "截至 " + zz.fmtTime(found.generated_at) + " 在办 " + found.open_cases + " 件" + merged +
        "；风险最高的在前" + (found.capped ? "，只列出前 " + found.rows.length + " 项，全部见夜班简报的「交班在办案件」" : "")
      : "辖区内没有在办案件";
  }

  open.addEventListener("click", function (e) {
    e.preventDefault();
    if (!dialog.open) dialog.showModal();
    load();
  });
  $("zz-handover-close").addEventListener("click", () => dialog.close());
})();
