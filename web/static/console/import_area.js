// 数据导入's 导入范围 (the command's --within) and the second confirmation of a large withdrawal
// (trial AR S1, M1). The 范围 is chosen by name, level by level: the account's own unit
// (全部) or a unit under it down to a village (GET /api/imports/areas?parent=CODE), one select a
// level; the form sends the last level's choice as `within`. A dry run whose 文件是本辖区的全部
// would withdraw many of the range's records says so (`held_ends`: 将撤销网格 691 个（占本范围
// 695 个的 99%）); its 正式导入 repeats the number beside a box that must be ticked (it sends
// `again`), or 文件是本辖区的全部 unticked. Used by imports.js (window.zzImportArea); every text
// is set with textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const PREFIX = [2, 4, 6, 9, 12]; // significant digits of a unit's code, by its level
  const st = { held: [] };

  const picks = () => Array.from($("im-area-picks").querySelectorAll("select"));

  /** A unit's code as the prefix of the codes under it. */
  const prefixOf = (code, level) => code.slice(0, PREFIX[level - 1] || 12);

  /** One level's select: 全部（unit） then its children, by name. */
  function levelSelect(answer) {
    const select = document.createElement("select");
    select.className = "form-select form-select-sm im-area-pick";
    select.setAttribute("aria-label", "导入范围：" + answer.unit.name + "下的单位");
    const whole = document.createElement("option");
    whole.value = answer.unit.code;
    whole.textContent = (picks().length ? "全部（" : "本辖区全部（") + answer.unit.name + "）";
    whole.dataset.level = String(answer.unit.level);
    select.appendChild(whole);
    answer.children.forEach((child) => {
      const node = document.createElement("option");
      node.value = child.code;
      node.textContent = child.name;
      node.dataset.level = String(child.level);
      select.appendChild(node);
    });
    select.addEventListener("change", () => changed(select).catch((error) => zz.toast(zz.errorText(error), "danger")));
    return select;
  }

  async function addLevel(parent) {
    const answer = await zz.api("/api/imports/areas" + (parent ? "?parent=" + encodeURIComponent(parent) : ""));
    if (parent && !answer.children.length) return null; // a village: nothing below
    const select = levelSelect(answer);
    $("im-area-picks").appendChild(select);
    return select;
  }

  /** A level chosen: the levels below it go; a unit chosen opens its own children. */
  async function changed(select) {
    const all = picks();
    all.slice(all.indexOf(select) + 1).forEach((node) => node.remove());
    if (select.selectedIndex > 0) await addLevel(select.value);
    said();
  }

  function said() {
    const label = chosenLabel();
    $("im-area-field").dataset.code = chosen();
    $("im-area-hint").textContent =
      "文件所属的辖区：" + label + "。范围外的行退回；勾选“文件是本辖区的全部”时只撤销本范围内文件未列的记录。";
  }

  /** The code the form sends as `within` (the last level's choice). */
  function chosen() {
    const all = picks();
    return all.length ? all[all.length - 1].value : "";
  }

  function chosenLabel() {
    const all = picks();
    if (!all.length) return "";
    const last = all[all.length - 1];
    const option = last.options[last.selectedIndex];
    return option.textContent.replace(/^(本辖区)?全部（(.*)）$/, "$2");
  }

  /**
   * Back to the account's own unit; with `deepest`, down the one unit a level its scope holds
   * to a county (trial BA m8: the province's administrator of a county's deployment started at
   * 云南省 and chose 玉溪市 → 华宁县 by hand). The 全部（…） above still widens it.
   */
  async function reset(deepest = true) {
    $("im-area-picks").textContent = "";
    let select = await addLevel(null);
    while (deepest && select && select.options.length === 2 && Number(select.options[1].dataset.level) <= 3) {
      select.selectedIndex = 1;
      select = await addLevel(select.value);
    }
    said();
  }

  /** Choose `code` (a job's 范围 run again), level by level from the account's unit. */
  async function set(code) {
    await reset(!code);
    if (!code) return;
    for (let depth = 0; depth < PREFIX.length; depth += 1) {
      const select = picks()[depth];
      if (!select) break;
      const next = Array.from(select.options)
        .slice(1)
        .find((o) => code.startsWith(prefixOf(o.value, Number(o.dataset.level))));
      if (!next) break;
      select.value = next.value;
      await changed(select);
    }
    said();
  }

  /** The confirmation of a dry run's withdrawals held back, shown when it opens for 正式导入. */
  function held(job) {
    st.held = (job && job.options && job.options.dry_run && job.held_ends) || [];
    $("im-held-field").hidden = st.held.length === 0;
    $("im-held-confirm").checked = false;
    $("im-held-label").textContent = "确认撤销：" + st.held.join("；") + "（试运行时未执行，须再次确认）";
  }

  /** Whether 正式导入 must wait for the box: shown, 文件是本辖区的全部 ticked, box not ticked. */
  function heldProblem() {
    if (!st.held.length || $("im-held-field").hidden || !$("im-complete").checked) return "";
    if ($("im-held-confirm").checked || $("im-again").checked) return "";
    return "正式导入前请确认：" + st.held.join("；") + "。勾选“确认撤销”，或取消“文件是本辖区的全部”只导入文件中的行";
  }

  const confirmed = () => !$("im-held-field").hidden && $("im-held-confirm").checked;

  function clear() {
    st.held = [];
    $("im-held-field").hidden = true;
    $("im-held-confirm").checked = false;
  }

  window.zzImportArea = { reset, set, chosen, held, heldProblem, confirmed, clear };
})();
