// 走访 on the command page: the special-population persons whose follow-up visits are due, masked
// (/api/persons/visits, each read audited on the server), the most overdue first, and 记录走访
// for an account linked to its worker record (POST /api/persons/{id}/visits). Shown to those
// who see persons one by one (/api/me sees_persons: a county and below, the visiting roles); a
// grid worker's list keeps to the persons he follows unless he unticks 只看我负责的. The list may
// be narrowed to a category, to one 村（社区）/网格 or to the persons one worker follows (the places
// and the workers come with the list, each with its counts: a township sees whose visits lag)
// and is read a page at a time (再显示). Each person names who follows them: the workers named
// responsible and the workers of the person's grid (本网格), so a worker's list says why each
// person is on it; the workers to narrow to are grouped by 村（社区） (民警 and departments by their
// unit), each with his role and his grid (or unit), as same-named workers are common. It is read
// when the tab is opened, not on every refresh of the page: each read is an audit entry. The
// tab's count (the overdue, red) is read once as the page opens, one person long, so that a
// worker sees it on landing (trial AS M3). A visit recorded tells the page (zz:visits-changed)
// to read its 走访超期 card again. 记录走访 takes up to six photos, sent with the visit (POST
// /api/persons/{id}/visits/with-photos; trial AO M8); its note is kept in the tab until saved
// (zz.keepDraft: a reload mid-form loses nothing, and opens the form again; trial AS M4).
// 记录走访 says whom the visit reached (走访结果, large taps, 见到本人 by default): one that found
// nobody (人户分离, 失联) leaves the due day where it was and the toast says so; a card says a
// latest visit that found nobody and the end of a 社区矫正 (the server's notices), and the
// summary counts 失联 and 矫正期已满 apart, each a tap away (trial AW S2, S4), and the persons with
// no point or no grid (未落图/未划入网格, trial AV M1). 导出逾期名单 downloads the overdue of the list
// as chosen, masked (trial AW M3). 定位 rings the centre of the home's 500 m cell, named masked;
// after 查看身份信息 the exact home may be marked (trial AW M8).
"use strict";
(function () {
  const tab = document.getElementById("zz-visits-tab");
  if (!tab) return;
  const list = document.getElementById("zz-visits-list");
  const statusSelect = document.getElementById("zz-visits-status");
  const mineBox = document.getElementById("zz-visits-mine-box");
  const mine = document.getElementById("zz-visits-mine");
  const summary = document.getElementById("zz-visits-summary");
  const empty = document.getElementById("zz-visits-empty");
  const count = document.getElementById("zz-visits-count");
  const categorySelect = document.getElementById("zz-visits-category");
  const placeSelect = document.getElementById("zz-visits-place");
  const workerSelect = document.getElementById("zz-visits-worker");
  const more = document.getElementById("zz-visits-more");
  const exportLink = document.getElementById("zz-visits-export");
  const BACKDATE_DAYS = 30; // layers/visit_schedule.py BACKDATE_DAYS
  const PAGE = 200;
  let me = null;
  let reading = 0;
  let shown = 0; // persons listed so far (the pages read)
  let spot = null; // the ring 定位 drew
  let counted = false; // the tab's count was said by a list read (not only by the first count)
  const dismissed = new Set(); // the persons whose visit form was closed with 取消 on this page

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** 逾期 12 天, 今日应访, 3 天后应访, 从未走访 …: where a person stands, and whether it is late. */
  function dueText(p) {
    if (p.correction_over) return ["待解除矫正", true];
    if (p.due_on === null) return p.overdue ? ["从未走访", true] : ["未定走访周期", false];
    if (p.overdue) return ["逾期 " + p.overdue_days + " 天", true];
    if (p.overdue_days === 0) return ["今日应访", false];
    return [-p.overdue_days + " 天后应访", false];
  }

  /** Read the list from its start, or (`onward`) its next page. */
  async function load(onward) {
    const ticket = ++reading;
    const query = new URLSearchParams({ status: statusSelect.value, limit: PAGE, offset: onward === true ? shown : 0 });
    if (me.worker_id) query.set("mine", mine.checked ? "true" : "false");
    if (workerSelect.value && !(me.worker_id && mine.checked)) query.set("worker", workerSelect.value);
    if (categorySelect.value) query.set("category", categorySelect.value);
    if (placeSelect.value) query.set("place", placeSelect.value);
    more.disabled = true;
    let body;
    try {
      body = await zz.api("/api/persons/visits?" + query.toString());
    } catch (error) {
      if (ticket !== reading) return;
      summary.textContent = "走访名单加载失败：" + zz.errorText(error);
      summary.className = "small mb-2 text-danger";
      more.disabled = false;
      return;
    }
    if (ticket !== reading) return; // a later choice was read meanwhile
    render(body);
    list.dataset.status = query.get("status"); // the list drawn is of this choice (tests wait on it)
  }

  /**
   * The places to narrow to as the list counted them, each with its counts;
   * the one chosen stays chosen, said so where the other choices leave it no person.
   */
  function offer(select, all, counted, key, name) {
    const chosen = select.value;
    select.textContent = "";
    select.appendChild(new Option(all, ""));
    counted.forEach(function (c) {
      const text = name(c) + "（在册 " + c.followed + (c.overdue ? "，逾期 " + c.overdue : "") + "）";
      select.appendChild(new Option(text, String(c[key]), false, String(c[key]) === chosen));
    });
    if (chosen && !counted.some((c) => String(c[key]) === chosen)) {
      select.appendChild(new Option("（所选无此类人员）", chosen, false, true));
    }
  }

  /** 高东·兼职网格员: every role said, 专职网格员 too. */
  function workerName(w) {
    return w.name + "·" + zz.label("worker_role", w.role);
  }

  /** Where a worker works, to tell same-named ones apart: his grid, or a 民警's unit. */
  function workerPlace(w) {
    const byUnit = w.role === "police" || w.role === "department";
    return (byUnit ? w.unit || w.area_name || w.grid_name : w.grid_name || w.unit || w.area_name) || "";
  }

  /**
   * The workers to narrow to, grouped by 村（社区） (the group of the most overdue worker first,
   * the most overdue first in each), each named with his role and place and counted; the one
   * chosen stays chosen, said so where the other choices leave it no person.
   */
  function offerWorkers(counted) {
    const chosen = workerSelect.value;
    workerSelect.textContent = "";
    workerSelect.appendChild(new Option("全部责任人", ""));
    const groups = new Map();
    counted.forEach(function (w) {
      // a 社区民警 under his 派出所, not under the 社区 his unit's code names (trial AG)
      const byUnit = (w.role === "police" || w.role === "department") && w.unit;
      const key = byUnit ? "unit:" + w.unit : w.area_code;
      let group = groups.get(key);
      if (!group) {
        group = document.createElement("optgroup");
        group.label = byUnit ? w.unit : w.area_name || w.area_code;
        groups.set(key, group);
        workerSelect.appendChild(group);
      }
      const place = workerPlace(w);
      const who = workerName(w) + (place ? "（" + place + "）" : "");
      const text = workerName(w) + "（" + (place ? place + "，" : "") + "在册 " + w.followed +
        (w.overdue ? "，逾期 " + w.overdue : "") + "）";
      const option = new Option(text, String(w.id), false, String(w.id) === chosen);
      option.dataset.who = who;
      group.appendChild(option);
    });
    if (chosen && !counted.some((w) => String(w.id) === chosen)) {
      workerSelect.appendChild(new Option("（所选无此类人员）", chosen, false, true));
    }
  }

  /** The tab's badge: the overdue of the whole list (his own, for a worker), red when any. */
  function showCount(body) {
    count.textContent = body.overdue;
    count.hidden = false;
    count.title = (body.mine ? "我负责的人员中逾期 " : "辖区逾期 ") + body.overdue + " 人";
    count.classList.toggle("bg-danger", body.overdue > 0);
  }

  /** Whether the list drawn is narrowed (its counts are not the badge's). */
  function narrowed(body) {
    return categorySelect.value || placeSelect.value || body.worker !== (body.mine ? me.worker_id : null);
  }

  /**
   * The badge as the page opens (trial AS M3: 走访 looked plain until tapped): the list as the
   * tab first reads it, one person long, for its counts, without the places and workers to
   * narrow to (choices=false: counting the workers is most of the list's cost); an audit entry
   * like any read.
   */
  async function readCount() {
    const query = new URLSearchParams({ status: "overdue", limit: 1, choices: false });
    if (me.worker_id) query.set("mine", "true");
    let body;
    try {
      body = await zz.api("/api/persons/visits?" + query.toString());
    } catch (error) {
      return; // the tab says it when opened
    }
    if (!counted) showCount(body); // a list read since said it, as the choices stand
    if (!crossScope.listed) crossScopeBadge(body.cross_scope_total || 0);
  }

  function render(body) {
    if (!narrowed(body)) {
      counted = true;
      showCount(body);
    }
    if (body.offset === 0) {
      // the choices come with the first page (再显示 goes on with them)
      offer(placeSelect, "全部地点", body.places, "code", (c) => c.name || c.code);
      offerWorkers(body.workers);
    }
    workerSelect.hidden = body.mine;
    const chosenText = (select) => select.selectedOptions[0].dataset.who || select.selectedOptions[0].text.replace(/（.*$/, "");
    const who = [
      body.mine ? "我负责的" : body.worker ? chosenText(workerSelect) + "负责的" : "",
      placeSelect.value ? chosenText(placeSelect) : body.mine || body.worker ? "" : "辖区",
      categorySelect.value ? zz.label("person_category", categorySelect.value) : "",
    ].join("");
    if (body.offset === 0) {
      list.textContent = "";
      forgetExact();
    }
    body.persons.forEach((p) => list.appendChild(item(p)));
    shown = body.offset + body.persons.length;
    summary.className = "small mb-2";
    summary.textContent =
      who + "在册 " + body.followed + " 人：逾期 " + body.overdue + " 人，" + body.due_soon_days +
      " 日内应访 " + body.due_soon + " 人。" +
      (body.matched > PAGE ? "按紧迫程度列出，已显示 " + shown + " 人，共 " + body.matched + " 人。" : "");
    flags(body);
    exportFor(body);
    const left = body.matched - shown;
    more.classList.toggle("d-none", left <= 0);
    more.disabled = false;
    more.textContent = "再显示 " + Math.min(left, PAGE) + " 人（还有 " + left + " 人）";
    empty.classList.toggle("d-none", shown > 0);
  }

  /**
   * 导出逾期名单 (trial AW M3): the overdue of the list as chosen (category, place, whose), masked,
   * as an XLSX for the monthly meeting; the server audits each export.
   */
  function exportFor(body) {
    const query = new URLSearchParams();
    if (categorySelect.value) query.set("category", categorySelect.value);
    if (placeSelect.value) query.set("place", placeSelect.value);
    if (body.worker) query.set("worker", body.worker);
    exportLink.href = "/api/persons/overdue.xlsx" + (query.toString() ? "?" + query.toString() : "");
  }

  /**
   * 失联 N 人 and 矫正期已满 N 人 after the summary, each listing them (the status of that name):
   * the township learns of a 失联 patient or a correction to end (trial AW S2, S4).
   */
  function flags(body) {
    [
      ["missing", body.missing, "失联 ", " 人"],
      ["correction_over", body.correction_over, "矫正期已满待解除 ", " 人"],
      // no point or no grid: on nobody's map or grid list, to be placed (trial AV M1)
      ["unplaced", body.unplaced, "未落图/未划入网格 ", " 人"],
    ].forEach(function ([status, n, before, after]) {
      if (!n || statusSelect.value === status) return;
      const link = el("button", "btn btn-link btn-sm p-0 ms-2 text-danger zz-visits-flag", before + n + after);
      link.type = "button";
      link.dataset.status = status;
      link.addEventListener("click", function () {
        statusSelect.value = status;
        load(false);
      });
      summary.appendChild(link);
    });
  }

  /**
   * Who follows a person: the workers named responsible and the workers of the person's grid
   * (本网格: a worker's list holds his grid's persons too, and a person registered with none named
   * is his grid's workers' to visit), or that nobody does.
   */
  function whoFollows(p) {
    const parts = [];
    if (p.responsibles) parts.push("责任人：" + p.responsibles);
    if (p.grid_workers) parts.push("本网格：" + p.grid_workers);
    if (parts.length) return parts.join("；");
    return p.grid_code ? "责任人：未指定，本网格无网格员" : "责任人：未指定";
  }

  function item(p) {
    const li = el("li", "zz-visit");
    li.dataset.personId = p.id;
    const [due, late] = dueText(p);
    const head = el("div", "d-flex flex-wrap align-items-baseline gap-2");
    head.append(
      el("strong", "zz-visit-name", p.name_masked),
      el("span", "badge text-bg-light border", zz.label("person_category", p.category)),
      // the level sets the days between visits within a category
      el("span", "badge border zz-visit-level" + (p.management_level === 1 ? " zz-level-key" : " text-bg-light"),
        zz.label("management_level", p.management_level)),
      el("span", "zz-visit-due ms-auto" + (late ? " zz-late" : ""), due)
    );
    const where = [
      p.grid_name || p.grid_code || p.area_name,
      "上次走访 " + (p.last_visit || "无记录") + (p.last_visit_photos ? "（照片 " + p.last_visit_photos + " 张）" : ""),
    ];
    if (p.due_on && !p.correction_over) where.push("应访 " + p.due_on); // to be struck off, not visited
    li.append(head, el("div", "small text-muted", where.join(" · ")));
    // a latest visit that found nobody, the end of a correction (trial AW S2, S4)
    (p.notices || []).forEach((text) => li.appendChild(el("div", "small text-danger zz-visit-notice", text)));
    li.appendChild(el("div", "small text-muted zz-visit-who", whoFollows(p)));
    const actions = el("div", "zz-visit-actions d-flex gap-2 mt-1");
    if (p.lat !== null && p.lon !== null) {
      const locate = el("button", "btn btn-outline-secondary btn-xs", "定位");
      locate.type = "button";
      locate.addEventListener("click", function () {
        // a ring where the person lives, named masked: the 特殊人群 layer may be off; the item
        // stays marked in the list, to come back to it
        list.querySelectorAll(".zz-located").forEach((other) => other.classList.remove("zz-located"));
        li.classList.add("zz-located");
        const map = window.zzMap;
        if (spot) spot.remove();
        // the centre of the home's 500 m cell, not the home (trial AW M8): a wide ring says so
        spot = L.circle([p.lat, p.lon], { radius: 300, color: "#ff7f00", weight: 3, fill: false })
          .bindTooltip(p.name_masked + "（位置已模糊）", { permanent: true, direction: "top" })
          .addTo(map);
        map.setView([p.lat, p.lon], Math.max(map.getZoom(), 15));
        map.getContainer().scrollIntoView({ block: "nearest" });
      });
      actions.appendChild(locate);
    }
    // a grid worker visits, and reads in clear, the persons he follows only (trial AW M4)
    const yours = p.yours !== false;
    if (!yours) li.appendChild(el("div", "small text-muted zz-visit-notyours", "非您负责：走访请由其责任人登记，如需代访请联系乡镇（街道）综治中心"));
    if (me.worker_id && yours) {
      const record = el("button", "btn btn-primary btn-xs zz-visit-record", "记录走访");
      record.type = "button";
      record.addEventListener("click", function () {
        record.hidden = true;
        dismissed.delete(p.id);
        li.appendChild(visitForm(p, function () {
          dismissed.add(p.id);
          record.hidden = false;
        }));
      });
      actions.appendChild(record);
      // the form of a note left unsent opens again with it: after a reload, or when the list
      // is read again (another choice, another visit saved); not once closed with 取消
      if (!dismissed.has(p.id) && zz.hasDraft(draftKey(p))) queueMicrotask(() => record.click());
    }
    if (me.can_unmask && yours) actions.appendChild(unmaskButton(li, p));
    // 注销 for the operators (person_closing.js, trial AW M1): the list is read again after
    const end = window.zzPersonClosing && window.zzPersonClosing.button(me, p, () => load(false));
    if (end) actions.appendChild(end);
    // 划入网格/调整网格 for the same operators (person_grid.js): the list is read again after
    const place = window.zzPersonGrid && window.zzPersonGrid.button(me, p, () => load(false));
    if (place) actions.appendChild(place);
    if (p.last_visit_photos) actions.appendChild(photosButton(li, p));
    li.appendChild(actions);
    return li;
  }

  /**
   * 走访照片 on an item whose last visit has photos: the person's last visits with 照片 N 张, the
   * thumbnails of the visits the account's worker recorded (GET …/visit-photos, not audited);
   * another's photos are the person's personal data, seen through 查看身份信息 only (audited).
   */
  function photosButton(li, p) {
    const open = el("button", "btn btn-outline-secondary btn-xs zz-visit-photos-open", "走访照片");
    open.type = "button";
    open.addEventListener("click", async function () {
      const shown = li.querySelector(".zz-visit-photo-list");
      if (shown) {
        shown.remove();
        return;
      }
      const box = el("div", "zz-visit-photo-list small mt-1");
      li.appendChild(box);
      let visits;
      try {
        visits = await zz.api("/api/persons/" + p.id + "/visit-photos");
      } catch (failure) {
        box.appendChild(el("div", "text-danger", "走访照片加载失败：" + zz.errorText(failure)));
        return;
      }
      visits.filter((v) => v.photos).forEach(function (v) {
        const line = el("div", "d-flex flex-wrap align-items-center gap-1 mb-1");
        line.appendChild(el("span", "text-muted", v.visited_on + " 照片 " + v.photos + " 张"));
        v.photo_ids.forEach(function (id, i) {
          const link = el("a");
          link.href = "/api/persons/" + p.id + "/visit-photos/" + id;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          const img = el("img", "zz-visit-photo");
          img.src = link.href + "?thumbnail=true";
          img.alt = "走访照片 " + (i + 1);
          img.style.cssText = "width:56px;height:56px;object-fit:cover;border-radius:4px;border:1px solid #ccc";
          link.appendChild(img);
          line.appendChild(link);
        });
        if (!v.own) {
          line.appendChild(el("span", "text-muted", me.can_unmask
            ? "（他人走访的照片属于被走访人员的个人信息，请用“查看身份信息”查看，记入审计日志）"
            : "（照片属于被走访人员的个人信息，只有走访人和有查看明文权限的账号可以查看）"));
        }
        box.appendChild(line);
      });
    });
    return open;
  }

  /** 标出精确位置 after an audited read: the ring on the home itself, named in clear (trial AW M8). */
  function exactButton(p, clear) {
    const button = el("button", "btn btn-outline-secondary btn-xs zz-visit-exact", "在地图上标出精确位置");
    button.type = "button";
    button.addEventListener("click", function () {
      const map = window.zzMap;
      if (spot) spot.remove();
      spot = L.circleMarker([clear.lat, clear.lon], { radius: 10, color: "#ff7f00", weight: 3, fill: false })
        .bindTooltip(clear.name, { permanent: true, direction: "top", className: "zz-clear" })
        .addTo(map);
      spot.zzExact = true;
      map.setView([clear.lat, clear.lon], Math.max(map.getZoom(), 17));
    });
    return button;
  }

  /** The clear name's ring leaves the map with the clear record (收起, or the list read again). */
  function forgetExact() {
    if (spot && spot.zzExact) {
      spot.remove();
      spot = null;
    }
  }

  /**
   * 查看身份信息 on an item, for an account that may unmask: the reason asked (zz.reasonForm),
   * the audited read (POST /api/persons/{id}/unmasked), the clear record shown under the item
   * until 收起 or the list is read again (the item is rebuilt, masked).
   */
  function unmaskButton(li, p) {
    const open = el("button", "btn btn-outline-danger btn-xs zz-visit-unmask", "查看身份信息");
    open.type = "button";
    open.addEventListener("click", function () {
      open.hidden = true;
      const form = zz.reasonForm(
        async function (reason) {
          const clear = await zz.unmask("/api/persons/" + p.id + "/unmasked", reason);
          form.remove();
          const name = li.querySelector(".zz-visit-name");
          name.textContent = clear.name;
          const shown = el("div", "zz-clear");
          shown.append(el("div", "small", "公民身份号码 " + clear.resident_id), zz.personRecord(clear));
          if (clear.lat !== null && clear.lon !== null) shown.appendChild(exactButton(p, clear));
          const hide = el("button", "btn btn-link btn-sm p-0", "收起（本次查看已记入审计日志）");
          hide.type = "button";
          hide.addEventListener("click", function () {
            shown.remove();
            name.textContent = p.name_masked;
            open.hidden = false;
            forgetExact();
          });
          shown.appendChild(hide);
          li.appendChild(shown);
        },
        function () {
          form.remove();
          open.hidden = false;
        }
      );
      li.appendChild(form);
    });
    return open;
  }

  // 走访照片 (trial AO M8): up to six photos of the visit (the phone's camera, or its album), sent
  // with it (…/visits/with-photos): a photo refused writes no visit. The server keeps each
  // re-encoded without its EXIF (the phone's GPS); a photo shows the person, so it is read as
  // their clear record is (the worker who took it, or an unmasked read: common.js personRecord).
  /** The form's 走访照片 field: `field.picked` holds the photos chosen, each shown with 移除. */
  function photoField(p) {
    const field = el("div", "zz-visit-photo-field mt-1");
    const label = el("div", "mb-1", "走访照片" + zz.PHOTO_LIMITS);
    label.id = "zz-visit-photos-label-" + p.id;
    const input = el("input", "visually-hidden zz-visit-photos");
    input.type = "file";
    input.id = "zz-visit-photos-" + p.id;
    input.accept = "image/*";
    input.setAttribute("capture", "environment");
    input.multiple = true;
    input.setAttribute("aria-labelledby", label.id);
    // the browser's own file field says 「Choose Files」 on some phones: a button of ours instead
    const add = el("label", "btn btn-sm btn-outline-primary zz-visit-photos-add", "拍照或添加照片");
    add.htmlFor = input.id;
    const box = el("div", "d-flex flex-wrap gap-1 mt-1 zz-visit-photos-picked");
    const error = el("div", "text-danger zz-visit-photos-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    field.picked = zz.photoPicker(input, add, box, error);
    field.append(label, input, add, box, error);
    return field;
  }

  /**
   * 走访结果: whom the visit reached, four large taps (40 px and more: a phone held in one hand),
   * 见到本人 chosen; `field.value()` is the code chosen (zz.tables.visit_outcome).
   */
  function outcomeField(p) {
    const field = el("fieldset", "zz-visit-outcome mt-1");
    const legend = el("legend", "form-label mb-0", "走访结果");
    legend.style.fontSize = "inherit"; // as 走访日期 above it
    field.appendChild(legend);
    const row = el("div", "d-flex flex-wrap gap-1");
    Object.entries(zz.tables.visit_outcome || {}).forEach(function ([code, text], i) {
      const input = el("input", "btn-check");
      input.type = "radio";
      input.name = "zz-visit-outcome-" + p.id;
      input.id = "zz-visit-outcome-" + p.id + "-" + code;
      input.value = code;
      input.checked = i === 0;
      const label = el("label", "btn btn-outline-primary btn-sm zz-visit-outcome-choice", text);
      label.htmlFor = input.id;
      label.style.minHeight = "40px";
      label.style.display = "inline-flex";
      label.style.alignItems = "center";
      row.append(input, label);
    });
    field.appendChild(row);
    field.value = function () {
      const chosen = row.querySelector("input:checked");
      return chosen ? chosen.value : "met";
    };
    return field;
  }

  /** Where the unsent note of a visit to `p` is kept (this tab, this account only). */
  function draftKey(p) {
    return "zz-draft-visit-" + me.id + "-" + p.id;
  }

  /**
   * The day of the visit (today by default, up to 30 days back) and what it found (optional,
   * kept in the tab until saved).
   */
  function visitForm(p, closed) {
    const form = el("form", "zz-visit-form border rounded p-2 mt-1 small");
    form.noValidate = true; // the server's Chinese refusal, not the browser's (English) range words
    const day = el("input", "form-control form-control-sm");
    day.type = "date";
    day.required = true;
    day.value = zz.beijingDay(0);
    day.max = day.value;
    day.min = zz.beijingDay(-BACKDATE_DAYS);
    day.id = "zz-visit-day-" + p.id;
    const dayLabel = el("label", "form-label mb-0", "走访日期");
    dayLabel.htmlFor = day.id;
    const note = el("textarea", "form-control form-control-sm mt-1");
    note.rows = 2;
    note.maxLength = 500;
    note.placeholder = "走访情况（选填，勿填写身份证号、手机号）";
    note.setAttribute("aria-label", "走访情况");
    const error = el("div", "text-danger mt-1");
    error.setAttribute("role", "alert");
    const save = el("button", "btn btn-primary btn-sm", "保存");
    save.type = "submit";
    const cancel = el("button", "btn btn-outline-secondary btn-sm", "取消");
    cancel.type = "button";
    const bar = el("div", "d-flex gap-2 justify-content-end mt-1");
    bar.append(cancel, save);
    const photos = photoField(p);
    const reached = outcomeField(p);
    form.append(dayLabel, day, reached, note, photos, error, bar);
    const draft = zz.keepDraft(note, draftKey(p));
    cancel.addEventListener("click", function () {
      form.remove();
      closed();
    });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      save.disabled = true;
      error.textContent = "";
      try {
        let visit;
        if (photos.picked.length) {
          const body = new FormData();
          body.append("visited_on", day.value);
          body.append("note", note.value.trim());
          body.append("outcome", reached.value());
          photos.picked.forEach((file) => body.append("photos", file, file.name));
          visit = await zz.sendPhotos("/api/persons/" + p.id + "/visits/with-photos", body, save); // its progress on 保存
        } else {
          visit = await zz.api("/api/persons/" + p.id + "/visits", {
            method: "POST",
            json: { visited_on: day.value, note: note.value.trim() || null, outcome: reached.value() },
          });
        }
        zz.toast(
          (visit.already ? "该人员这一天的走访您已登记过" : "已登记 " + p.name_masked + " 的走访") +
            (visit.photos ? "（附照片 " + visit.photos + " 张）" : "") +
            // a visit that found nobody moves no due day: said so, not 「下次应访」 (trial AW S2)
            (visit.notice ? "：" + visit.notice : visit.due_on ? "，下次应访 " + visit.due_on : ""),
          visit.notice ? "warning" : "success"
        );
        draft.clear();
        document.dispatchEvent(new CustomEvent("zz:visits-changed", { detail: { id: p.id } }));
        if (categorySelect.value || placeSelect.value || (!workerSelect.hidden && workerSelect.value)) {
          counted = false; // the list read next is narrowed: the badge is counted on its own
          readCount();
        }
        load();
      } catch (failure) {
        // what happened, in Chinese (not the browser's 「Failed to fetch」), and that the visit
        // was not saved: what was filled in stays, to save again (trial AS M4)
        error.textContent = failure instanceof zz.ApiError
          ? "走访未保存：" + zz.errorText(failure)
          : "走访未保存：" + zz.errorText(failure) + "。填写的内容和照片仍在，网络恢复后请再点“保存”";
        save.disabled = false;
      }
    });
    return form;
  }

  // On opening the tab's badge says the number of 外辖区登记尝试 from the badge's own read
  // (readCount: cross_scope_total, s48); the notices themselves are read when the tab opens.
  const crossScope = { asked: false, listed: false };

  function crossScopeBadge(total) {
    const badge = document.getElementById("zz-cross-scope-count");
    badge.hidden = total === 0;
    if (!total) return;
    badge.textContent = "外辖区登记 " + total;
    badge.title = "近 30 日其他辖区登记本辖区在册人员的尝试 " + total + " 次";
  }

  /**
   * 外辖区登记尝试 (trial AW M7): registrations elsewhere refused on a person on record here, each
   * naming the registrar's unit and account and the time, the person by the masked ID alone
   * (layers/cross_scope.py), over the list and counted on the tab; read once, when the tab opens.
   */
  async function loadCrossScope() {
    if (crossScope.asked) return;
    crossScope.asked = true;
    let body;
    try {
      body = await zz.api("/api/persons/cross-scope-notices");
    } catch (error) {
      return; // the list below says its own failure; the notices wait for the next page
    }
    crossScope.listed = true;
    const box = document.getElementById("zz-cross-scope");
    crossScopeBadge(body.total);
    box.hidden = body.total === 0;
    box.textContent = "";
    if (!body.total) return;
    box.appendChild(el("div", "zz-supervisions-title", "外辖区登记尝试 " + body.total + " 次（近 30 日，未予登记）"));
    const ul = el("ul", "list-unstyled mb-0 zz-cross-scope-list");
    body.notices.forEach((n) => ul.appendChild(el("li", "zz-supervision-note", n.text)));
    box.appendChild(ul);
  }

  zz.me().then(function (user) {
    me = user;
    if (!user.sees_persons) return;
    tab.hidden = false;
    tab.addEventListener("click", loadCrossScope);
    if (user.worker_id) mineBox.classList.remove("d-none");
    // the overdue list is for the township's and the county's meeting, not the worker's phone
    exportLink.hidden = user.role === "grid_worker";
    if (!user.can_unmask && !user.unmask_refusal) {
      document.getElementById("zz-visits-note").textContent += "查看身份信息须由系统管理员授权（写明依据）。";
    }
    Object.entries(zz.tables.person_category || {}).forEach(function ([code, text]) {
      categorySelect.appendChild(new Option(text, code));
    });
    const fromStart = () => load(false);
    tab.addEventListener("click", fromStart);
    [statusSelect, categorySelect, placeSelect, workerSelect].forEach((select) => select.addEventListener("change", fromStart));
    more.addEventListener("click", () => load(true));
    document.addEventListener("zz:person-registered", fromStart); // person_form.js
    mine.addEventListener("change", function () {
      placeSelect.value = ""; // his places and the scope's differ
      fromStart();
    });
    if (window.location.hash === "#visits") tab.click(); // the 调度台's 特殊人群走访 link
    else readCount();
  });
})();
