// 查找 on a console map (trial BB M7): an input marked data-zz-map-search lists, from its second
// character typed, the units, grids, cameras and cases of the page's unit that the text names
// (GET /api/search, at most ten, grouped 辖区/网格/摄像头/案件, each with its parent unit), and
// shows the one picked on the map (window.zzMap): a unit or a grid outlined and fitted, a camera
// or a case centred at zoom 17 and marked. The input then receives a cancelable
// "zz-search-shown" event (detail: the result, and popup() opening this file's own popup): a page
// that draws the point itself opens its own popup or row and cancels it; otherwise this file's
// popup opens. 指挥调度 (command.js) and the 调度台 (dispatch.js) use it; on the 调度台
// (data-zz-search-enter="submit") Enter still lists the cases found, and a case picked is looked
// up by its code there, which opens it as from the queue. data-zz-search-avoid names the map's
// overlays a fitted outline keeps clear of (the legend, the layer panel). Nothing personal is
// listed.
"use strict";
(function () {
  const MIN_LENGTH = 2; // one character names half the county: no request
  const WAIT_MS = 250; // typing pauses this long before a request
  const POINT_ZOOM = 17;
  const KINDS = ["unit", "grid", "camera", "case"];
  const MARK = "#00e5ff";

  function attach(input) {
    const map = window.zzMap;
    const code = document.body.dataset.code;
    const list = document.createElement("ul");
    list.className = "zz-search-results";
    list.id = input.id + "-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "查找结果");
    list.hidden = true;
    input.closest("[data-zz-search-box]").appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    const st = { token: 0, timer: null, items: [], active: -1, q: "", mark: null };

    function typed() {
      return input.value.split(/\s+/).filter(Boolean).join(" ");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function open() {
      if (document.activeElement !== input) return; // typed, then gone elsewhere: not over it
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    /** No list for what was typed before now (the form's own search went, the text was cleared). */
    function cancel() {
      clearTimeout(st.timer);
      st.token++;
      close();
    }

    function line(cls, text) {
      const li = document.createElement("li");
      li.className = cls;
      li.textContent = text;
      return li;
    }

    /** One result: its name, its code, and where it lies (its parent unit). */
    function option(item, i) {
      const li = document.createElement("li");
      li.className = "zz-search-item";
      li.id = list.id + "-" + i;
      li.setAttribute("role", "option");
      li.dataset.kind = item.kind;
      li.dataset.id = item.id;
      const offline = item.kind === "camera" && item.details.status !== "online";
      li.innerHTML =
        '<span class="zz-search-name">' + zz.esc(item.name) + (offline ? '<span class="zz-search-off">（' + zz.esc(zz.label("video_status", item.details.status)) + "）</span>" : "") + "</span>" +
        '<span class="zz-search-code">' + zz.esc(item.code) + "</span>" +
        '<span class="zz-search-place">' + zz.esc(item.place || item.parent_name || "") + "</span>";
      li.addEventListener("mousedown", (e) => e.preventDefault()); // the input keeps the focus
      li.addEventListener("click", () => pick(item));
      return li;
    }

    function render(body) {
      list.textContent = "";
      // grouped by kind under its Chinese name, in the order the arrow keys go through them
      st.items = [].concat(...KINDS.map((kind) => body.results.filter((x) => x.kind === kind)));
      st.active = -1;
      if (!st.items.length) {
        list.appendChild(line("zz-search-none", "没有找到与“" + st.q + "”相符的辖区、网格、摄像头或案件"));
      }
      st.items.forEach(function (item, i) {
        if (i === 0 || st.items[i - 1].kind !== item.kind) list.appendChild(line("zz-search-kind", item.kind_label));
        list.appendChild(option(item, i));
      });
      if (body.more) list.appendChild(line("zz-search-none", "只列出前 " + st.items.length + " 项，请输入更多内容"));
      open();
    }

    async function lookUp() {
      const q = typed();
      const token = ++st.token;
      if (q.length < MIN_LENGTH) {
        st.q = "";
        close();
        return;
      }
      if (q === st.q && st.items.length) {
        open();
        return;
      }
      let body;
      try {
        body = await zz.api("/api/search?within=" + code + "&q=" + encodeURIComponent(q));
      } catch (error) {
        if (token !== st.token) return;
        list.textContent = "";
        list.appendChild(line("zz-search-none text-danger", "查找失败：" + zz.errorText(error)));
        open();
        return;
      }
      if (token !== st.token) return;
      st.q = q;
      render(body);
    }

    function setActive(i) {
      const options = list.querySelectorAll(".zz-search-item");
      if (!options.length) return;
      st.active = (i + options.length) % options.length;
      options.forEach((li, j) => li.setAttribute("aria-selected", String(j === st.active)));
      const li = options[st.active];
      input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }

    /** Room a fitted outline keeps from the map's edges: the box above, the overlays beside. */
    function padding() {
      const frame = map.getContainer().getBoundingClientRect();
      const box = input.closest("[data-zz-search-box]").getBoundingClientRect();
      const topLeft = [20, 20];
      const bottomRight = [20, 20];
      if (box.bottom > frame.top && box.top < frame.bottom && box.left < frame.right && box.right > frame.left) {
        topLeft[1] = Math.max(topLeft[1], Math.round(box.bottom - frame.top) + 8);
      }
      (input.dataset.zzSearchAvoid || "").split(",").filter(Boolean).forEach(function (selector) {
        const node = document.querySelector(selector);
        if (!node || !node.offsetParent) return;
        const r = node.getBoundingClientRect();
        if (r.width === 0 || r.right <= frame.left || r.left >= frame.right) return;
        if (r.left + r.width / 2 < frame.left + frame.width / 2) topLeft[0] = Math.max(topLeft[0], Math.round(r.right - frame.left) + 12);
        else bottomRight[0] = Math.max(bottomRight[0], Math.round(frame.right - r.left) + 12);
      });
      return { paddingTopLeft: topLeft, paddingBottomRight: bottomRight };
    }

    function unmark() {
      if (st.mark) map.removeLayer(st.mark);
      st.mark = null;
    }

    /** This file's popup of a camera or a case: what the search said of it. */
    function popup(item) {
      const rows =
        item.kind === "camera"
          ? [["国标编码", item.code], ["状态", zz.label("video_status", item.details.status)], ["所在地", item.place]]
          : [["案件编号", item.code], ["状态", zz.label("case_state", item.details.state)], ["风险", zz.label("risk_level", item.details.risk_level)], ["所在地", item.place]];
      const html =
        '<div class="zz-popup zz-search-popup"><div class="zz-popup-title">' + zz.esc(item.name) + "</div>" +
        rows.filter((r) => r[1]).map((r) => '<div><span class="text-secondary">' + r[0] + "：</span>" + zz.esc(r[1]) + "</div>").join("") +
        (item.kind === "case" ? '<a class="zz-popup-link" href="/cases/' + encodeURIComponent(item.id) + '">查看案件详情</a>' : "") +
        "</div>";
      L.popup({ offset: [0, -6] }).setLatLng([item.lat, item.lon]).setContent(html).openOn(map);
    }

    function pick(item) {
      close();
      unmark();
      if (item.kind === "case" && input.dataset.zzSearchEnter === "submit" && input.form) {
        // the 调度台: its own 查找 by the case's code, which lists it and opens it at once
        input.value = item.code;
        input.form.requestSubmit();
        return;
      }
      const outlined = item.kind === "unit" || item.kind === "grid";
      if (outlined && item.bbox) {
        st.mark = L.geoJSON(item.outline, { interactive: false, style: { color: MARK, weight: 3, fill: false, dashArray: "6 4" } }).addTo(map);
        const [w, s, e, n] = item.bbox;
        map.fitBounds([[s, w], [n, e]], Object.assign({ maxZoom: POINT_ZOOM, animate: false }, padding()));
      } else if (!outlined && item.lon !== null) {
        st.mark = L.circleMarker([item.lat, item.lon], { radius: 14, color: MARK, weight: 3, fill: false, interactive: false }).addTo(map);
        map.setView([item.lat, item.lon], POINT_ZOOM, { animate: false });
      }
      const shown = new CustomEvent("zz-search-shown", { cancelable: true, detail: { item: item, popup: () => popup(item) } });
      if (!input.dispatchEvent(shown)) return; // the page shows it its own way
      if (outlined && !item.bbox) zz.toast("“" + item.name + "”没有边界数据，无法在地图上定位", "warning");
      else if (!outlined && item.lon === null) zz.toast("该案件没有位置，无法在地图上定位；可在案件详情中查看", "warning");
      else if (!outlined) popup(item);
    }

    input.addEventListener("input", function () {
      cancel();
      if (typed().length >= MIN_LENGTH) st.timer = setTimeout(lookUp, WAIT_MS);
    });
    if (input.form) input.form.addEventListener("submit", cancel); // the 调度台's case list instead
    input.addEventListener("focus", function () {
      if (st.q && st.q === typed() && list.childElementCount) open();
    });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        close();
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && !list.hidden) {
        e.preventDefault();
        setActive(st.active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !e.isComposing) {
        // the one highlighted; else the first, where Enter does nothing else (the 调度台's
        // 查找 lists the cases found: data-zz-search-enter="submit")
        const chosen = st.active >= 0 && !list.hidden ? st.items[st.active] : null;
        if (chosen) {
          e.preventDefault();
          pick(chosen);
        } else if (input.dataset.zzSearchEnter === "submit") {
          cancel();
        } else {
          e.preventDefault();
          if (st.items.length && st.q === typed()) pick(st.items[0]);
        }
      }
    });
  }

  document.querySelectorAll("input[data-zz-map-search]").forEach(attach);
})();
