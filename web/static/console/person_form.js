// 登记人员 on the 走访 tab: one special-population person put on the register by hand
// (POST /api/persons), for those who see persons one by one. The residence is picked on the map
// (the dialog steps aside for one click) or taken from the phone's position; the server places
// the person in the unit and grid covering it. The resident ID never leaves this form but in the
// request's body, and the form is emptied when it closes. A registration tells visits.js
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
  const mineBox = document.getElementById("zz-person-mine-box");
  const map = window.zzMap;
  let me = null;
  let point = null; // [lat, lng] picked
  let marker = null;
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

  function place(lat, lng) {
    point = [lat, lng];
    where.textContent = "已选（" + lng.toFixed(5) + "，" + lat.toFixed(5) + "）";
    where.className = "text-success";
    if (marker) marker.remove();
    marker = L.circleMarker(point, { radius: 8, color: "#ff7f00", weight: 3, fill: false }).addTo(map);
  }

  /** Empty every field (the resident ID first) and forget the point. */
  function reset() {
    form.reset();
    point = null;
    if (marker) marker.remove();
    marker = null;
    where.textContent = "未选";
    where.className = "text-danger";
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
  function endPicking() {
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
    zz.toast("请在地图上点击该人员的居住地（可先拖动、缩放地图；按 Esc 或“取消点选”返回）", "info");
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
      showError("请在地图上点选居住地，或使用我的位置");
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
      responsible_ids: me.worker_id && document.getElementById("zz-person-mine").checked ? [me.worker_id] : [],
    };
    try {
      const person = await zz.api("/api/persons", { method: "POST", json: body });
      zz.toast(
        "已登记 " + person.name_masked + "（" + zz.label("person_category", person.category) + "），" +
          [person.area_name, person.grid_name].filter(Boolean).join(" "),
        "success"
      );
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
    if (user.worker_id) mineBox.classList.remove("d-none");
    reset();
    open.hidden = false;
    open.addEventListener("click", function () {
      reset();
      dialog.showModal();
    });
  });
})();
