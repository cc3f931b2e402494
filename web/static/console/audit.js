// 审计日志 (/audit), for the security auditor: the entries of /api/audit newest first, filtered
// by action, account, object and date range, a page at a time, and the state of the hash chain
// (/api/audit/verify). A resident ID finds the person records to filter by (POST
// /api/audit/person-lookup, the search audited): every entry about the record, the other
// filters cleared, as the line over the entries says (#az-shown). An entry about a person
// shows the masked label the API gives, never clear data; an entry about an account its login
// name, post and scope (account_label); a case its code (case_label), an import its file. 导出
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

  // ---- one entry in Chinese ------------------------------------------------------------------

  function actionText(e) {
    if (e.action === "layer.read" && e.detail && e.detail.collection && e.detail.collection !== "persons") {
      return "查看图层（" + (labels.layer[e.detail.collection] || e.detail.collection) + "）";
    }
    return labels.action[e.action] || e.action;
  }

  /** A person as the auditor may know them: masked name, category, and whether the record was erased. */
  function personText(label) {
    const imported = label.import_id ? "，由导入批次 " + label.import_id + " 写入" : "";
    return label.name_masked + "（" + label.category_label + (label.erased ? "，记录已删除" : "") + imported + "）";
  }

  /** An account as the server names it now: 账号 analyst.530424（澜沧县研判分析员）. */
  function accountText(label) {
    const post = label.scope_name ? label.scope_name + label.role_label : label.role_label + "，辖区 " + label.scope_code;
    return "账号 " + label.username + "（" + post + "）";
  }

  function objectText(e) {
    if (!e.object_type) return "—";
    if (e.object_type === "layer") return "图层：" + (labels.layer[e.object_id] || e.object_id);
    const kind = labels.object[e.object_type] || e.object_type;
    const number = e.object_id ? "编号 " + e.object_id : "";
    if (e.object_label) {
      return personText(e.object_label) + " · " + number;
    }
    if (e.account_label) {
      return accountText(e.account_label) + " · " + number;
    }
    // a case by its code, not its internal id (trial AO m1); whose report was read, masked
    if (e.case_label) {
      const reporter = e.action === "case.reporter.unmask" && e.case_label.reporter_masked;
      return "案件 " + e.case_label.code + (reporter ? "（反映人 " + e.case_label.reporter_masked + "）" : "");
    }
    if (e.import_label) {
      const i = e.import_label;
      return "导入批次 " + e.object_id + "（" + (labels.kind[i.kind] || i.kind) + "，" + i.file_name + "，" + i.day + "）";
    }
    if (e.object_type === "address" && e.object_id) return "登录地址 " + e.object_id;
    return [kind, number].filter(Boolean).join(" · ");
  }

  /** An English refusal written by the platform in Chinese; "Forbidden: 您无权…" without its class. */
  function refusalText(text) {
    if (!text) return "";
    return labels.refusal[text] || text.replace(/^[A-Za-z]+: /, "");
  }

  function outcomeText(e) {
    const outcome = labels.outcome[e.outcome] || e.outcome;
    const why = e.detail && e.detail.refused ? refusalText(e.detail.refused) : "";
    return why ? outcome + "（" + why + "）" : outcome;
  }

  function reasonText(e) {
    if (e.action === "layer.read" && e.detail && e.detail.returned !== undefined) {
      const where = e.detail.view === "visits" ? "走访名单：" : "";
      return where + "返回 " + e.detail.returned + " 条（共 " + e.detail.matched + " 条）";
    }
    if (e.action === "layer.read" && e.detail && e.detail.zoom !== undefined && e.detail.bbox) {
      // an area of the map's tiles of individual points (api/tile_reads.py)
      const b = e.detail.bbox.map((v) => v.toFixed(4));
      return "地图第 " + e.detail.zoom + " 级，经度 " + b[0] + "–" + b[2] + "，纬度 " + b[1] + "–" + b[3];
    }
    return refusalText(e.reason) || detailText(e) || "—";
  }

  /** What an import, a registration or a visit recorded says of itself (never a person's data). */
  function detailText(e) {
    const d = e.detail || {};
    if (e.action.startsWith("import.") && d.file) {
      const parts = [(labels.kind[d.kind] || d.kind || "") + "文件 " + d.file + (d.dry_run ? "（试运行）" : "")];
      if (d.rows_total !== undefined) {
        parts.push("共 " + d.rows_total + " 行，导入 " + d.rows_loaded + " 行，退回 " + d.rows_rejected + " 行");
      }
      return parts.join("；");
    }
    if (e.action === "person.register" && d.category) {
      return "类别：" + (labels.category[d.category] || d.category) + "；所在辖区 " + (d.area_name ? d.area_name + "（" + d.area_code + "）" : d.area_code);
    }
    if (e.action === "visit.record" && d.visited_on) return "走访日期 " + d.visited_on;
    // a look-up by resident ID: how many records it found, never the ID (trial AE: 「— 成功 —」)
    if (e.action === "audit.person_lookup" && d.found !== undefined) {
      if (!d.found) return "按身份证号查找：未找到人员记录";
      return "按身份证号查找：找到 " + d.found + " 条人员记录（编号 " + (d.person_ids || []).join("、") + "）";
    }
    if (e.action === "audit.export" && d.rows !== undefined) return "导出" + (EXPORTS[d.format] || d.format) + "，" + d.rows + " 条";
    return "";
  }

  const cell = zz.cell;
  const EXPORTS = { xlsx: "表格（.xlsx）", csv: "文本表格（.csv）" }; // as layers/audit_wording.py says them

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

  function row(e) {
    const tr = document.createElement("tr");
    tr.dataset.id = e.id;
    tr.dataset.outcome = e.outcome;
    cell(tr, "az-time", zz.fmtTime(e.at, true));
    cell(tr, "az-actor", e.actor_name);
    cell(tr, "az-action", actionText(e));
    const object = cell(tr, "az-object", objectText(e));
    cell(tr, "az-outcome", outcomeText(e));
    cell(tr, "az-reason", reasonText(e));
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
  function onlyPerson(id, label) {
    ["az-action", "az-actor", "az-since", "az-until"].forEach((field) => ($(field).value = ""));
    $("az-object-type").value = "person";
    $("az-object-id").value = id;
    apply(null, {
      object: (label ? personText(label) : "特殊人群人员") + " · 编号 " + id,
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
        link.textContent = personText(p.object_label) + " · 编号 " + p.id;
        link.addEventListener("click", (e) => {
          e.preventDefault();
          onlyPerson(p.id, p.object_label);
        });
        box.appendChild(link);
        // a roster's person has no entry of their own: the import that wrote them is named
        if (p.origin) box.appendChild(document.createTextNode("（来自" + p.origin + "）"));
      });
      if (found.length === 1) onlyPerson(found[0].id, found[0].object_label);
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
