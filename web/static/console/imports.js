// 数据导入 (/imports): upload a file with the options of `zongzhi import` (POST /api/imports,
// 试运行 ticked by default, an optional 列对照文件 sent as `mapping`), follow the account's imports
// newest first (/api/imports), each polled every 2 s while it waits (排队中：前面还有 N 个导入, the
// API's `ahead`) or runs (its output so far), read an import's output and download the files it
// wrote. Each import says what it did: its outcome badge (已导入, 部分导入, 未导入, 无法导入,
// 试运行通过, 试运行：有退回的行; each its own colour) and a line of counts (新增 · 更新 · 未变 ·
// 退回, 导入编号). A kept upload (`can_run`: after a dry run, an import that wrote nothing, or
// one stopped after its commit) is run again: its button (重新导入…, or 正式导入… after a dry run
// that read the file) fills the form with the job's options, to change, and the form has two
// buttons, 重新试运行 and 正式导入 (POST /api/imports/{id}/run with `dry_run`), with or without
// the 列对照文件 it came with; when the run before had rejected rows, the form says that 正式导入
// imports nothing unless 有退回的行时仍导入其余有效行 is ticked. A kept upload can be deleted (DELETE
// /api/imports/{id}/upload); 取消 asks first, and a cancelled or interrupted import says what the
// API says (its output's last line: what had been written, if anything), never a note of its own.
// The form remembers the last kind chosen (localStorage). The output is the API's `output_html`
// (made by rich and escaped on the server), inserted as given; every other text is set with
// textContent. An account that may import nothing gets the API's 403 in Chinese and no form.
// The breadcrumb leads back to the account's own page and the top bar on to the command page's
// 调度台, 研判分析 and 大屏模式, by role, as 案件详情 does (showWays).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const settings = JSON.parse($("im-settings").textContent);
  const POLL_MS = 2000;
  const PAGE_SIZE = 20;
  const ACTIVE = ["queued", "running"];
  const KIND_KEY = "zz.imports.kind"; // localStorage: the kind chosen last
  const PARTIAL_LABEL = "有退回的行时仍导入其余有效行";
  const WRITTEN = ["done", "partial"]; // outcomes of an import that wrote rows
  const EPSG_CHOICE = "epsg"; // 坐标系: a projected system, its EPSG number typed beside it
  const st = (window.zzImports = {
    kinds: new Map(), // kind -> {kind, label, complete, history, on_duty}
    maxMb: 0,
    jobs: new Map(), // id -> the job as the API last gave it
    pageIds: [],
    offset: 0,
    total: 0,
    shown: null, // id of the job in the panel
    runOf: null, // the dry run the form imports for real (null: the form uploads)
    polling: false,
  });

  const isActive = (job) => ACTIVE.includes(job.state);
  // its command told how it ended (the transaction is over) and is only closing: 1–3 s more
  const closing = (job) => job.state === "running" && !!job.outcome;
  const isDryRun = (job) => !!(job.options && job.options.dry_run);
  /** A kept upload that can be run again (the API's `can_run`). */
  const canRunAgain = (job) => !!job.can_run;
  /** A dry run that read the file through: the next step is the real import. */
  // (one that would retire records, or whose retirement waits for 确认, is read through too)
  // (not one that rejected every row: nothing would be imported, trial AD)
  const allRejected = (job) => !!job.counts && job.counts.rows > 0 && job.counts.rejected >= job.counts.rows;
  const dryRunRead = (job) =>
    isDryRun(job) && ["dry_ok", "dry_rejected", "dry_ends", "dry_held"].includes(job.outcome) && !allRejected(job);
  /** The upload is still on the server and the job has ended: it can be deleted now. */
  const canDropUpload = (job) => !!job.upload_kept && !isActive(job);

  function option(value, text) {
    const node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function button(text, cls, onClick) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "btn btn-sm " + cls;
    node.textContent = text;
    node.addEventListener("click", onClick);
    return node;
  }

  /** `12 秒`, `3 分 5 秒`, `1 小时 2 分`. */
  function span(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " 秒";
    if (s < 3600) return Math.floor(s / 60) + " 分 " + (s % 60) + " 秒";
    return Math.floor(s / 3600) + " 小时 " + Math.floor((s % 3600) / 60) + " 分";
  }

  /** `532 字节`, `12.5 KB`, `3.2 MB`. */
  function size(bytes) {
    if (bytes < 1024) return bytes + " 字节";
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  // ---- the form --------------------------------------------------------------------------------

  function fillChoices(answer) {
    const kinds = Array.isArray(answer) ? answer : answer.kinds || [];
    kinds.forEach((k) => {
      st.kinds.set(k.kind, k);
      $("im-kind").appendChild(option(k.kind, k.label));
    });
    (answer.crs || []).forEach((c) => $("im-crs").appendChild(option(c.value || "", c.label)));
    $("im-crs").appendChild(option(EPSG_CHOICE, "投影坐标（填写 EPSG 编号）"));
    st.maxMb = Number(answer.max_mb) || 0;
    if (st.maxMb) $("im-file-hint").textContent += "单个文件不超过 " + st.maxMb + " MB。";
    return kinds.length;
  }

  /** Show the options the chosen kind takes (--complete, --history, --set 状态=在岗) and its
   * template link. */
  function kindChanged() {
    const kind = st.kinds.get($("im-kind").value);
    if (!kind) return;
    if (!st.runOf) rememberKind(kind.kind);
    $("im-complete-field").hidden = !kind.complete;
    $("im-complete-note").textContent = settings.complete_notes[kind.kind] || "";
    $("im-history-field").hidden = !kind.history;
    if (!kind.complete) $("im-complete").checked = false;
    if (!kind.history) $("im-history").checked = false;
    $("im-hold-field").hidden = kind.kind !== "cases"; // 留在县级待派单 (trial BA M1)
    if (kind.kind !== "cases") $("im-hold").checked = false;
    $("im-on-duty-field").hidden = !kind.on_duty; // 本文件的网格员都记为在岗 (trial AV M3)
    if (!kind.on_duty) $("im-on-duty").checked = false;
    $("im-template").href = "/api/imports/templates/" + encodeURIComponent(kind.kind);
    $("im-template").title = kind.label + "导入模板：填写说明中的示例取自本辖区";
  }

  function rememberKind(kind) {
    try {
      localStorage.setItem(KIND_KEY, kind);
    } catch (error) {
      // storage refused (private mode): the form starts on the first kind
    }
  }

  /** The kind chosen last on this computer, if this account may still import it. */
  function lastKind() {
    let kind = null;
    try {
      kind = localStorage.getItem(KIND_KEY);
    } catch (error) {
      return null;
    }
    return kind && st.kinds.has(kind) ? kind : null;
  }

  /** The ticked options, as the API takes them (only those the kind takes). */
  function readOptions() {
    const kind = st.kinds.get($("im-kind").value) || {};
    const options = {
      crs: chosenCrs(),
      sheet: $("im-sheet").value.trim(),
      within: zzImportArea.chosen(), // 导入范围 (--within): import_area.js
      dry_run: $("im-dry-run").checked,
      partial: $("im-partial").checked,
      again: $("im-again").checked,
    };
    if (kind.complete) options.complete = $("im-complete").checked;
    if (kind.history) options.history = $("im-history").checked;
    if (kind.kind === "cases") options.hold_at_county = $("im-hold").checked;
    if (kind.on_duty) options.on_duty = $("im-on-duty").checked;
    return options;
  }

  /** The 坐标系 as the API takes it: a value of the list, or EPSG:NNNN typed beside it. */
  function chosenCrs() {
    const value = $("im-crs").value;
    return value === EPSG_CHOICE ? "EPSG:" + $("im-epsg").value.trim() : value;
  }

  /** The EPSG number's field, shown when 投影坐标 is chosen. */
  function crsChanged() {
    $("im-epsg-field").hidden = $("im-crs").value !== EPSG_CHOICE;
  }

  function formError(text) {
    $("im-form-error").textContent = text;
    $("im-form-error").hidden = !text;
  }

  /** The upload as multipart form data: the file, the kind and the options. */
  function uploadBody(file, options) {
    const body = new FormData();
    body.append("file", file, file.name);
    const mapping = $("im-mapping").files[0];
    if (mapping) body.append("mapping", mapping, mapping.name);
    body.append("kind", $("im-kind").value);
    Object.entries(options).forEach(([name, value]) => {
      if (typeof value === "boolean") body.append(name, value ? "true" : "false");
      else if (value) body.append(name, value);
    });
    return body;
  }

  /** What is wrong with the options, in Chinese; "" when nothing. */
  function optionsProblem() {
    if ($("im-crs").value === EPSG_CHOICE && !/^\d{4,5}$/.test($("im-epsg").value.trim())) {
      return "请填写 4 至 5 位数字的 EPSG 编号，如 4543";
    }
    return "";
  }

  function uploadProblem(file) {
    if (!$("im-kind").value) return "请选择数据类型";
    if (!file) return "请选择要上传的文件";
    if (file.size === 0) return "文件是空的";
    if (st.maxMb && file.size > st.maxMb * 1048576) return "文件超过 " + st.maxMb + " MB 上限";
    if (/\.shp$/i.test(file.name)) return "请上传包含 .shp/.dbf/.shx 的 zip";
    const mapping = $("im-mapping").files[0];
    if (mapping && !/\.(toml|json)$/i.test(mapping.name)) return "列对照文件应为 .toml 或 .json 文件";
    return optionsProblem();
  }

  /** Chinese text of a refused upload; a 413 said by a proxy carries no Chinese of its own. */
  function refusalText(error) {
    if (error instanceof zz.ApiError && error.status === 413 && !zz.errorText(error).includes("MB")) {
      return "文件超过大小上限" + (st.maxMb ? "（" + st.maxMb + " MB）" : "");
    }
    return zz.errorText(error);
  }

  /** The chosen file's name beside the 选择文件 button (the browser's own says it in its language). */
  function fileChosen() {
    const file = $("im-file").files[0];
    $("im-file-name").textContent = file ? file.name + "（" + size(file.size) + "）" : "未选择文件";
    $("im-file-name").dataset.chosen = file ? "true" : "false";
    if (file) formError("");
  }

  /** The chosen 列对照文件's name, and 不用 to go without one. */
  function mappingChosen() {
    const file = $("im-mapping").files[0];
    $("im-mapping-name").textContent = file ? file.name + "（" + size(file.size) + "）" : "未选择（可不选）";
    $("im-mapping-name").dataset.chosen = file ? "true" : "false";
    $("im-mapping-clear").hidden = !file;
  }

  function clearMapping() {
    $("im-mapping").value = "";
    mappingChosen();
  }

  async function upload() {
    const file = $("im-file").files[0];
    const problem = uploadProblem(file);
    if (problem) return formError(problem);
    const job = await zz.api("/api/imports", { method: "POST", body: uploadBody(file, readOptions()) });
    $("im-file").value = "";
    fileChosen();
    clearMapping();
    zz.toast("已提交：" + file.name + "（" + (isDryRun(job) ? "试运行" : "导入") + "）", "success");
    return job;
  }

  /** Run the kept upload again: a dry run (重新试运行) or for real (正式导入). */
  async function runAgain(dryRun) {
    const problem = optionsProblem() || (dryRun ? "" : zzImportArea.heldProblem());
    if (problem) return formError(problem);
    const options = readOptions();
    options.dry_run = dryRun;
    if (!dryRun && zzImportArea.confirmed()) options.again = true; // the withdrawal confirmed
    options.keep_mapping = !$("im-keep-mapping-field").hidden && $("im-keep-mapping").checked;
    const job = await zz.api("/api/imports/" + st.runOf.id + "/run", { method: "POST", json: options });
    zz.toast("已提交" + (options.dry_run ? "试运行" : "导入") + "：" + st.runOf.file_name, "success");
    closeRun();
    return job;
  }

  /** The form's buttons: 上传; or, for a kept upload, 重新试运行 (the submit: Enter never imports)
   * and 正式导入, the one that follows a dry run that read the file standing out. */
  function formButtons() {
    const run = st.runOf;
    const forReal = !!run && dryRunRead(run);
    const submitButton = $("im-submit");
    const real = $("im-run-real");
    submitButton.textContent = run ? "重新试运行" : "上传";
    real.textContent = "正式导入";
    submitButton.className = "btn btn-sm " + (forReal ? "btn-outline-primary" : "btn-primary");
    real.className = "btn btn-sm " + (forReal ? "btn-primary" : "btn-outline-primary");
    real.hidden = !run;
    [submitButton, real].forEach((node) => (node.disabled = false));
  }

  /** The form submitted (its button or Enter): an upload, or a kept upload's dry run. */
  function submit(event) {
    event.preventDefault();
    return send($("im-submit"), st.runOf ? () => runAgain(true) : upload);
  }

  /** Send the form by `action` (`pressed` says so while it goes), then show the new job. */
  async function send(pressed, action) {
    formError("");
    [$("im-submit"), $("im-run-real")].forEach((node) => (node.disabled = true));
    pressed.textContent = st.runOf ? "正在提交…" : "正在上传…";
    try {
      const job = await action();
      if (job) {
        remember(job);
        st.offset = 0;
        await loadList();
        showJob(job.id);
        poll();
      }
    } catch (error) {
      formError(refusalText(error));
      if (st.runOf) loadList().catch(() => null); // e.g. 409: the upload is no longer kept
    } finally {
      formButtons();
    }
  }

  /** Turn the form to running `job`'s kept upload again: its kind and options, to change, and
   * two buttons for 试运行's box: 重新试运行 and 正式导入 (formButtons). */
  function openRun(job) {
    st.runOf = job;
    const o = job.options || {};
    const forReal = dryRunRead(job);
    $("im-form-title").textContent = forReal ? "正式导入" : "重新导入";
    $("im-run-banner").textContent =
      (forReal ? "正式导入试运行过的文件「" : "重新导入文件「") +
      job.file_name +
      "」（任务 " +
      job.id +
      "），选项可再调整，然后重新试运行或正式导入：";
    $("im-run-banner").hidden = false;
    $("im-kind").value = job.kind;
    $("im-kind").disabled = true;
    kindChanged();
    $("im-file-field").hidden = true;
    $("im-file-hint").hidden = true;
    $("im-mapping-field").hidden = true; // the run takes the mapping file its upload came with, or none
    $("im-keep-mapping-field").hidden = !o.mapping;
    $("im-keep-mapping").checked = true;
    $("im-keep-mapping-label").textContent = "使用上次的列对照文件「" + (o.mapping || "") + "」";
    const epsg = /^EPSG:(\d+)$/i.exec(o.crs || "");
    $("im-crs").value = epsg ? EPSG_CHOICE : o.crs || "";
    $("im-epsg").value = epsg ? epsg[1] : "";
    crsChanged();
    $("im-sheet").value = o.sheet || "";
    dryRunField().hidden = true;
    $("im-partial").checked = !!o.partial;
    $("im-complete").checked = !!o.complete && !$("im-complete-field").hidden;
    $("im-history").checked = !!o.history && !$("im-history-field").hidden;
    $("im-hold").checked = !!o.hold_at_county && !$("im-hold-field").hidden;
    $("im-on-duty").checked = !!o.on_duty && !$("im-on-duty-field").hidden;
    $("im-again").checked = !!o.again;
    zzImportArea.held(job); // 将撤销网格 691 个（占本范围 695 个的 99%）: confirmed again
    zzImportArea.set(o.within || "").catch((error) => formError(zz.errorText(error)));
    formButtons();
    $("im-run-cancel").hidden = false;
    runWarning();
    formError("");
    $("im-form").scrollIntoView({ block: "nearest" });
  }

  /** Back to uploading a new file (试运行 ticked again). */
  function closeRun() {
    st.runOf = null;
    $("im-form-title").textContent = "上传文件";
    $("im-run-banner").hidden = true;
    $("im-kind").disabled = false;
    $("im-file-field").hidden = false;
    $("im-file-hint").hidden = false;
    $("im-mapping-field").hidden = false;
    $("im-keep-mapping-field").hidden = true;
    $("im-run-warning").hidden = true;
    zzImportArea.clear();
    dryRunField().hidden = false;
    $("im-dry-run").checked = true;
    formButtons();
    $("im-run-cancel").hidden = true;
    formError("");
  }

  /** The 试运行 box of the upload form (running a kept upload again, two buttons say it). */
  const dryRunField = () => $("im-dry-run").closest(".form-check");

  /** Rows the run before rejected: without --partial 正式导入 would write nothing. */
  function runWarning() {
    const job = st.runOf;
    const rejected = job && job.counts ? job.counts.rejected : 0;
    const warn = !!rejected && !$("im-partial").checked;
    $("im-run-warning").hidden = !warn;
    if (!warn) return;
    $("im-run-warning").textContent =
      (isDryRun(job) ? "试运行" : "上次导入") +
      "有 " +
      rejected +
      " 行退回：正式导入时不勾选“" +
      PARTIAL_LABEL +
      "”将不导入任何数据";
  }

  // ---- the list ----------------------------------------------------------------------------------

  function modeText(job) {
    if (isDryRun(job)) return "试运行";
    if (!job.follows_job_id) return "导入";
    // the API says what the job followed (a supervisor has not the clerk's jobs to look it up)
    const before = st.jobs.get(job.follows_job_id);
    const afterDryRun = typeof job.follows_dry_run === "boolean" ? job.follows_dry_run : !before || isDryRun(before);
    if (!afterDryRun) return "导入（任务 " + job.follows_job_id + " 的文件）";
    return "导入（按任务 " + job.follows_job_id + " 的试运行）";
  }

  function resultText(job) {
    return job.outcome ? job.outcome_label : job.state_label;
  }

  /** Colour key of a job's badge: its outcome once finished, else its state. */
  function resultKey(job) {
    return job.outcome || job.state;
  }

  const cell = zz.cell;

  /** 提交时间 on two lines, the day over the time (trial AR m4: `2026-12- / 06 / 13:18:48`). */
  function timeCell(tr, iso) {
    const td = cell(tr, "im-time", "");
    zz.fmtTime(iso, true)
      .split(" ")
      .forEach((part) => td.appendChild(Object.assign(document.createElement("span"), { textContent: part })));
    return td;
  }

  function jobActions(job, withView) {
    const actions = [];
    if (withView) actions.push(button("查看", "btn-link p-0 im-view", () => showJob(job.id)));
    if (isActive(job) && !closing(job)) {
      actions.push(button("取消", "btn-outline-danger py-0 im-cancel", () => cancel(job)));
    }
    if (canRunAgain(job)) {
      const label = dryRunRead(job) ? "正式导入…" : "重新导入…";
      actions.push(button(label, "btn-outline-primary py-0 im-run", () => openRun(job)));
    }
    if (!withView && canDropUpload(job)) {
      actions.push(button("删除上传的文件", "btn-outline-secondary py-0 im-drop", () => dropUpload(job)));
    }
    return actions;
  }

  function row(job) {
    const tr = document.createElement("tr");
    tr.dataset.id = job.id;
    tr.dataset.state = job.state;
    if (job.id === st.shown) tr.classList.add("table-active");
    timeCell(tr, job.submitted_at);
    cell(tr, "im-type", job.kind_label);
    cell(tr, "im-name", job.file_name);
    cell(tr, "im-mode", modeText(job));
    const result = cell(tr, "im-result", "");
    const badge = document.createElement("span");
    badge.className = "badge im-outcome";
    badge.dataset.result = resultKey(job);
    badge.textContent = resultText(job);
    result.appendChild(badge);
    const actions = cell(tr, "im-actions", "");
    jobActions(job, true).forEach((node) => actions.appendChild(node));
    return tr;
  }

  function renderList() {
    const tbody = $("im-jobs").querySelector("tbody");
    tbody.textContent = "";
    st.pageIds.forEach((id) => tbody.appendChild(row(st.jobs.get(id))));
    $("im-empty").hidden = st.pageIds.length > 0;
    $("im-total").textContent = "共 " + st.total + " 次导入";
    $("im-prev").disabled = st.offset === 0;
    $("im-next").disabled = st.offset + PAGE_SIZE >= st.total;
  }

  function remember(job) {
    st.jobs.set(job.id, Object.assign(st.jobs.get(job.id) || {}, job));
  }

  async function loadList() {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(st.offset) });
    const page = await zz.api("/api/imports?" + params.toString());
    page.jobs.forEach((job) => {
      delete job.output_html; // a list leaves it out: keep the one read with the job
      remember(job);
    });
    st.pageIds = page.jobs.map((job) => job.id);
    st.total = page.total;
    renderList();
  }

  // ---- 督导: the imports of every account within a commander's scope (read only) --------------------

  /**
   * A row of 督导: when, who, kind, file, the result (and why nothing was written, in one line),
   * the counts. A console job and an import run on the server read alike (trial AL M7).
   */
  function supervisedRow(job, onClick) {
    const tr = document.createElement("tr");
    tr.dataset.id = job.id;
    timeCell(tr, job.submitted_at);
    cell(tr, "im-by", job.submitted_by || "");
    cell(tr, "im-type", job.kind_label);
    cell(tr, "im-name", job.file_name);
    const badge = document.createElement("span");
    badge.className = "badge im-outcome";
    badge.dataset.result = resultKey(job);
    // a dry run's outcome says 试运行 itself (试运行：有退回的行): not 试运行：试运行：…
    const result = resultText(job);
    badge.textContent = result.startsWith(modeText(job)) ? result : modeText(job) + "：" + result;
    const resultCell = cell(tr, "im-result", "");
    resultCell.appendChild(badge);
    if (NOT_WRITTEN.includes(job.outcome) && job.result_note) {
      const why = document.createElement("div");
      why.className = "im-why small text-muted";
      why.textContent = job.result_note;
      resultCell.appendChild(why);
    }
    cell(tr, "im-counts", countsText(job));
    if (onClick) {
      tr.style.cursor = "pointer";
      tr.addEventListener("click", () => onClick(job).catch((e) => zz.toast(zz.errorText(e), "danger")));
    }
    return tr;
  }

  /** The outcomes of an import that wrote nothing: its row says why. */
  const NOT_WRITTEN = ["rejected", "refused"];

  /** Show one supervised job's output under the table (the API audits a persons' job read). */
  async function showSupervised(job) {
    const full = await zz.api("/api/imports/supervised/" + job.id);
    $("im-supervised-title").textContent =
      "任务 " + full.id + "：" + (full.submitted_by || "") + " 导入的「" + full.file_name + "」";
    $("im-supervised-output").innerHTML = full.output_html || ""; // escaped by the server (rich)
    $("im-supervised-shown").hidden = false;
  }

  /** A commander follows the scope's imports; other accounts see no such list. */
  async function loadSupervised() {
    const m = await zz.me().catch(() => null);
    if (!m || m.role !== "commander") return;
    const page = await zz.api("/api/imports/supervised?limit=" + PAGE_SIZE);
    const tbody = $("im-supervised-jobs").querySelector("tbody");
    tbody.textContent = "";
    page.jobs.forEach((job) => tbody.appendChild(supervisedRow(job, showSupervised)));
    $("im-supervised-empty").hidden = page.jobs.length > 0;
    $("im-supervised").hidden = false;
    // the imports run on the server for the scope (trial AD: missing from 督导)
    const runs = await zz.api("/api/imports/supervised/command-line?limit=" + PAGE_SIZE);
    const body = $("im-cli-runs").querySelector("tbody");
    body.textContent = "";
    runs.forEach((run) => body.appendChild(commandLineRow(run)));
    $("im-cli").hidden = runs.length === 0;
  }

  /** An import run on the server, as a console job reads (refused ones too: trial AL M7). */
  function commandLineRow(run) {
    const job = {
      id: run.id,
      submitted_at: run.started_at,
      submitted_by: run.username,
      kind_label: run.kind_label,
      file_name: run.file_name,
      options: {},
      state: "finished",
      outcome: run.outcome,
      outcome_label: run.outcome_label,
      result_note: run.result_note,
      counts: run.counts,
      import_id: run.import_id,
      ended_note: run.ended_note || "",
    };
    const tr = supervisedRow(job, null);
    if (!run.counts) {
      // recorded before its counts were: the rows it wrote only
      const rejected = run.rows_rejected ? " · 退回 " + run.rows_rejected : "";
      tr.querySelector(".im-counts").textContent = "写入 " + run.rows_loaded + rejected + " · 导入编号 " + run.id;
    }
    return tr;
  }

  // ---- one job's panel ---------------------------------------------------------------------------

  /** `排队中：前面还有 2 个导入（已等 35 秒）` (an older API without `ahead`: only the wait). */
  function queuedText(job, now) {
    const waited = span((now - Date.parse(job.submitted_at)) / 1000);
    if (typeof job.ahead !== "number") return "排队中，已等 " + waited + "　前面的导入完成后开始。";
    const ahead = job.ahead > 0 ? "前面还有 " + job.ahead + " 个导入" : "即将开始";
    return "排队中：" + ahead + "（已等 " + waited + "）";
  }

  function timeText(job) {
    const now = Date.now();
    if (job.state === "queued") return queuedText(job, now);
    if (closing(job)) return "已结束，正在收尾…"; // trial AD: 已导入 beside 正在导入 and 取消
    if (job.state === "running") {
      // a dry run checks, it imports nothing (trial AR m2)
      const doing = isDryRun(job) ? "正在检查（试运行，不写入）" : "正在导入";
      return doing + "，已用 " + span((now - Date.parse(job.started_at || job.submitted_at)) / 1000);
    }
    if (job.started_at && job.finished_at) {
      const took = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
      return "开始于 " + zz.fmtTime(job.started_at, true) + "，用时 " + span(took);
    }
    return job.finished_at ? "结束于 " + zz.fmtTime(job.finished_at, true) : "";
  }

  function factsText(job) {
    const facts = [job.kind_label, modeText(job), "文件 " + job.file_name + "（" + size(job.file_bytes) + "）"];
    if (job.options && job.options.within_label) facts.push("导入范围 " + job.options.within_label);
    facts.push("提交于 " + zz.fmtTime(job.submitted_at, true));
    return facts.join(" · ");
  }

  /**
   * `新增 5 · 更新 2 · 未变 57 · 退回 3 · 导入编号 17`: what the import wrote, or would write;
   * the records it ended beyond its rows among the updated (`更新 345（其中撤销视频点位 345 个）`).
   */
  function countsText(job) {
    const c = job.counts;
    if (!c) return "";
    const dry = isDryRun(job);
    const ended = job.ended_note ? "（其中" + (dry ? "将" : "") + job.ended_note + "）" : "";
    const rows = ["新增 " + c.inserted, "更新 " + c.updated + ended, "未变 " + c.unchanged, "退回 " + c.rejected];
    if (job.import_id) rows.push("导入编号 " + job.import_id);
    const line = rows.join(" · ");
    if (job.import_id || WRITTEN.includes(job.outcome)) return line;
    if (job.outcome === "refused" && !c.rows) return "未写入任何数据"; // not read: the output says why
    if (dry && job.outcome !== "refused") return "试运行，未写入：" + line + (job.held_note ? "；" + job.held_note : "");
    if (isActive(job)) return "";
    return "未写入任何数据：共 " + c.rows + " 行 · 退回 " + c.rejected;
  }

  /** The panel's line under the facts: the time, how a stopped import ended, whether the file is kept. */
  function noteText(job) {
    return [timeText(job), endingText(job), keptText(job)].filter(Boolean).join("　");
  }

  /** A cancelled or interrupted import: the API's own last line (what had been written, if any). */
  function endingText(job) {
    if (job.state !== "cancelled" && job.state !== "interrupted") return "";
    const lines = outputText(job).split("\n").map((line) => line.trim()).filter(Boolean);
    return lines.length ? lines[lines.length - 1] : "";
  }

  /** The plain text of the API's output HTML (parsed, never inserted). */
  function outputText(job) {
    if (!job.output_html) return "";
    return new DOMParser().parseFromString(job.output_html, "text/html").body.textContent || "";
  }

  function keptText(job) {
    if (isActive(job)) return "";
    if (canRunAgain(job)) {
      return dryRunRead(job)
        ? "上传的文件保留 24 小时，可直接正式导入。"
        : "上传的文件保留 24 小时，可调整选项后重新试运行或正式导入。";
    }
    if (job.upload_kept) return "上传的文件保留 24 小时。";
    return isDryRun(job) ? "上传的文件已删除，如需导入请重新上传。" : "";
  }

  /** A cases import that wrote cases: open them in 调度台's 查找案件 by its 导入编号. */
  function renderCasesLink(job) {
    const link = $("im-job-cases");
    const c = job.counts;
    const written = c ? c.inserted + c.updated : 0;
    link.hidden = !(job.kind === "cases" && job.import_id && written > 0);
    if (link.hidden) return;
    link.textContent = "在调度台查看本次导入的案件（导入编号 " + job.import_id + "）";
    zz.me().then((m) => {
      link.href = "/dispatch/" + m.scope_code + "?q=" + encodeURIComponent("导入编号 " + job.import_id);
    });
  }

  function renderFiles(job) {
    const list = $("im-job-file-list");
    list.textContent = "";
    (job.files || []).forEach((f) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = f.url;
      link.setAttribute("download", "");
      link.className = "im-file-link";
      link.textContent = f.name;
      item.appendChild(document.createTextNode(f.label + "："));
      item.appendChild(link);
      item.appendChild(document.createTextNode("（" + size(f.bytes) + "）"));
      list.appendChild(item);
    });
    $("im-job-files").hidden = !(job.files && job.files.length);
  }

  /** The command's output: the API's HTML (rich, escaped on the server), or why there is none. */
  /** The command's output so far (a running import's steps too); kept at its end while it grows. */
  function renderOutput(job) {
    const box = $("im-output");
    if (job.output_html) {
      const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
      if (box.dataset.html !== job.output_html) {
        box.innerHTML = job.output_html;
        box.dataset.html = job.output_html;
      }
      box.dataset.empty = "false";
      if (isActive(job) && atEnd) box.scrollTop = box.scrollHeight;
      return;
    }
    delete box.dataset.html;
    box.dataset.empty = "true";
    if (job.state === "queued") box.textContent = "开始导入后显示命令输出。";
    else if (job.state === "running") box.textContent = "正在启动导入命令…";
    else box.textContent = "（命令没有输出）";
  }

  function renderPanel() {
    const job = st.jobs.get(st.shown);
    $("im-job").hidden = !job;
    if (!job) return;
    $("im-job").dataset.id = job.id;
    $("im-job").dataset.state = job.state;
    // 任务 N numbers the page's uploads; 导入编号 (in the counts) what an import wrote, which
    // 调度台 and the audit log search by: two names for two numbers (trial AR m3)
    $("im-job-title").textContent = "任务 " + job.id;
    $("im-job-title").title = "本页的上传任务编号；写入数据后另有“导入编号”，调度台、审计日志按导入编号查找";
    const badge = $("im-job-state");
    badge.dataset.result = resultKey(job);
    badge.textContent = resultText(job);
    $("im-job-counts").textContent = countsText(job);
    $("im-job-counts").hidden = !countsText(job);
    // why rows were rejected, the commonest first (the report has every row)
    const reasons = job.reasons || [];
    $("im-job-reasons").textContent = "";
    reasons.forEach((line) => $("im-job-reasons").appendChild(Object.assign(document.createElement("li"), { textContent: line })));
    $("im-job-reasons").hidden = reasons.length === 0;
    renderCasesLink(job);
    $("im-job-facts").textContent = factsText(job);
    $("im-job-time").textContent = noteText(job);
    const actions = $("im-job-actions");
    actions.textContent = "";
    jobActions(job, false).forEach((node) => actions.appendChild(node));
    renderFiles(job);
    renderOutput(job);
  }

  async function showJob(id) {
    st.shown = id;
    renderPanel();
    renderList();
    try {
      remember(await zz.api("/api/imports/" + id));
      renderPanel();
      poll();
    } catch (error) {
      zz.toast("无法读取导入记录：" + zz.errorText(error), "danger");
    }
  }

  async function cancel(job) {
    if (!window.confirm("确定取消这次导入吗？")) return;
    try {
      const answer = await zz.api("/api/imports/" + job.id + "/cancel", { method: "POST" });
      remember(answer);
      const stopping = answer.state === "running"; // its command is being stopped
      zz.toast((stopping ? "正在停止任务 " : "已取消任务 ") + job.id, "info");
      poll();
    } catch (error) {
      zz.toast("无法取消：" + zz.errorText(error), "danger");
      await zz.api("/api/imports/" + job.id).then(remember, () => null);
    }
    renderList();
    renderPanel();
  }

  /** Delete a kept upload now (it can no longer be imported with one click). */
  async function dropUpload(job) {
    if (!window.confirm("删除后不能再用它导入，确定删除上传的文件「" + job.file_name + "」吗？")) return;
    try {
      remember(await zz.api("/api/imports/" + job.id + "/upload", { method: "DELETE" }));
      zz.toast("已删除上传的文件：" + job.file_name, "info");
      if (st.runOf && st.runOf.id === job.id) closeRun();
    } catch (error) {
      zz.toast("无法删除：" + zz.errorText(error), "danger");
      await zz.api("/api/imports/" + job.id).then(remember, () => null);
    }
    renderList();
    renderPanel();
  }

  // ---- polling -------------------------------------------------------------------------------------

  function activeIds() {
    return Array.from(st.jobs.values()).filter(isActive).map((job) => job.id);
  }

  /** Every 2 s while a job waits or runs: read each such job again; stop when none is left. */
  function poll() {
    if (st.polling || activeIds().length === 0) return;
    st.polling = true;
    setTimeout(async function () {
      try {
        const fresh = await Promise.all(activeIds().map((id) => zz.api("/api/imports/" + id)));
        fresh.forEach(remember);
        renderList();
        renderPanel();
      } catch (error) {
        // the next round tries again (a 401 has already gone to the login page)
      } finally {
        st.polling = false;
        poll();
      }
    }, POLL_MS);
  }

  /** The elapsed time of a running job shown in the panel, each second. */
  function tick() {
    const job = st.jobs.get(st.shown);
    if (job && isActive(job)) $("im-job-time").textContent = noteText(job);
  }

  // ---- start ---------------------------------------------------------------------------------------

  /** An account that may import nothing: the API's refusal, or its role and who may import. */
  async function refuse(error) {
    $("im-work").hidden = true;
    let text = "您的账号不能导入数据：" + (error ? zz.errorText(error) : "");
    if (!error) {
      const m = await zz.me().catch(() => null);
      const roles = zz.IMPORT_ROLES.map((role) => zz.label("role", role)).join("、");
      text = (m ? m.role_label : "您的") + "账号不能导入数据；可以导入数据的岗位：" + roles + "。";
    }
    $("im-refused").textContent = text;
    $("im-refused").hidden = false;
  }

  // ---- the way back ---------------------------------------------------------------------------

  /**
   * Each role's own page, the breadcrumb's way back (as on 案件详情, case.js): the command page
   * for a commander (and a grid worker), the 调度台 for a dispatcher, the desk for a department,
   * 研判分析 for an analyst, 审计日志 for an auditor; an administrator's 账号管理 is in the top bar.
   */
  const BACK = {
    commander: ["/console/", "指挥调度"],
    grid_worker: ["/console/", "指挥调度"],
    dispatcher: ["/dispatch/", "调度台"],
    department: ["/desk/", "本部门待办"],
    analyst: ["/trends/", "研判分析"],
    auditor: ["/audit", "审计日志"],
  };
  /** Roles shown 大屏模式 and, but an analyst (whose way back it is), 研判分析, as on 案件详情. */
  const WATCHERS = ["commander", "dispatcher", "analyst"];

  /**
   * The breadcrumb's way back to the account's own page, and the command page's ways on to its
   * own unit: 调度台 to a commander (a dispatcher's is the way back), 研判分析 and 大屏模式 to
   * those who have them there (trial: /imports led back only by the brand's link to /).
   */
  function showWays(m) {
    const back = BACK[m.role];
    if (back) {
      const [path, label] = back;
      $("im-back").href = path.endsWith("/") ? path + m.scope_code : path;
      $("im-back").textContent = label;
      $("im-back-item").hidden = false;
    }
    const ways = {
      "zz-dispatch-link": ["/dispatch/", m.role === "commander"],
      "zz-trends-link": ["/trends/", WATCHERS.includes(m.role) && m.role !== "analyst"],
      "zz-screen-link": ["/screen/", WATCHERS.includes(m.role)],
    };
    Object.entries(ways).forEach(function ([id, [path, shown]]) {
      $(id).href = path + m.scope_code;
      $(id).hidden = !shown;
    });
  }

  async function init() {
    zz.me().then(showWays, () => {}); // a 401 goes to the login page
    let answer;
    try {
      answer = await zz.importKinds();
    } catch (error) {
      return refuse(error);
    }
    if (fillChoices(answer) === 0) return refuse(null);
    $("im-work").hidden = false;
    const kind = lastKind();
    if (kind) $("im-kind").value = kind;
    kindChanged();
    zzImportArea.reset().catch((error) => formError("无法读取导入范围：" + zz.errorText(error)));
    $("im-kind").addEventListener("change", kindChanged);
    $("im-partial").addEventListener("change", runWarning);
    $("im-crs").addEventListener("change", crsChanged);
    $("im-run-real").addEventListener("click", () => send($("im-run-real"), () => runAgain(false)));
    $("im-file").addEventListener("change", fileChosen);
    $("im-mapping").addEventListener("change", mappingChosen);
    $("im-mapping-clear").addEventListener("click", clearMapping);
    $("im-form").addEventListener("submit", submit);
    $("im-run-cancel").addEventListener("click", closeRun);
    $("im-job-close").addEventListener("click", function () {
      st.shown = null;
      renderPanel();
      renderList();
    });
    $("im-prev").addEventListener("click", function () {
      st.offset = Math.max(0, st.offset - PAGE_SIZE);
      loadList();
    });
    $("im-next").addEventListener("click", function () {
      st.offset += PAGE_SIZE;
      loadList();
    });
    setInterval(tick, 1000);
    try {
      await loadList();
      poll();
    } catch (error) {
      zz.toast("无法读取导入记录：" + zz.errorText(error), "danger");
    }
    loadSupervised().catch((error) => zz.toast("无法读取辖区内的导入：" + zz.errorText(error), "danger"));
  }

  init();
})();
