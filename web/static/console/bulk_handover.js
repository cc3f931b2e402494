// 批量交办 (trial AZ M9): on a storm night the county's hotline cases waited at the county until
// handed down one by one. Each queued case the workflow lets this level 交办 gets a box; the bar
// above the list says how many are picked and opens one form: 交办给 (按属地交办, each to the
// unit its place lies in, or one unit of the level below), one 交办意见, one 确定. POST
// /api/cases/hand-down checks each case as a single 交办 (layers/bulk_handover.py): the form
// then says 已交办 N 件 and lists each case not handed down with its reason.
// Two pages lend it their queue: the 调度台's 待派单 (dispatch.js, window.zzDispatchDesk) and
// 指挥调度's 本级待办 (command.js, window.zzCommandQueue): its cases, the rows shown that may
// be boxed, its units' names and its reload. The bar is put above the list, the boxes on the
// rows each time the queue is drawn.
"use strict";
(function () {
  const BAR = `
<div class="dz-bulk small px-2 pb-2" id="dz-bulk" hidden>
  <div class="d-flex align-items-center gap-2">
    <input class="form-check-input mt-0" type="checkbox" id="dz-bulk-all" aria-label="全选可交办的案件" title="全选可交办的案件">
    <span class="text-muted flex-grow-1" id="dz-bulk-count"></span>
    <button class="btn btn-sm btn-outline-primary py-0" id="dz-bulk-open" type="button" disabled>批量交办…</button>
  </div>
  <form class="dz-bulk-form mt-2" id="dz-bulk-form" hidden>
    <div class="fw-bold mb-1" id="dz-bulk-title"></div>
    <p class="mb-1">每件案件按单件交办的规则办理：不能交办的逐件说明原因，其余照常交办。</p>
    <label class="form-label mb-0" for="dz-bulk-unit">交办给</label>
    <select class="form-select form-select-sm" id="dz-bulk-unit"></select>
    <label class="form-label mb-0 mt-1" for="dz-bulk-note">交办意见（必填）</label>
    <textarea class="form-control form-control-sm" id="dz-bulk-note" rows="2" maxlength="2000" required placeholder="如：暴雨夜集中来电，请属地立即核查处置"></textarea>
    <div class="text-danger mt-1" id="dz-bulk-error" role="alert" hidden></div>
    <div class="d-flex gap-2 mt-2">
      <button class="btn btn-sm btn-primary" id="dz-bulk-submit" type="submit">确定交办</button>
      <button class="btn btn-sm btn-outline-secondary" id="dz-bulk-cancel" type="button">取消</button>
    </div>
  </form>
  <div class="alert py-1 px-2 mt-2 mb-0" id="dz-bulk-result" role="status" hidden>
    <div class="d-flex justify-content-between gap-2">
      <span id="dz-bulk-message"></span>
      <button class="btn-close btn-sm" id="dz-bulk-result-close" type="button" aria-label="关闭"></button>
    </div>
    <ul class="mb-0 ps-3" id="dz-bulk-refused" hidden></ul>
  </div>
</div>`;

  /** The host of the 调度台: its 待派单's list items. */
  function deskHost(desk) {
    return {
      level: desk.level,
      list: document.getElementById("dz-queue-list"),
      rows: () => (desk.filter() === "waiting" ? Array.from(document.querySelectorAll("#dz-queue-list .dz-case-item")) : []),
      place: (row, box) => row.prepend(box),
      cases: desk.cases,
      childNames: desk.childNames,
      reload: desk.reload,
      selected: desk.selected,
      refreshSelected: desk.refreshSelected,
    };
  }

  function attach(host) {
    const $ = (id) => document.getElementById(id);
    const picked = new Set();
    let sending = false;
    (host.anchor || host.list).insertAdjacentHTML("beforebegin", BAR);

    /** The cases of the queue's rows this level may 交办 now (those the host shows, boxable). */
    function pickable() {
      const shown = new Set(host.rows().map((row) => Number(row.dataset.caseId)));
      return new Map(
        host
          .cases()
          .filter((c) => shown.has(c.id) && c.handling_level === host.level && (c.allowed_actions || []).includes("hand_down"))
          .map((c) => [c.id, c])
      );
    }

    /** Box each row that may be handed down; forget picks no longer offered; redraw the bar. */
    function decorate() {
      const offered = pickable();
      Array.from(picked).forEach(function (id) {
        if (!offered.has(id)) picked.delete(id);
      });
      host.rows().forEach(function (li) {
        const c = offered.get(Number(li.dataset.caseId));
        if (!c || li.querySelector(".dz-bulk-pick")) return;
        const box = document.createElement("input");
        box.type = "checkbox";
        box.className = "form-check-input me-1 dz-bulk-pick";
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
        host.place(li, box);
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
      const below = zz.label("handling_level", host.level + 1);
      select.textContent = "";
      select.add(new Option("按属地交办（各案件交所在" + below + "单位）", ""));
      Array.from(host.childNames().entries())
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
      const cases = host.cases().filter((c) => picked.has(c.id)).map((c) => ({ id: c.id, version: c.version }));
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
      const selected = host.selected ? host.selected() : null;
      await host.reload();
      if (selected && outcome.handed_down.some((h) => h.case_id === selected.id)) await host.refreshSelected();
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
        host.rows().forEach(function (row) {
          const box = row.querySelector(".dz-bulk-pick");
          if (box) box.checked = picked.has(Number(row.dataset.caseId));
        });
        renderBar(offered);
      });
      // the queue is drawn anew on each live change, tab and reload: its rows boxed each time
      new MutationObserver(decorate).observe(host.list, { childList: true });
      decorate();
    }

    init();
  }

  window.zzBulkHandover = attach;
  if (window.zzDispatchDesk) attach(deskHost(window.zzDispatchDesk));
  if (window.zzCommandQueue) attach(window.zzCommandQueue);
})();
