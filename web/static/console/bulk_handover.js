// 批量交办 on the 调度台 (trial AZ M9): on a storm night the county's hotline cases waited at the
// county until handed down one by one. Under 待派单 each case the workflow lets this level 交办
// gets a box; the bar above the list says how many are picked and opens one form: 交办给 (按属地
// 交办, each to the unit its place lies in, or one unit of the level below), one 交办意见, one
// 确定. POST /api/cases/hand-down checks each case as a single 交办 (layers/bulk_handover.py):
// the form then says 已交办 N 件 and lists each case not handed down with its reason.
// The desk (dispatch.js) lends its cases, its tab, its units' names and its reloads through
// window.zzDispatchDesk; the boxes are put on the rows each time the queue is drawn.
"use strict";
(function () {
  const desk = window.zzDispatchDesk;
  if (!desk) return;
  const $ = (id) => document.getElementById(id);
  const picked = new Set();
  let sending = false;

  /** The cases of the queue's rows this level may 交办 now (under 待派单 only). */
  function pickable() {
    if (desk.filter() !== "waiting") return new Map();
    const shown = new Set(
      Array.from(document.querySelectorAll("#dz-queue-list .dz-case-item")).map((li) => Number(li.dataset.caseId))
    );
    return new Map(
      desk
        .cases()
        .filter((c) => shown.has(c.id) && c.handling_level === desk.level && c.allowed_actions.includes("hand_down"))
        .map((c) => [c.id, c])
    );
  }

  /** Box each row that may be handed down; forget picks no longer offered; redraw the bar. */
  function decorate() {
    const offered = pickable();
    Array.from(picked).forEach(function (id) {
      if (!offered.has(id)) picked.delete(id);
    });
    document.querySelectorAll("#dz-queue-list .dz-case-item").forEach(function (li) {
      const c = offered.get(Number(li.dataset.caseId));
      if (!c || li.querySelector(".dz-bulk-pick")) return;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input dz-bulk-pick";
      box.checked = picked.has(c.id);
      box.setAttribute("aria-label", "选择“" + c.title + "”批量交办");
      box.title = "勾选后可批量交办";
      box.addEventListener("click", (event) => event.stopPropagation()); // not the row's selection
      box.addEventListener("change", function () {
        if (box.checked) picked.add(c.id);
        else picked.delete(c.id);
        renderBar(offered);
      });
      li.classList.add("dz-pickable");
      li.prepend(box);
    });
    renderBar(offered);
  }

  function renderBar(offered) {
    const bar = $("dz-bulk");
    bar.hidden = offered.size === 0 && $("dz-bulk-form").hidden && $("dz-bulk-result").hidden;
    const n = picked.size;
    $("dz-bulk-count").textContent = n ? "已选 " + n + " 件" : "可勾选多件案件一并交办";
    $("dz-bulk-open").disabled = n === 0;
    const all = $("dz-bulk-all");
    all.checked = offered.size > 0 && n === offered.size;
    all.indeterminate = n > 0 && n < offered.size;
    all.disabled = offered.size === 0;
    if (!$("dz-bulk-form").hidden) {
      $("dz-bulk-title").textContent = "批量交办 " + n + " 件";
      $("dz-bulk-submit").textContent = "确定交办 " + n + " 件";
      $("dz-bulk-submit").disabled = sending || n === 0;
    }
  }

  /** 交办给: 按属地交办, or one unit of the level below (the desk's children by name). */
  function fillUnits() {
    const select = $("dz-bulk-unit");
    const below = zz.label("handling_level", desk.level + 1);
    select.textContent = "";
    select.add(new Option("按属地交办（各案件交所在" + below + "单位）", ""));
    Array.from(desk.childNames().entries())
      .filter(([unit]) => unit.length === 12)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .forEach(([unit, name]) => select.add(new Option(name, unit)));
  }

  function openForm() {
    if (!picked.size) return;
    fillUnits();
    $("dz-bulk-note").value = "";
    $("dz-bulk-error").hidden = true;
    $("dz-bulk-result").hidden = true;
    $("dz-bulk-form").hidden = false;
    renderBar(pickable());
    $("dz-bulk-note").focus();
  }

  function closeForm() {
    $("dz-bulk-form").hidden = true;
    renderBar(pickable());
  }

  function showResult(outcome) {
    const box = $("dz-bulk-result");
    box.className = "alert py-1 px-2 mt-2 mb-0 " + (outcome.refused.length ? "alert-warning" : "alert-success");
    $("dz-bulk-message").textContent = outcome.refused.length
      ? "已交办 " + outcome.handed_down.length + " 件，" + outcome.refused.length + " 件未交办："
      : outcome.message;
    const list = $("dz-bulk-refused");
    list.textContent = "";
    outcome.refused.forEach(function (r) {
      const li = document.createElement("li");
      li.className = "dz-bulk-refusal";
      li.textContent = (r.code ? r.code + "「" + r.title + "」" : "案件（编号 " + r.case_id + "）") + "：" + r.reason;
      list.appendChild(li);
    });
    list.hidden = outcome.refused.length === 0;
    box.hidden = false;
  }

  async function submit(event) {
    event.preventDefault();
    const cases = desk.cases().filter((c) => picked.has(c.id)).map((c) => ({ id: c.id, version: c.version }));
    if (!cases.length || sending) return;
    sending = true;
    renderBar(pickable());
    let outcome;
    try {
      outcome = await zz.api("/api/cases/hand-down", {
        method: "POST",
        json: { cases: cases, note: $("dz-bulk-note").value.trim() || null, unit_code: $("dz-bulk-unit").value || null },
      });
    } catch (error) {
      sending = false;
      $("dz-bulk-error").textContent = zz.errorText(error);
      $("dz-bulk-error").hidden = false;
      renderBar(pickable());
      return;
    }
    sending = false;
    picked.clear();
    $("dz-bulk-form").hidden = true;
    showResult(outcome);
    zz.toast(outcome.message, outcome.refused.length ? "info" : "success");
    const selected = desk.selected();
    await desk.reload();
    if (selected && outcome.handed_down.some((h) => h.case_id === selected.id)) await desk.refreshSelected();
  }

  function init() {
    $("dz-bulk-open").addEventListener("click", openForm);
    $("dz-bulk-cancel").addEventListener("click", closeForm);
    $("dz-bulk-form").addEventListener("submit", submit);
    $("dz-bulk-result-close").addEventListener("click", function () {
      $("dz-bulk-result").hidden = true;
      renderBar(pickable());
    });
    $("dz-bulk-all").addEventListener("change", function () {
      const offered = pickable();
      if ($("dz-bulk-all").checked) offered.forEach((c, id) => picked.add(id));
      else picked.clear();
      document.querySelectorAll("#dz-queue-list .dz-bulk-pick").forEach(function (box) {
        box.checked = picked.has(Number(box.closest(".dz-case-item").dataset.caseId));
      });
      renderBar(offered);
    });
    // the queue is drawn anew on each live change, tab and reload: its rows boxed each time
    new MutationObserver(decorate).observe($("dz-queue-list"), { childList: true });
    decorate();
  }

  init();
})();
