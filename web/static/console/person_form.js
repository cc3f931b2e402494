// 登记人员 on the 走访 tab: one special-population person put on the register by hand
// (POST /api/persons), for those who see persons one by one. The residence is picked on the map
// (the dialog steps aside for one click) or taken from the phone's position; the form names at
// once the 社区 and 网格 covering it, or says it lies outside the scope, and offers their workers
// as 帮扶责任人 (GET /api/persons/residence). The chosen category's own fields (释放日期,
// 矫正类别 …) follow from GET /api/persons/fields. The resident ID never leaves this form but in
// the request's body, and the form is emptied when it closes. A registration tells visits.js
// (event zz:person-registered) to read its list again.
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
  const attrsBox = document.getElementById("zz-person-attrs-box");
  const attrs = document.getElementById("zz-person-attrs");
  const map = window.zzMap;
  let me = null;
  let fields = null; // each category's fields (GET /api/persons/fields), read once
  let point = null; // [lat, lng] picked, once the server placed it in the scope
  let marker = null;
  let asking = 0; // the place asked last (a later pick wins)
  let registered = null; // the ring of the person last registered

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
  function offer(found) {
    const candidates = found.candidates;
    responsible.textContent = "";
    // a person of a grid is on its workers' lists (只看我负责的) without being named to one
    const gridded = candidates.some((c) => c.of_grid);
    responsible.appendChild(new Option(gridded ? "不指定（列入本网格网格员的走访名单）" : "不指定", "", true, true));
    const groups = [
      [true, "本网格" + (found.grid_name ? "（" + found.grid_name + "）" : "")],
      [false, "本村（社区）其他人员" + (found.area_name ? "（" + found.area_name + "）" : "")],
    ];
    let mine = false;
    groups.forEach(function ([ofGrid, label]) {
      const members = candidates.filter((c) => c.of_grid === ofGrid);
      if (!members.length) return;
      const group = document.createElement("optgroup");
      group.label = label;
      members.forEach(function (c) {
        const byUnit = c.role === "police" || c.role === "department";
        const where = ofGrid ? "" : (byUnit ? c.unit || c.grid_name : c.grid_name || c.unit) || "";
        const text = c.name + "（" + zz.label("worker_role", c.role) + (where ? "，" + where : "") + "）";
        const own = c.id === me.worker_id;
        mine = mine || own;
        group.appendChild(new Option(own ? text + " 本人" : text, String(c.id), own, own));
      });
      responsible.appendChild(group);
    });
    if (me.worker_id && !mine) responsible.appendChild(new Option("本人", String(me.worker_id), true, true));
    responsible.disabled = false;
  }

  function unplaced(text) {
    where.textContent = text;
    where.className = "text-danger";
    responsible.textContent = "";
    responsible.appendChild(new Option("（先选居住位置）", ""));
    responsible.disabled = true;
  }

  /** Mark the point and ask where it lies: named, or refused as the registration would be. */
  async function place(lat, lng) {
    const ticket = ++asking;
    point = null;
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

  /** The chosen category's own fields, each as its kind asks (a date, 是/否, one of a list …). */
  function showAttributes() {
    attrs.textContent = "";
    const chosen = (fields && fields[category.value]) || [];
    attrsBox.classList.toggle("d-none", chosen.length === 0);
    document.getElementById("zz-person-attrs-title").textContent =
      zz.label("person_category", category.value) + "信息（选填）";
    chosen.forEach(function (f) {
      const id = "zz-person-attr-" + f.name;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = f.label;
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
      attrs.append(label, input);
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
    unplaced("未选");
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
    if (!point) {
      showError(marker ? "所选居住地不能登记：" + where.textContent : "请在地图上点选居住地，或使用我的位置");
      return;
    }
    submit.disabled = true;
    showError("");
    const body = {
      category: category.value,
      name: document.getElementById("zz-person-name").value,
      resident_id: document.getElementById("zz-person-id").value,
      management_level: Number(level.value),
      address: document.getElementById("zz-person-address").value.trim() || null,
      lon: point[1],
      lat: point[0],
      on_record_since: since.value,
      responsible_ids: responsible.value ? [Number(responsible.value)] : [],
      attributes: Object.fromEntries(
        Array.from(attrs.querySelectorAll("[data-field]"), (input) => [input.dataset.field, input.value.trim()])
          .filter(([, value]) => value !== "")
      ),
    };
    try {
      const person = await zz.api("/api/persons", { method: "POST", json: body });
      zz.toast(
        "已登记 " + person.name_masked + "（" + zz.label("person_category", person.category) + "），" +
          [person.area_name, person.grid_name].filter(Boolean).join(" "),
        "success"
      );
      // the same person on record in another category: said apart, to be read
      for (const notice of person.notices || []) zz.toast(notice, "warning", { sticky: true });
      dialog.close();
      const where = point;
      reset();
      // the new person stays ringed on the map: not yet due, the list may not show them
      if (registered) registered.remove();
      registered = L.circleMarker(where, { radius: 10, color: "#ff7f00", weight: 3, fill: false })
        .bindTooltip("新登记：" + person.name_masked, { permanent: true, direction: "top" })
        .addTo(map);
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
    zz.api("/api/persons/fields").then(function (read) {
      fields = read;
      showAttributes();
    });
    reset();
    open.hidden = false;
    open.addEventListener("click", function () {
      reset();
      dialog.showModal();
    });
  });
})();
