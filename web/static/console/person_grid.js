// 划入网格 / 调整网格 of one registered person, from the 走访 list's card: a person saved with
// 暂不划入网格 (a village of several grids) is on no worker's 走访 list, and a roster may give the
// wrong grid (POST /api/persons/{id}/grid, audited under the person; layers/person_grid.py).
// Offered to the operators who may (a commander's or a dispatcher's account of a county or below,
// as 注销: the server refuses the others). The dialog lists the grids of the person's village
// (GET /api/persons/{id}/grids), or of another village of the scope chosen above them; once a
// grid is chosen, its workers and the village's others as 帮扶责任人 (GET
// /api/persons/grid-workers), those named now ticked. 确定 stays disabled while the request is
// out; the toast says where the person went (another village or township: the visits follow)
// and the card's list is read again (`after`).
"use strict";
(function () {
  const SETTING_ROLES = ["commander", "dispatcher"]; // layers/person_closing.py ENDING_ROLES
  const RESPONSIBLES_MAX = 20; // layers/person_grid.py RESPONSIBLES_MAX
  let dialog = null;
  let villagesRead = null; // the scope's villages (GET /api/persons/villages), read once
  let asking = 0; // the grids or workers asked last (a later choice wins)

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** The dialog, made once: village, grid, 帮扶责任人, error, 取消 / 确定. */
  function made() {
    if (dialog) return dialog;
    dialog = el("dialog", "zz-dialog zz-grid-dialog");
    dialog.id = "zz-grid-dialog";
    dialog.setAttribute("aria-labelledby", "zz-grid-title");
    dialog.style.maxWidth = "calc(100vw - 1rem)";
    const form = el("form");
    form.method = "dialog";
    form.noValidate = true;
    form.autocomplete = "off";
    const title = el("h2", "h6", "划入网格");
    title.id = "zz-grid-title";
    const who = el("p", "small mb-2 zz-grid-who");
    const fields = el("div", "zz-person-fields small");
    const village = el("select", "form-select form-select-sm");
    village.id = "zz-grid-village";
    const villageLabel = el("label", "", "村（社区）");
    villageLabel.htmlFor = village.id;
    const grid = el("select", "form-select form-select-sm");
    grid.id = "zz-grid-grid";
    const gridLabel = el("label", "", "所在网格");
    gridLabel.htmlFor = grid.id;
    const responsibleLabel = el("span", "", "帮扶责任人");
    responsibleLabel.id = "zz-grid-responsible-label";
    const responsible = el("div", "zz-person-responsibles zz-disabled", "（先选网格）");
    responsible.id = "zz-grid-responsible";
    responsible.setAttribute("role", "group");
    responsible.setAttribute("aria-labelledby", responsibleLabel.id);
    fields.append(villageLabel, village, gridLabel, grid, responsibleLabel, responsible);
    const note = el("p", "small text-secondary mt-2 mb-0",
      "划入后列入该网格网格员的走访名单；不选帮扶责任人时由该网格网格员走访。" +
      "转入其他村（社区）或乡镇（街道）时，走访记录随人员转入。记入审计日志。");
    const error = el("div", "alert alert-danger py-1 px-2 small mt-2 d-none zz-grid-error");
    error.setAttribute("role", "alert");
    const buttons = el("div", "text-end mt-2");
    const cancel = el("button", "btn btn-sm btn-secondary me-1", "取消");
    cancel.type = "button";
    cancel.addEventListener("click", () => dialog.close());
    const submit = el("button", "btn btn-sm btn-primary zz-grid-submit", "确定");
    submit.type = "submit";
    buttons.append(cancel, submit);
    form.append(title, who, fields, note, error, buttons);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    const showError = function (text) {
      error.textContent = text;
      error.classList.toggle("d-none", !text);
    };
    dialog.showError = showError;
    village.addEventListener("change", function () {
      showError("");
      listGrids(village.value);
    });
    grid.addEventListener("change", function () {
      showError("");
      offer(grid.value);
    });
    responsible.addEventListener("change", function () {
      const boxes = Array.from(responsible.querySelectorAll("input[type=checkbox]"));
      const ticked = boxes.filter((b) => b.checked).length;
      boxes.forEach((b) => (b.disabled = !b.checked && ticked >= RESPONSIBLES_MAX));
    });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      showError("");
      if (!grid.value) {
        showError("请选择所在网格");
        grid.focus();
        return;
      }
      const p = dialog.person;
      submit.disabled = true;
      try {
        const done = await zz.api("/api/persons/" + p.id + "/grid", {
          method: "POST",
          json: {
            grid_code: grid.value,
            responsible_ids: Array.from(responsible.querySelectorAll("input:checked"), (b) => Number(b.value)),
          },
        });
        dialog.close();
        zz.toast(done.message, "success");
        document.dispatchEvent(new CustomEvent("zz:visits-changed")); // the 走访超期 card
        if (dialog.after) dialog.after(done);
      } catch (failure) {
        showError(zz.errorText(failure));
      } finally {
        submit.disabled = false;
      }
    });
    return dialog;
  }

  /** The scope's villages as options, the person's chosen (their own unit first if not one). */
  async function fillVillages(place) {
    const village = dialog.querySelector("#zz-grid-village");
    village.textContent = "";
    if (!villagesRead) {
      villagesRead = zz.api("/api/persons/villages").catch(function () {
        villagesRead = null; // asked again when the dialog opens next
        return [];
      });
    }
    const read = (await villagesRead) || [];
    if (!read.some((v) => v.code === place.area_code)) {
      village.appendChild(new Option(place.area_name || place.area_code, place.area_code));
    }
    read.forEach(function (v) {
      village.appendChild(new Option(v.value + (v.township && v.value === v.name ? "（" + v.township + "）" : ""), v.code));
    });
    village.value = place.area_code;
  }

  /** The grids of a village to choose from: the person's own preselected where listed. */
  async function listGrids(code) {
    const d = dialog;
    const ticket = ++asking;
    const grid = d.querySelector("#zz-grid-grid");
    grid.textContent = "";
    grid.appendChild(new Option("正在读取网格…", ""));
    clearResponsibles("（先选网格）");
    let read;
    try {
      const query = code && code !== d.place.area_code ? "?village=" + code : "";
      read = await zz.api("/api/persons/" + d.person.id + "/grids" + query);
    } catch (failure) {
      if (ticket !== asking) return;
      grid.textContent = "";
      grid.appendChild(new Option("（无法读取网格）", ""));
      d.showError(zz.errorText(failure));
      return;
    }
    if (ticket !== asking) return;
    grid.textContent = "";
    grid.appendChild(new Option(read.grids.length ? "请选择网格" : "（该村（社区）尚未划分网格）", ""));
    read.grids.forEach(function (g) {
      const current = g.code === read.grid_code;
      grid.appendChild(new Option(g.name + (current ? "（现所在）" : ""), g.code));
    });
    if (read.grids.some((g) => g.code === read.grid_code)) {
      grid.value = read.grid_code;
      offer(read.grid_code);
    } else if (read.grids.length === 1) {
      grid.value = read.grids[0].code; // a village of one grid: that one
      offer(grid.value);
    }
  }

  function clearResponsibles(text) {
    const responsible = dialog.querySelector("#zz-grid-responsible");
    responsible.textContent = text;
    responsible.classList.add("zz-disabled");
    responsible.setAttribute("aria-disabled", "true");
  }

  /**
   * The grid's workers and the village's others as 帮扶责任人 (as the registration form offers
   * them for a point), each with his role and grid (or a 民警's unit); those named now ticked.
   */
  async function offer(gridCode) {
    const d = dialog;
    const ticket = ++asking;
    if (!gridCode) {
      clearResponsibles("（先选网格）");
      return;
    }
    clearResponsibles("正在读取…");
    let found;
    try {
      found = await zz.api("/api/persons/grid-workers?" + new URLSearchParams({ grid: gridCode }));
    } catch (failure) {
      if (ticket !== asking) return;
      clearResponsibles("（无法读取）");
      d.showError(zz.errorText(failure));
      return;
    }
    if (ticket !== asking) return;
    const responsible = d.querySelector("#zz-grid-responsible");
    responsible.textContent = "";
    const named = new Set(d.place.responsible_ids);
    [
      [true, "本网格" + (found.grid_name ? "（" + found.grid_name + "）" : "")],
      [false, "本村（社区）其他人员" + (found.area_name ? "（" + found.area_name + "）" : "")],
    ].forEach(function ([ofGrid, label]) {
      const members = found.candidates.filter((c) => c.of_grid === ofGrid);
      if (!members.length) return;
      const group = el("div", "zz-person-responsible-group");
      group.appendChild(el("div", "fw-semibold text-secondary", label));
      members.forEach(function (c) {
        const byUnit = c.role === "police" || c.role === "department";
        const where = ofGrid ? "" : (byUnit ? c.unit || c.grid_name : c.grid_name || c.unit) || "";
        const line = el("label", "form-check mb-0");
        const box = el("input", "form-check-input");
        box.type = "checkbox";
        box.value = String(c.id);
        box.checked = named.has(c.id);
        line.append(box, " " + c.name + "（" + zz.label("worker_role", c.role) + (where ? "，" + where : "") + "）");
        group.appendChild(line);
      });
      responsible.appendChild(group);
    });
    if (!responsible.childElementCount) responsible.textContent = "（该网格和村（社区）暂无网格员）";
    else {
      responsible.classList.remove("zz-disabled");
      responsible.removeAttribute("aria-disabled");
    }
  }

  /** Open the dialog for person `p` (masked, from the list); `after(done)` once set. */
  async function open(p, after) {
    const d = made();
    d.person = p;
    d.after = after;
    d.showError("");
    d.querySelector("#zz-grid-title").textContent = p.grid_code ? "调整网格" : "划入网格";
    const who = d.querySelector(".zz-grid-who");
    who.textContent = p.name_masked + "（" + zz.label("person_category", p.category) + "）";
    d.querySelector(".zz-grid-submit").disabled = true;
    d.querySelector("#zz-grid-village").textContent = "";
    d.querySelector("#zz-grid-grid").textContent = "";
    clearResponsibles("（先选网格）");
    d.showModal();
    let place;
    try {
      place = await zz.api("/api/persons/" + p.id + "/grids");
    } catch (failure) {
      d.showError(zz.errorText(failure));
      return;
    }
    d.place = place;
    who.textContent += " · 现在：" + (place.area_name || place.area_code) + "，" + (place.grid_name || "未划入网格");
    await fillVillages(place);
    await listGrids(place.area_code);
    d.querySelector(".zz-grid-submit").disabled = false;
    d.querySelector("#zz-grid-grid").focus();
  }

  /**
   * The card's 划入网格 (no grid) or 调整网格 button for `me` (/api/me), or null where the account
   * may not set a grid. `after(done)` runs once the person is put into the grid.
   */
  function button(me, p, after) {
    if (!me || !me.sees_persons || !SETTING_ROLES.includes(me.role)) return null;
    const b = el("button", "btn btn-outline-primary btn-xs zz-visit-grid", p.grid_code ? "调整网格" : "划入网格");
    b.type = "button";
    b.title = p.grid_code ? "改到本村（社区）或辖区内其他网格，并指定帮扶责任人" : "划入网格后列入该网格网格员的走访名单";
    b.addEventListener("click", () => open(p, after));
    return b;
  }

  window.zzPersonGrid = { button: button, open: open };
})();
