// 登记人员 on the 走访 tab: one special-population person put on the register by hand
// (POST /api/persons), for those who see persons one by one. The residence is picked on the map
// (the dialog steps aside for one click) or taken from the phone's position; the form names at
// once the 社区 and 网格 covering it, or says it lies outside the scope, and offers their workers
// as 帮扶责任人 (GET /api/persons/residence). The chosen category's own fields (释放日期,
// 矫正类别 …) follow from GET /api/persons/fields, read when the form first opens. The resident
// ID never leaves this form but in the request's body, and the form is emptied when it closes.
// A registration tells visits.js (event zz:person-registered) to read its list again. Several
// 帮扶责任人 may be ticked (the 帮教小组: 网格员, 民警 …; the API takes 20). A 严重精神障碍患者's
// 危险性评估 preselects the 管控级别 it requires (trial AW S1), and the dates the 司法所's
// reminders run on are asked (trial AW m3).
// A person whose spot is not known may be registered by the 居住地址 alone: the server places
// them in the village it names, and in its grid when it has one (layers/person_village.py), and
// the form says where, or that a grid must still be chosen (closing note s45, pc). The
// 所属村（社区） may be typed or picked from the villages of the scope (GET /api/persons/villages);
// a person placed by these words in a village of several grids is not registered at once: the
// form asks GET /api/persons/village, lists the village's grids to pick one from, or 暂不划入网格
// (then on no worker's 走访 list), and registers them into the grid chosen (trial s47, pf). The
// grid the words give (a village of one grid, as soon as the words are entered), or the one
// picked, offers its workers and the village's others as 帮扶责任人, as a point does (GET
// /api/persons/grid-workers; s47, pe).
"use strict";
(function () {
  const dialog = document.getElementById("zz-person-dialog");
  const open = document.getElementById("zz-person-new");
  if (!dialog || !open) return;
  const form = document.getElementById("zz-person-form");
  const category = document.getElementById("zz-person-category");
  const level = document.getElementById("zz-person-level");
  const where = document.getElementById("zz-person-where");
  const since = document.getElementById("zz-person-since");
  const error = document.getElementById("zz-person-error");
  const submit = document.getElementById("zz-person-submit");
  const responsible = document.getElementById("zz-person-responsible");
  const responsibleCount = document.getElementById("zz-person-responsible-count");
  responsible.addEventListener("change", counted);
  const attrsBox = document.getElementById("zz-person-attrs-box");
  const attrs = document.getElementById("zz-person-attrs");
  const address = document.getElementById("zz-person-address");
  const map = window.zzMap;
  let me = null;
  let fields = null; // each category's fields (GET /api/persons/fields), read once
  let fieldsRead = false; // asked when the form first opens, not as the page opens (s48)
  let point = null; // [lat, lng] picked, once the server placed it in the scope
  let marker = null;
  let asking = 0; // the place asked last (a later pick wins)
  let registered = null; // the ring of the person last registered
  let villagesRead = false; // the datalist of the scope's villages, filled once

  // 所属村（社区）: typed, or one of the scope's villages (a datalist: arrows and Enter pick one)
  const communityLabel = document.createElement("label");
  communityLabel.htmlFor = "zz-person-community";
  communityLabel.textContent = "所属村（社区）";
  const community = document.createElement("input");
  community.id = "zz-person-community";
  community.className = "form-control form-control-sm";
  community.maxLength = 60;
  community.placeholder = "选填：可从列表中选择";
  community.setAttribute("list", "zz-person-villages");
  const villages = document.createElement("datalist");
  villages.id = "zz-person-villages";
  address.after(communityLabel, community, villages);

  // the grids of a village of several, when the words placed the person there: one is picked
  // (arrows in the group), or 暂不划入网格; the 登记 button then says which
  const picker = document.createElement("fieldset");
  picker.id = "zz-person-grids";
  picker.className = "mt-2 small";
  picker.hidden = true;
  const pickerTitle = document.createElement("legend");
  pickerTitle.id = "zz-person-grids-title";
  pickerTitle.className = "small fw-semibold mb-1";
  const pickerList = document.createElement("div");
  pickerList.className = "border rounded px-2 py-1";
  pickerList.style.maxHeight = "7.5rem"; // a village of many grids scrolls within a 1366×768 screen
  pickerList.style.overflowY = "auto";
  picker.append(pickerTitle, pickerList);
  attrsBox.before(picker);
  let unsettledNote = null; // what the registration says of a person left without a grid
  let wordsVillage = null; // the village the words placed the person in, with several grids
  let offeredByWords = false; // the 帮扶责任人 listed are those of the grid the words gave
  const UNPLACED = "未选（也可只填居住地址或所属村（社区），按其定到村（社区）和网格）";

  function readVillages() {
    if (villagesRead) return;
    villagesRead = true;
    zz.api("/api/persons/villages")
      .then(function (read) {
        read.forEach(function (v) {
          const option = document.createElement("option");
          option.value = v.value;
          if (v.township && v.value === v.name) option.label = v.township;
          villages.appendChild(option);
        });
      })
      .catch(() => (villagesRead = false)); // asked again when the form opens next
  }

  /** Each category's own fields, read the first time the form opens (again after a failure). */
  function readFields() {
    if (fieldsRead) return;
    fieldsRead = true;
    zz.api("/api/persons/fields")
      .then(function (read) {
        fields = read;
        showAttributes(); // the category chosen meanwhile, if any, gets its fields
      })
      .catch(() => (fieldsRead = false)); // asked again when the form opens next
  }

  function hideGrids() {
    picker.hidden = true;
    pickerList.textContent = "";
    unsettledNote = null;
    submit.textContent = "登记";
  }

  /** The village's grids to pick from, the first focused: the words did not tell which. */
  function showGrids(found) {
    pickerList.textContent = "";
    pickerTitle.textContent =
      "所在网格：按" + found.placed_by + "定到" + found.village + "，该村（社区）有 " +
      found.grids.length + " 个网格，请选择";
    const choices = found.grids.map((g) => [g.code, g.name]);
    choices.push(["", "暂不划入网格（不在任何网格员的走访名单上）"]);
    choices.forEach(function ([code, name]) {
      const label = document.createElement("label");
      label.className = "form-check mb-0";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "zz-person-grid";
      radio.className = "form-check-input";
      radio.value = code;
      label.append(radio, " " + name);
      pickerList.appendChild(label);
    });
    unsettledNote = found.note;
    wordsVillage = found.area_code;
    picker.hidden = false;
    where.textContent = "按" + found.placed_by + "定到" + found.village + "，请选择所在网格";
    where.className = "text-warning-emphasis";
    picker.scrollIntoView({ block: "nearest" });
    pickerList.querySelector("input").focus();
  }
  pickerList.addEventListener("change", function () {
    const chosen = pickerList.querySelector("input:checked");
    submit.textContent = chosen && !chosen.value ? "不划入网格，登记" : "登记到所选网格";
    // the grid picked offers its workers; 暂不划入网格 the village's
    if (chosen) offerAt(chosen.value ? { grid: chosen.value } : { area: wordsVillage });
  });
  // other words may name another village: its grids are asked again
  [address, community].forEach((input) => input.addEventListener("input", hideGrids));
  // the workers the words offered go with them
  [address, community].forEach((input) => input.addEventListener("input", function () {
    if (!offeredByWords || point || marker) return;
    offeredByWords = false;
    asking++;
    unplaced(UNPLACED);
  }));
  // words entered with no point: a village of one grid offers that grid's workers at once
  [address, community].forEach((input) => input.addEventListener("change", byWords));

  /** The 帮扶责任人 of a grid ({grid}) or of a village with no grid chosen ({area}). */
  async function offerAt(params) {
    const ticket = ++asking;
    try {
      const found = await zz.api("/api/persons/grid-workers?" + new URLSearchParams(params));
      if (ticket !== asking || point) return;
      offer(found);
      offeredByWords = true;
    } catch (failure) {
      if (ticket === asking) showError(failure.message);
    }
  }

  /** Ask where the words place the person (no point picked): one grid offers its workers. */
  async function byWords() {
    const written = address.value.trim();
    const named = community.value.trim();
    if (point || marker || !picker.hidden || (!written && !named)) return;
    const ticket = ++asking;
    let found;
    try {
      found = await zz.api(
        "/api/persons/village?" + new URLSearchParams(Object.entries({ address: written, community: named }).filter(([, v]) => v))
      );
    } catch (failure) {
      return; // said when the form is sent
    }
    if (ticket !== asking || point || marker) return;
    if (found.grid_code) {
      where.textContent = "按" + found.placed_by + "定到" + found.village;
      where.className = "text-success";
      offerAt({ grid: found.grid_code });
    } else if (found.grids.length > 1) {
      responsible.textContent = "（先选所在网格：登记时列出该村（社区）的 " + found.grids.length + " 个网格）";
    }
  }

  /**
   * The options of a code table; `chosen` is the default the form's reset comes back to (none:
   * a first 请选择 that the form refuses, so that no category is given without a look).
   */
  function fill(select, table, chosen, prompt) {
    if (prompt) select.appendChild(new Option(prompt, "", true, true));
    Object.entries(zz.tables[table] || {}).forEach(function ([code, text]) {
      select.appendChild(new Option(text, code, code === chosen, code === chosen));
    });
  }

  function showError(text) {
    error.textContent = text;
    error.classList.toggle("d-none", !text);
  }

  /**
   * The workers of the place as 帮扶责任人: the grid's first, then the village's other workers,
   * each with his role and grid (or a 民警's unit), as same-named workers are common (trial AG);
   * a worker's account chooses himself.
   */
  const RESPONSIBLES_MAX = 20; // as many as the API takes

  /** One worker to tick: his name, role and grid (or a 民警's unit). */
  function tick(id, text, checked) {
    const label = document.createElement("label");
    label.className = "form-check mb-0";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "form-check-input";
    box.value = String(id);
    box.checked = checked;
    label.append(box, " " + text);
    return label;
  }

  /** Say how many are ticked, and tick no more than the API takes. */
  function counted() {
    const boxes = Array.from(responsible.querySelectorAll("input[type=checkbox]"));
    const ticked = boxes.filter((b) => b.checked).length;
    boxes.forEach((b) => (b.disabled = !b.checked && ticked >= RESPONSIBLES_MAX));
    responsibleCount.textContent = ticked
      ? "已选 " + ticked + " 人" + (ticked >= RESPONSIBLES_MAX ? "（最多 " + RESPONSIBLES_MAX + " 人）" : "")
      : responsible.dataset.none || "";
  }

  /**
   * The workers of the place as 帮扶责任人, several may be ticked (the 帮教小组: trial AW M5): the
   * grid's first, then the village's other workers, each with his role and grid (or a 民警's unit),
   * as same-named workers are common (trial AG); a worker's account ticks himself.
   */
  function offer(found) {
    const candidates = found.candidates;
    responsible.textContent = "";
    // a person of a grid is on its workers' lists (只看我负责的) without being named to one
    const gridded = candidates.some((c) => c.of_grid);
    responsible.dataset.none = gridded ? "不选：列入本网格网格员的走访名单" : "不选：不指定责任人";
    const groups = [
      [true, "本网格" + (found.grid_name ? "（" + found.grid_name + "）" : "")],
      [false, "本村（社区）其他人员" + (found.area_name ? "（" + found.area_name + "）" : "")],
    ];
    let mine = false;
    groups.forEach(function ([ofGrid, label]) {
      const members = candidates.filter((c) => c.of_grid === ofGrid);
      if (!members.length) return;
      const group = document.createElement("div");
      group.className = "zz-person-responsible-group";
      const title = document.createElement("div");
      title.className = "fw-semibold text-secondary";
      title.textContent = label;
      group.appendChild(title);
      members.forEach(function (c) {
        const byUnit = c.role === "police" || c.role === "department";
        const where = ofGrid ? "" : (byUnit ? c.unit || c.grid_name : c.grid_name || c.unit) || "";
        const text = c.name + "（" + zz.label("worker_role", c.role) + (where ? "，" + where : "") + "）";
        const own = c.id === me.worker_id;
        mine = mine || own;
        group.appendChild(tick(c.id, own ? text + " 本人" : text, own));
      });
      responsible.appendChild(group);
    });
    if (me.worker_id && !mine) responsible.appendChild(tick(me.worker_id, "本人", true));
    responsible.classList.remove("zz-disabled");
    responsible.removeAttribute("aria-disabled");
    counted();
  }

  function unplaced(text) {
    where.textContent = text;
    where.className = "text-danger";
    responsible.textContent = "（先选居住位置）";
    responsible.classList.add("zz-disabled");
    responsible.setAttribute("aria-disabled", "true");
    responsible.dataset.none = "";
    responsibleCount.textContent = "";
  }

  /** Mark the point and ask where it lies: named, or refused as the registration would be. */
  async function place(lat, lng) {
    const ticket = ++asking;
    point = null;
    hideGrids(); // the point places the person, not the words
    if (marker) marker.remove();
    marker = L.circleMarker([lat, lng], { radius: 8, color: "#ff7f00", weight: 3, fill: false }).addTo(map);
    unplaced("正在查询所在社区、网格…");
    where.className = "text-muted";
    try {
      const found = await zz.api("/api/persons/residence?" + new URLSearchParams({ lon: lng, lat: lat }));
      if (ticket !== asking) return;
      point = [lat, lng];
      where.textContent = "已选：" + [found.area_name || found.area_code, found.grid_name || "不在任何网格内"].join(" · ");
      where.className = "text-success";
      offer(found);
    } catch (failure) {
      if (ticket !== asking) return;
      marker.setStyle({ color: "#c62828" });
      unplaced(failure.message);
    }
  }

  /**
   * A field that sets the least strict 管控级别 (a 严重精神障碍患者's 危险性评估, trial AW S1): the
   * level is preselected from it, and the form says why under it.
   */
  function levelFrom(f, input) {
    const why = document.createElement("div");
    why.id = "zz-person-level-why";
    why.className = "text-secondary";
    const levels = new Map(f.sets_level.map(([value, required]) => [String(value), required]));
    function follow() {
      const grade = input.value.trim().replace(/级$/, "");
      const required = levels.get(grade);
      if (!required) {
        why.textContent = grade === "0" ? "危险性评估 0 级（病情稳定）：管控级别可按实际选择" : "";
        return;
      }
      const name = zz.label("management_level", String(required));
      const state = required === 1 ? "病情不稳定" : "基本稳定";
      let said = "危险性评估 " + grade + " 级（" + state + "）：按规定至少为" + name;
      if (Number(level.value) > required) {
        level.value = String(required);
        said += "，管控级别已改为" + name;
      }
      why.textContent = said + "（《严重精神障碍管理治疗工作规范》）";
    }
    input.addEventListener("input", follow);
    input.addEventListener("change", follow);
    return why;
  }

  /** The chosen category's own fields, each as its kind asks (a date, 是/否, one of a list …). */
  function showAttributes() {
    attrs.textContent = "";
    const chosen = (fields && fields[category.value]) || [];
    attrsBox.classList.toggle("d-none", chosen.length === 0);
    const required = chosen.filter((f) => f.required).map((f) => f.label);
    document.getElementById("zz-person-attrs-title").textContent =
      zz.label("person_category", category.value) +
      "信息（" +
      (required.length ? required.join("、") + "必填，司法所的到期提醒按此计算；其余选填" : "选填") +
      "）";
    chosen.forEach(function (f) {
      const id = "zz-person-attr-" + f.name;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = f.label;
      if (f.required) {
        const star = document.createElement("span");
        star.className = "text-danger";
        star.textContent = " *";
        star.setAttribute("aria-hidden", "true");
        label.appendChild(star);
      }
      let input;
      if (f.kind === "yes_no" || f.kind === "choice") {
        input = document.createElement("select");
        input.className = "form-select form-select-sm";
        input.appendChild(new Option("（未填）", ""));
        const choices = f.kind === "yes_no" ? [["true", "是"], ["false", "否"]] : f.choices.map((c) => [c, c]);
        choices.forEach(([value, text]) => input.appendChild(new Option(text, value)));
      } else {
        input = document.createElement("input");
        input.className = "form-control form-control-sm";
        input.type = f.kind === "date" ? "date" : f.kind === "number" ? "number" : "text";
        if (f.kind === "number") {
          input.min = "0";
          input.step = "1";
          input.inputMode = "numeric";
          if (f.maximum !== null) input.max = String(f.maximum);
        }
        if (f.max_length) input.maxLength = f.max_length;
      }
      input.id = id;
      input.dataset.field = f.name;
      input.required = Boolean(f.required);
      attrs.append(label, input);
      if (f.sets_level && f.sets_level.length) attrs.append(document.createElement("span"), levelFrom(f, input));
      if (f.suggestions && f.suggestions.length) {
        // the usual words to pick (管控状态, 尿检结果), another may still be typed
        const list = document.createElement("datalist");
        list.id = id + "-usual";
        f.suggestions.forEach((value) => list.appendChild(new Option(value)));
        input.setAttribute("list", list.id);
        input.placeholder = "可选：" + f.suggestions.slice(0, 3).join("、") + (f.suggestions.length > 3 ? "…" : "");
        attrs.appendChild(list);
      }
    });
  }

  /** Empty every field (the resident ID first) and forget the point. */
  function reset() {
    form.reset();
    asking++;
    point = null;
    if (marker) marker.remove();
    marker = null;
    unplaced(UNPLACED);
    offeredByWords = false;
    hideGrids();
    showAttributes();
    since.value = zz.beijingDay();
    since.max = since.value;
    showError("");
    submit.disabled = false;
  }

  // a modal dialog lets no click reach the map: it steps aside for one. Meanwhile nothing on
  // the map takes the click (a marker, a cell's popup: zz-picking in command.css), dragging and
  // zooming still move it; Esc gives the dialog back unchanged.
  const container = map.getContainer();
  const stopPicking = document.createElement("button");
  stopPicking.type = "button";
  stopPicking.className = "btn btn-light btn-sm shadow zz-pick-cancel";
  stopPicking.textContent = "取消点选，返回登记";
  stopPicking.hidden = true;
  container.appendChild(stopPicking);
  L.DomEvent.disableClickPropagation(stopPicking);
  let hint = null; // the toast saying how to pick
  function endPicking() {
    if (hint) hint.remove();
    container.classList.remove("zz-picking");
    stopPicking.hidden = true;
    map.off("click", picked);
    document.removeEventListener("keydown", onEscape);
    dialog.showModal();
  }
  stopPicking.addEventListener("click", endPicking);
  function picked(event) {
    place(event.latlng.lat, event.latlng.lng);
    endPicking();
  }
  function onEscape(event) {
    if (event.key === "Escape") endPicking();
  }
  document.getElementById("zz-person-pick").addEventListener("click", function () {
    dialog.close();
    // a phone has no Esc key (trial AE): only the button is named there
    const back = window.matchMedia("(pointer: coarse)").matches ? "点“取消点选”返回" : "按 Esc 或“取消点选”返回";
    hint = zz.toast("请在地图上点击该人员的居住地（可先拖动、缩放地图；" + back + "）", "info");
    container.scrollIntoView({ block: "nearest" });
    container.classList.add("zz-picking");
    stopPicking.hidden = false;
    map.on("click", picked);
    document.addEventListener("keydown", onEscape);
  });

  const here = document.getElementById("zz-person-here");
  here.addEventListener("click", function () {
    zz.currentPosition(
      here,
      (position) => place(position.coords.latitude, position.coords.longitude),
      showError,
      "在地图上点选"
    );
  });

  document.getElementById("zz-person-cancel").addEventListener("click", function () {
    dialog.close();
    reset();
  });
  dialog.addEventListener("cancel", reset); // Esc
  // a refusal read stays until what it was about changes
  form.addEventListener("input", () => showError(""));

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    // the form's own words, not the browser's (novalidate: its are English in some browsers)
    const missing = [
      [category.value, "请选择人员类别"],
      [document.getElementById("zz-person-name").value.trim(), "请填写姓名"],
      [document.getElementById("zz-person-id").value.trim(), "请填写公民身份号码"],
    ].find(([value]) => !value);
    if (missing) {
      showError(missing[1]);
      return;
    }
    const undated = Array.from(attrs.querySelectorAll("[data-field]")).find((i) => i.required && !i.value.trim());
    if (undated) {
      const label = (fields[category.value] || []).find((f) => f.name === undated.dataset.field).label;
      showError("请填写" + label + "：" + zz.label("person_category", category.value) + "必填（司法所的到期提醒按此日期计算）");
      undated.focus();
      return;
    }
    const written = address.value.trim();
    const named = community.value.trim();
    if (!point && (marker || (!written && !named))) {
      showError(
        marker
          ? "所选居住地不能登记：" + where.textContent
          : "请在地图上点选居住地，或使用我的位置，或填写居住地址（写明所在村、社区）、所属村（社区）"
      );
      return;
    }
    let gridCode = null;
    let settled = null; // the grid picked, or "" for 暂不划入网格
    if (!point && !picker.hidden) {
      const chosen = pickerList.querySelector("input:checked");
      if (!chosen) {
        showError("请选择所在网格，或选“暂不划入网格”");
        pickerList.querySelector("input").focus();
        return;
      }
      settled = chosen.value;
      gridCode = chosen.value || null;
    }
    submit.disabled = true;
    showError("");
    if (!point && settled === null) {
      // placed by the words: a village of several grids asks which first
      try {
        const found = await zz.api(
          "/api/persons/village?" + new URLSearchParams(Object.entries({ address: written, community: named }).filter(([, v]) => v))
        );
        if (found.grids.length > 1) {
          submit.disabled = false;
          showGrids(found);
          return;
        }
      } catch (failure) {
        showError(failure.message);
        submit.disabled = false;
        return;
      }
    }
    const body = {
      category: category.value,
      name: document.getElementById("zz-person-name").value,
      resident_id: document.getElementById("zz-person-id").value,
      management_level: Number(level.value),
      address: written || null,
      community: point ? null : named || null,
      grid_code: gridCode,
      lon: point ? point[1] : null,
      lat: point ? point[0] : null,
      on_record_since: since.value,
      responsible_ids: Array.from(responsible.querySelectorAll("input:checked"), (box) => Number(box.value)),
      attributes: Object.fromEntries(
        Array.from(attrs.querySelectorAll("[data-field]"), (input) => [input.dataset.field, input.value.trim()])
          .filter(([, value]) => value !== "")
      ),
    };
    try {
      const person = await zz.api("/api/persons", { method: "POST", json: body });
      const placedAt = [person.area_name, person.grid_name].filter(Boolean).join(" ");
      const byWords = person.placed_by || settled !== null;
      zz.toast(
        "已登记 " + person.name_masked + "（" + zz.label("person_category", person.category) + "），" +
          (person.placed_by ? "按" + person.placed_by + "定到" : settled ? "定到" : "") + placedAt +
          (byWords
            ? person.grid_code
              ? "，已列入该网格网格员的走访名单"
              : "，未划入网格，不在任何网格员的走访名单上"
            : ""),
        "success"
      );
      // the same person on record in another category: said apart, to be read (a grid left
      // unset on purpose is not told again)
      const known = settled === "" ? unsettledNote : null;
      for (const notice of person.notices || []) {
        if (notice !== known) zz.toast(notice, "warning", { sticky: true });
      }
      dialog.close();
      const where = point;
      reset();
      // the new person stays ringed on the map: not yet due, the list may not show them (one
      // placed by the address has no point: nothing to ring)
      if (registered) registered.remove();
      registered = where
        ? L.circleMarker(where, { radius: 10, color: "#ff7f00", weight: 3, fill: false })
            .bindTooltip("新登记：" + person.name_masked, { permanent: true, direction: "top" })
            .addTo(map)
        : null;
      document.dispatchEvent(new CustomEvent("zz:person-registered", { detail: { id: person.id } }));
    } catch (failure) {
      showError(failure.message);
      submit.disabled = false;
    }
  });

  zz.me().then(function (user) {
    me = user;
    if (!user.sees_persons) return;
    fill(category, "person_category", null, "请选择人员类别");
    fill(level, "management_level", "3"); // 一般, unless the registrar says otherwise
    category.addEventListener("change", showAttributes);
    reset();
    open.hidden = false;
    open.addEventListener("click", function () {
      reset();
      readFields();
      readVillages();
      dialog.showModal();
    });
  });
})();
