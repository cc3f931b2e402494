// 审计日志 (/audit), for the security auditor: the entries of /api/audit newest first, filtered
// by action, account, object and date range, a page at a time, and the state of the hash chain
// (/api/audit/verify). A resident ID finds the person records to filter by (POST
// /api/audit/person-lookup, the search audited): every entry about the record, the other
// filters cleared, as the line over the entries says (#az-shown). An entry's action, object,
// outcome and reason are the API's texts as they come (layers/audit_wording.py makes them, the
// export's rows too): a person masked, never clear data; an account its login name, post and
// scope; a case its code; an import its file. This page adds only the time, links and layout. 导出
// downloads every entry the filter shows (/api/audit/export, XLSX or CSV, audited by the API).
// Another role gets the API's 403 in Chinese and no entry, no filter, no look-up, no export.
"use strict";
(function () {
  const labels = JSON.parse(document.getElementById("az-labels").textContent);
  const $ = (id) => document.getElementById(id);
  const st = (window.zzAudit = { offset: 0, matched: 0, filters: {} });

  function option(value, text) {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function fillChoices() {
    Object.entries(labels.action).forEach(([code, text]) => $("az-action").appendChild(option(code, text)));
    Object.entries(labels.object).forEach(([code, text]) => $("az-object-type").appendChild(option(code, text)));
  }

  function readFilters() {
    const value = (id) => $(id).value.trim();
    return {
      action: value("az-action"),
      actor: value("az-actor"),
      object_type: value("az-object-type"),
      object_id: value("az-object-id"),
      since: zz.dayStart(value("az-since")),
      until: zz.dayStart(value("az-until"), 1), // the end date is included
    };
  }

  /** What the entries shown are, in words, from the filter form as applied (#az-shown). */
  function describe(note) {
    const value = (id) => $(id).value.trim();
    const parts = [];
    if (value("az-action")) parts.push("操作为“" + (labels.action[value("az-action")] || value("az-action")) + "”");
    if (value("az-actor")) parts.push("账号为 " + value("az-actor"));
    if (note && note.object) {
      parts.push("对象为" + note.object);
    } else if (value("az-object-type") || value("az-object-id")) {
      const kind = labels.object[value("az-object-type")] || "任意对象";
      parts.push("对象为" + kind + (value("az-object-id") ? " 编号 " + value("az-object-id") : ""));
    }
    const since = value("az-since");
    const until = value("az-until");
    if (since && until) parts.push("日期 " + since + " 至 " + until);
    else if (since) parts.push(since + " 起");
    else if (until) parts.push(until + " 及以前");
    const said = parts.join("，");
    const what = parts.length ? "显示" + said + (/[0-9A-Za-z]$/.test(said) ? " 的记录" : "的记录") : "显示全部记录";
    return what + (note && note.why ? "（" + note.why + "）" : "");
  }

  function pageSize() {
    return Number($("az-page-size").value);
  }

  function query() {
    const params = new URLSearchParams({ limit: String(pageSize()), offset: String(st.offset) });
    Object.entries(st.filters).forEach(([name, value]) => value && params.set(name, value));
    return "/api/audit?" + params.toString();
  }

  // ---- one entry: the API's texts (layers/audit_wording.py, the export's too), links -------

  const cell = zz.cell;

  /** A small link in the object's cell: the entries about this object only. */
  function onlyThisObject(td, e) {
    if (!e.object_type || !e.object_id) return;
    const link = document.createElement("a");
    link.href = "#";
    link.className = "az-only ms-1";
    link.textContent = "只看此对象";
    link.addEventListener("click", function (event) {
      event.preventDefault();
      $("az-object-type").value = e.object_type;
      $("az-object-id").value = e.object_id;
      apply();
    });
    td.appendChild(link);
  }

  /** Actions the auditor should look at first, shown flagged (预警): an account that probed
   *  IDs of other townships (layers/cross_scope.py PROBES_ACTION, trial AW M7). */
  const FLAGGED = new Set(["person.id_probes"]);

  function row(e) {
    const tr = document.createElement("tr");
    tr.dataset.id = e.id;
    tr.dataset.outcome = e.outcome;
    cell(tr, "az-time", zz.fmtTime(e.at, true));
    cell(tr, "az-actor", e.actor_name);
    const action = cell(tr, "az-action", e.texts.action);
    if (FLAGGED.has(e.action)) {
      tr.classList.add("table-danger", "az-flagged");
      const mark = document.createElement("span");
      mark.className = "badge text-bg-danger me-1";
      mark.textContent = "预警";
      action.prepend(mark);
    }
    const object = cell(tr, "az-object", e.texts.object);
    cell(tr, "az-outcome", e.texts.outcome);
    cell(tr, "az-reason", e.texts.reason);
    onlyThisObject(object, e);
    return tr;
  }

  // ---- loading -------------------------------------------------------------------------------

  function renderPage(page) {
    const tbody = $("az-entries").querySelector("tbody");
    tbody.textContent = "";
    page.entries.forEach((e) => tbody.appendChild(row(e)));
    st.matched = page.matched;
    const pages = Math.max(1, Math.ceil(page.matched / pageSize()));
    const current = Math.floor(st.offset / pageSize()) + 1;
    $("az-empty").hidden = page.entries.length > 0;
    $("az-matched").textContent = "共 " + page.matched + " 条";
    $("az-page").textContent = "第 " + current + " / " + pages + " 页";
    $("az-prev").disabled = st.offset === 0;
    $("az-next").disabled = st.offset + pageSize() >= page.matched;
  }

  function refuse(error) {
    $("az-entries").querySelector("tbody").textContent = "";
    if (error instanceof zz.ApiError && error.status === 403) {
      // not an auditor (三员分立: an administrator neither): nothing to filter, look up or export
      ["az-filters", "az-lookup", "az-results", "az-chain"].forEach((id) => ($(id).hidden = true));
    }
    $("az-error").textContent = "无法查看审计日志：" + zz.errorText(error);
    $("az-error").hidden = false;
  }

  async function load() {
    const token = (st.token = (st.token || 0) + 1);
    try {
      const page = await zz.api(query());
      if (token !== st.token) return; // a newer query was sent meanwhile
      renderPage(page);
      $("az-error").hidden = true;
    } catch (error) {
      if (token === st.token) refuse(error);
    }
  }

  async function checkChain() {
    const badge = $("az-chain");
    try {
      const check = await zz.api("/api/audit/verify");
      badge.dataset.state = check.intact ? "intact" : "broken";
      badge.textContent = check.intact
        ? "审计日志完整（哈希链校验通过）"
        : "审计日志被篡改：自第 " + check.first_bad_id + " 条记录起哈希链不符";
    } catch (error) {
      badge.hidden = true;
    }
  }

  /**
   * Show every entry about one person record a resident ID found: the filters that would hide
   * some (action, account, dates) are cleared, and the line over the entries says so.
   */
  function onlyPerson(id, text) {
    ["az-action", "az-actor", "az-since", "az-until"].forEach((field) => ($(field).value = ""));
    $("az-object-type").value = "person";
    $("az-object-id").value = id;
    apply(null, {
      object: (text || "特殊人群人员") + " · 编号 " + id,
      why: "按身份证号查找：该人员记录的全部操作，其他筛选条件已清除",
    });
  }

  /** The person records of a resident ID (POST: never in a URL), the search audited by the API. */
  async function lookup(event) {
    event.preventDefault();
    const box = $("az-lookup-result");
    box.textContent = "";
    try {
      const found = await zz.api("/api/audit/person-lookup", {
        method: "POST",
        json: { resident_id: $("az-resident-id").value },
      });
      $("az-resident-id").value = ""; // not left on the screen
      if (!found.length) {
        box.textContent = "本辖区没有该身份证号的人员记录。";
        return;
      }
      box.appendChild(document.createTextNode("找到 " + found.length + " 条人员记录："));
      found.forEach((p) => {
        const link = document.createElement("a");
        link.href = "#";
        link.className = "az-found ms-2";
        link.textContent = p.text + " · 编号 " + p.id;
        link.addEventListener("click", (e) => {
          e.preventDefault();
          onlyPerson(p.id, p.text);
        });
        box.appendChild(link);
        // a roster's person has no entry of their own: the import that wrote them is named
        if (p.origin) box.appendChild(document.createTextNode("（来自" + p.origin + "）"));
      });
      if (found.length === 1) onlyPerson(found[0].id, found[0].text);
    } catch (error) {
      box.textContent = zz.errorText(error);
    }
  }

  // ---- 导出: every entry the filter shows (all pages), as the API writes it; audited there ----

  /** Download the entries of the filter as applied (XLSX, or CSV in UTF-8 with BOM). */
  async function exportEntries(format) {
    const params = new URLSearchParams({ format: format });
    Object.entries(st.filters).forEach(([name, value]) => value && params.set(name, value));
    const buttons = [$("az-export-xlsx"), $("az-export-csv")];
    buttons.forEach((b) => (b.disabled = true));
    $("az-export-note").textContent = "正在导出……";
    try {
      const response = await fetch("/api/audit/export?" + params.toString(), { credentials: "same-origin" });
      if (!response.ok) throw new zz.ApiError(response.status, await response.json().catch(() => null));
      const named = /filename\*=UTF-8''([^;]+)/.exec(response.headers.get("Content-Disposition") || "");
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = named ? decodeURIComponent(named[1]) : "审计日志." + format;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      $("az-export-note").textContent = "已导出 " + link.download + "（本次导出已记入审计日志）";
    } catch (error) {
      $("az-export-note").textContent = "导出失败：" + zz.errorText(error);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  function apply(event, note) {
    if (event) event.preventDefault();
    st.filters = readFilters();
    st.offset = 0;
    $("az-shown").textContent = describe(note);
    load();
  }

  function init() {
    fillChoices();
    $("az-filters").addEventListener("submit", apply);
    $("az-lookup").addEventListener("submit", lookup);
    $("az-page-size").addEventListener("change", apply);
    $("az-reset").addEventListener("click", function () {
      $("az-filters").reset();
      apply();
    });
    $("az-prev").addEventListener("click", function () {
      st.offset = Math.max(0, st.offset - pageSize());
      load();
    });
    $("az-export-xlsx").addEventListener("click", () => exportEntries("xlsx"));
    $("az-export-csv").addEventListener("click", () => exportEntries("csv"));
    $("az-next").addEventListener("click", function () {
      st.offset += pageSize();
      load();
    });
    st.filters = readFilters();
    $("az-shown").textContent = describe();
    load();
    checkChain();
  }

  init();
})();
