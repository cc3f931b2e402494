// 指挥调度 (command view) of one unit, the same at all five levels, and its big-screen mode.
// Reads the layer definitions the server serialised from layers/catalog.py (#zz-layers), the
// command feed (/api/command/{code}: unit, children KPIs, queue, alerts, ancestors) and the
// unit's outline (/api/console/{code}/outline). Point layers are hexagon vector tiles below their
// aggregation zoom and bbox-limited, clustered features above it. A person's popup is masked; an
// account that can unmask reads the clear name and ID there with a stated reason (audited), until
// the popup closes (not on the big screen). Sets window.zzReady (and zzReadyAt, ms since
// navigation start) when the map, the KPI cards and the queue are drawn.
"use strict";
(function () {
  const body = document.body;
  const code = body.dataset.code;
  const screen = body.dataset.screen === "1";
  const refreshSeconds = Number(body.dataset.refresh || 60);
  const LAYERS = JSON.parse(document.getElementById("zz-layers").textContent);
  const KPI_LABELS = JSON.parse(document.getElementById("zz-kpi-labels").textContent);
  const map = window.zzMap;
  const KEEP = [2, 4, 6, 9, 12];
  // 交办并督办: the level's own case handed down and 督办'd at once (trial AZ m8)
  const COMMAND_ACTIONS = ["triage", "dispatch", "hand_down", "hand_down_supervise", "escalate", "supervise", "remind", "summon"];
  const SHARE_KPIS = ["resolved_share", "cameras_online_share"];
  const GOOD_KPIS = ["resolved_share", "cameras_online_share", "cameras", "reported"];
  const RAMP_BAD = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"];
  const RAMP_GOOD = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"];
  // a point's colour by its status, one meaning on the console and the desk (dispatch.js): purple a
  // camera online (the layer's colour), green a worker on duty, grey offline or off duty; cameras
  // are squares with a lens and workers round dots, and the ones not working are hollow, told
  // apart by outline as well as by colour (trial BB M1: an online camera and a worker on duty
  // were the same green dot; m7: grey meant two things on the two maps)
  const STATUS_COLOR = { online: "#6a3d9a", offline: "#969696", on_duty: "#1a9850", busy: "#fd8d3c", off_duty: "#969696", left: "#bdbdbd" };
  const HOLLOW_STATUS = ["offline", "off_duty", "left"];
  // case-count hexagons (the cases layer below its aggregation zoom): what they count under each
  // 案件范围 (#zz-case-state, sent as the tiles' state=) and their classes, at least n cases each
  // the hot-spot cells by Gi* bin (cold spots are not drawn: no risk), and the confidence of each
  const HOT_COLOURS = { 3: "#b30000", 2: "#e34a33", 1: "#fc8d59", "-1": "#9ecae1", "-2": "#4292c6", "-3": "#08519c" };
  const HOT_CONFIDENCE = { 3: "99%", 2: "95%", 1: "90%" };
  // a hot cell's fill (the wall's dark map needs more), and below what width on screen it is drawn
  // without its dashed outline, which would make it look bigger than it is (trial AU m5)
  const HOT_FILL = screen ? 0.45 : 0.12;
  const HOT_FILL_SMALL = 0.75;
  const HOT_OUTLINE_MIN_PX = 12;
  // a hot cell's two counts, named alike in its popup, its alert and the list of its cases
  // (layers/hotspot_cases.py): the cell's own, and with its six neighbours (what Gi* weighs and
  // what an alert's title counts, 「某村一带 97 起案件」)
  const CELL_OWN = "本格案件数";
  const CELL_AROUND = "本格及相邻格案件数";
  // which hot cells a unit's map draws, and how (layers/command_map.py hot_cells)
  const HOT_RULE = "只画格心在本辖区内的热点格；按整格画出，可越过边界，计数为整格的案件";
  const CASE_READERS = ["commander", "dispatcher", "grid_worker", "department"];
  // the roles that may register a case (POST /api/cases: layers/workflow.py FIELD)
  const CASE_REGISTRARS = ["commander", "dispatcher", "grid_worker", "department"];
  const UNMASK_HINT = "查看身份信息须由系统管理员授权（写明依据）";
  const CASE_COUNT_LABELS = { open: "未办结案件数", overdue: "已超期案件数", recent: "近30天案件数" };
  const CASE_CLASSES = [1, 2, 5, 10, 20];
  const CASE_RAMP = ["#fcae91", "#fb6a4a", "#ef3b2c", "#cb181d", "#67000d"];
  const CLUSTER_OFF_ZOOM = 16; // points are clustered below this zoom
  // this tab's folds of the layer panel and the legend (sessionStorage, trial BB m11)
  const PANEL_FOLDED_KEY = "zz-command-panel-folded";
  const LEGEND_FOLDED_KEY = "zz-command-legend-folded";
  // the Chinese of 办结结果 and 法治化途径 (web/pages/case.py workflow_labels_json), not on the wall
  const labelsNode = document.getElementById("zz-workflow-labels");
  const WORKFLOW_LABELS = labelsNode ? JSON.parse(labelsNode.textContent) : { outcome: {}, legal_route: {} };

  const st = (window.zzCommand = {
    me: null,
    feed: null,
    hotRead: null, // the hot cells read on opening, beside the feed (start)
    full: null, // the last full read of the feed (refreshFeed)
    pointCap: 2000, // most points of a layer drawn; more in view are counted per grid (trial BC S3)
    outline: null,
    kpi: "open",
    caseState: "open",
    unitLayer: null,
    childLayer: null,
    layers: {},
    readyParts: new Set(),
    openAlertGroups: new Set(), // the villages whose alerts the operator opened (area codes)
    fitting: false, // fitUnit() is moving the map
    fitted: false, // the map shows the unit as fitUnit() left it (nobody moved it since)
  });

  // ---- helpers -------------------------------------------------------------------------------
  /**
   * Room kept on the left of the fitted unit for the legend (bottom left, about 150 px wide once
   * filled), which covered a township's south-western villages; none where it is folded.
   */
  function legendPad() {
    const legend = document.getElementById("zz-legend");
    if (!legend || getComputedStyle(legend).display === "none") return 20;
    return Math.max(legend.offsetWidth, 150) + 20;
  }
  /**
   * Room kept on the right of a fitted area for the layer panel as it is now, open or folded to
   * its title (the map's right edge to the panel's left one); none where it is hidden (up to
   * 1100 px the 图层 button opens it over the map).
   */
  function panelPad() {
    const panel = document.getElementById("zz-layer-panel");
    if (window.matchMedia("(max-width: 1100px)").matches || !panel || !panel.offsetParent) return 20;
    const room = map.getContainer().getBoundingClientRect().right - panel.getBoundingClientRect().left;
    return Math.max(20, Math.round(room) + 12);
  }

  /**
   * Fit the map to the unit's outline beside the legend and the layer panel. The view is the
   * fitted one until somebody moves the map (st.fitted); while it is, folding or opening the
   * panel fits it again, so the unit is never left under the open panel (trial AN N4: at 1366 px
   * the city's one county lay under it once opened).
   */
  function fitUnit() {
    if (!st.unitLayer || !st.unitLayer.getLayers().length) return;
    st.fitting = true;
    try {
      map.fitBounds(st.unitLayer.getBounds(), { paddingTopLeft: [legendPad(), 12], paddingBottomRight: [panelPad(), 12], animate: false });
    } finally {
      st.fitting = false;
    }
    st.fitted = true;
  }

  /**
   * 加载中… over the map until the first feed is drawn; on failure 加载失败 and why, in its place,
   * with 重新加载 (trial AN N3: the city's page stood blank with 「—」 cards for up to 4 s).
   */
  function showLoading(error) {
    const box = document.getElementById("zz-loading");
    if (!box) return;
    document.getElementById("zz-kpis").removeAttribute("aria-busy");
    if (!error) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.classList.add("zz-loading-failed");
    box.setAttribute("role", "alert");
    document.getElementById("zz-loading-text").textContent = "加载失败：" + zz.errorText(error);
    const retry = document.getElementById("zz-loading-retry");
    retry.hidden = false;
    retry.onclick = () => window.location.reload();
  }

  /**
   * 图层 folds the layer panel to its title. It starts folded on the big screen, where nobody
   * works it (trial AM N7), and up to 1366 px wide, where it covered the map's right third (N6).
   */
  function setupPanelFold() {
    const panel = document.getElementById("zz-layer-panel");
    const button = document.getElementById("zz-layer-fold");
    if (!panel || !button) return;
    const fold = function (on) {
      panel.classList.toggle("zz-folded", on);
      button.setAttribute("aria-expanded", String(!on));
      button.title = on ? "展开图层面板" : "收起图层面板";
    };
    // as the operator last left it in this tab (trial BB m11), else by the screen's width
    const kept = screen ? null : sessionStorage.getItem(PANEL_FOLDED_KEY);
    fold(kept !== null ? kept === "1" : screen || window.matchMedia("(max-width: 1366px)").matches);
    button.addEventListener("click", function () {
      fold(!panel.classList.contains("zz-folded"));
      if (!screen) sessionStorage.setItem(PANEL_FOLDED_KEY, panel.classList.contains("zz-folded") ? "1" : "0");
      if (st.fitted) fitUnit(); // the unit beside the panel as it is now, unless the map was moved
    });
  }

  /**
   * 收起图例 folds the legend to its button and 展开图例 opens it again, kept in this tab's
   * sessionStorage as the layer panel's fold (trial BB m11: at 1366×768 with every layer on, the
   * legend and the open panel left a strip of about 450 px of the map).
   */
  function setupLegendFold() {
    const legend = document.getElementById("zz-legend");
    if (!legend || screen) return;
    legend.classList.toggle("zz-legend-folded", sessionStorage.getItem(LEGEND_FOLDED_KEY) === "1");
    legend.addEventListener("click", function (e) {
      const button = e.target.closest("#zz-legend-fold");
      if (!button) return;
      const folded = legend.classList.toggle("zz-legend-folded");
      sessionStorage.setItem(LEGEND_FOLDED_KEY, folded ? "1" : "0");
      button.setAttribute("aria-expanded", String(!folded));
      button.textContent = folded ? "展开图例 ▴" : "收起图例 ▾";
      if (st.fitted) fitUnit();
    });
  }
  function levelOf(c) {
    for (let i = KEEP.length - 1; i > 0; i--) {
      if (c.slice(KEEP[i - 1], KEEP[i]) !== "0".repeat(KEEP[i] - KEEP[i - 1])) return i + 1;
    }
    return 1;
  }
  function inScope(scope, c) {
    return c.startsWith(scope.slice(0, KEEP[levelOf(scope) - 1]));
  }
  function fmtKpi(name, value) {
    if (value === null || value === undefined) return "—";
    if (SHARE_KPIS.includes(name)) return (value * 100).toFixed(1) + "%";
    return String(value);
  }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }
  function markReady(part) {
    st.readyParts.add(part);
    if (!window.zzReady && ["map", "kpis", "queue"].every((p) => st.readyParts.has(p))) {
      window.zzReadyAt = performance.now();
      window.zzReady = true;
    }
  }
  /** A 14 px marker in `color`; `hollow`: white inside a ring of it (offline, off duty). */
  function dot(color, cls, hollow) {
    const look = hollow ? "background:#fff;border-color:" + color : "background:" + color;
    return L.divIcon({
      className: "zz-dot " + (cls || "") + (hollow ? " zz-hollow" : ""),
      html: '<span style="' + look + '"></span>',
      iconSize: [14, 14],
      iconAnchor: [7, 7],
      popupAnchor: [0, -6],
    });
  }
  function bboxParam(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((v) => v.toFixed(5))
      .join(",");
  }
  function popupRows(rows) {
    return (
      '<table class="zz-popup-table">' +
      rows
        .filter((r) => r[1] !== "" && r[1] !== null && r[1] !== undefined)
        .map((r) => "<tr><th>" + zz.esc(r[0]) + "</th><td" + (r[2] ? ' class="' + r[2] + '"' : "") + ">" + zz.esc(r[1]) + "</td></tr>")
        .join("") +
      "</table>"
    );
  }

  // ---- KPI cards, children, queue, alerts -----------------------------------------------------
  function renderKpis(unit) {
    document.querySelectorAll("#zz-kpis .zz-kpi").forEach(function (card) {
      const name = card.dataset.kpi;
      const value = unit.kpis[name];
      card.querySelector(".zz-kpi-value").textContent = fmtKpi(name, value);
      card.classList.toggle("zz-kpi-alarm", ["overdue", "overdue_contact", "overdue_visits"].includes(name) && value > 0);
      card.classList.toggle("zz-kpi-selected", name === st.kpi);
      if (name === "overdue_visits") scopeVisitsCard(card, unit);
      if (name === "active_hotspots") hotspotsCard(card);
    });
    // 离线 N on 视频在线率: offline_cameras.js lists them
    const offline = document.getElementById("zz-offline-link");
    if (offline) {
      offline.hidden = !(unit.kpis.cameras_offline > 0);
      offline.textContent = "离线 " + unit.kpis.cameras_offline + " ›";
    }
    markReady("kpis");
  }

  /**
   * 走访超期 counts the unit's persons, all of them; a grid worker reads it beside the 走访 tab's
   * badge, which counts his own list (trial: 6 on the card, 2 on the badge). On his page the card
   * says its scope (社区走访超期, 全村走访超期), its tooltip the unit and where his own count is.
   */
  function scopeVisitsCard(card, unit) {
    const label = card.querySelector(".zz-kpi-label");
    if (card.dataset.note === undefined) card.dataset.note = card.title;
    card.title = unit.name + "：" + card.dataset.note;
    const withheld = unit.kpis.overdue_visits === null || unit.kpis.overdue_visits === undefined;
    if (withheld) {
      // 「—」 says nothing by itself: why this level gets no figure (trial AM N4), and where the
      // figures are, the level below that shows them, not one more 「—」 (trial AR M2)
      card.title +=
        role() === "department"
          ? "。部门账号不查看特殊人群信息"
          : "。本级不显示此数：为保护个人信息，本账号只能查看特殊人群的汇总数，少于 3 人的网格不单列，而本级合计能推算出这些网格的人数。" +
            visitsWhere(unit);
    }
    // on the wall nobody hovers: the reason under the 「—」, in small letters
    if (screen) withheldNote(card, !withheld ? "" : role() === "department" ? "部门账号不显示" : visitsWhereShort(unit));
    if (screen || !st.me || !st.me.worker_id) return;
    const scope = unit.kind === "grid" ? "网格" : unit.level === 5 ? (/村$/.test(unit.name) ? "全村" : "社区") : "辖区";
    label.textContent = "";
    label.append(el("span", "zz-kpi-scope", scope), KPI_LABELS.overdue_visits);
    card.title += "，含" + unit.name + "全部在册人员，不只是您负责的；您负责的人员中逾期的人数见“走访”标签上的数字";
  }

  // the units of a level, as the tooltips of 走访超期 name those that show its figures
  const LEVEL_UNITS = { 2: "各市（州）", 3: "各县（市、区）", 4: "各乡镇（街道）", 5: "各村（社区）" };

  /** Where a withheld 走访超期 is given in parts: the level below that shows it (feed). */
  function visitsWhere(unit) {
    const below = unit.overdue_visits_below;
    if (!below || !LEVEL_UNITS[below]) return "走访逾期 3 人以上的网格见“研判分析”页";
    const direct = below === levelOf(unit.code) + 1;
    return (direct ? "请进入" : "请经下级单位进入") + LEVEL_UNITS[below] + "查看";
  }

  function visitsWhereShort(unit) {
    const below = unit.overdue_visits_below;
    const where = below && LEVEL_UNITS[below] ? "，见" + LEVEL_UNITS[below] : "，网格见研判分析";
    return "保护个人信息，本级不显示" + where;
  }

  function withheldNote(card, text) {
    let note = card.querySelector(".zz-kpi-withheld");
    if (!note) {
      note = el("div", "zz-kpi-withheld");
      card.appendChild(note);
    }
    note.textContent = text;
    note.hidden = !text;
  }

  /**
   * 近期热点's tooltip names the analysis it counts: its window, its weekly periods and its cell
   * size, told apart from the trends page's 本期热点单元 (monthly, cells by level: trial AM M6).
   */
  function hotspotsCard(card) {
    if (card.dataset.note === undefined) card.dataset.note = card.title;
    const runs = (st.feed && st.feed.hotspot_runs) || [];
    const said = runs.map(function (r) {
      const parts = [periodText(r.window_start, r.window_end)];
      if (r.bin_days) parts.push(r.bin_days === 7 ? "按周分期" : "每期 " + r.bin_days + " 天");
      if (r.cell_km2) parts.push("六边形每个约 " + r.cell_km2 + " 平方公里");
      return parts.join("，");
    });
    card.title = (said.length ? "统计的热点分析：" + said.join("；") + "。" : "暂无热点分析。") + card.dataset.note;
  }

  function renderBreadcrumbs(feed) {
    const ol = document.getElementById("zz-breadcrumbs");
    ol.textContent = "";
    const scope = st.me ? st.me.scope_code : code;
    feed.ancestors.forEach(function (unit, i) {
      const li = el("li", "breadcrumb-item");
      li.dataset.code = unit.code;
      const last = i === feed.ancestors.length - 1;
      if (!last && inScope(scope, unit.code)) {
        const a = el("a", "", unit.name);
        a.href = (screen ? "/screen/" : "/console/") + unit.code;
        li.appendChild(a);
      } else {
        li.textContent = unit.name;
        if (last) {
          li.classList.add("active");
          li.setAttribute("aria-current", "page");
        }
      }
      ol.appendChild(li);
    });
    document.getElementById("zz-unit-title").textContent = feed.unit.name + "（" + feed.unit.level_label + "级）";
    document.title = feed.unit.name + " · " + (screen ? "大屏态势" : "指挥调度") + " · 综治态势一张图";
  }

  // A province's or city's figures are those of the counties this platform holds (a county's
  // centre holds its own county alone): said above the map, so they are not read as the whole
  // province's or city's
  function renderHeld(feed) {
    const note = document.getElementById("zz-held");
    const counties = feed.counties || [];
    note.hidden = counties.length === 0;
    note.textContent = counties.length
      ? "本平台接入的县（市、区）：" + counties.map((c) => c.name).join("、") + "（" + counties.length + " 个）。" +
        "本页数字只含这些县（市、区）的数据，未接入的县（市、区）不在统计之内。"
      : "";
  }

  function childUrl(child) {
    return (screen ? "/screen/" : "/console/") + child.code;
  }

  function renderChildren(feed) {
    const tbody = document.getElementById("zz-children-body");
    tbody.textContent = "";
    document.getElementById("zz-child-count").textContent = feed.children.length;
    // the colouring KPI's column, unless it is one of the three always shown (在办 twice: trial AA)
    const extra = !["open", "overdue", "active_hotspots"].includes(st.kpi);
    const head = document.getElementById("zz-child-kpi-head");
    head.textContent = KPI_LABELS[st.kpi];
    head.hidden = !extra;
    feed.children.forEach(function (child) {
      const tr = el("tr", "zz-child-row");
      tr.dataset.code = child.code;
      const name = el("td");
      if (child.kind === "jurisdiction") {
        const a = el("a", "zz-child-link", child.name);
        a.href = childUrl(child);
        name.appendChild(a);
      } else {
        name.textContent = child.name;
      }
      tr.appendChild(name);
      tr.appendChild(el("td", "", fmtKpi("open", child.kpis.open)));
      tr.appendChild(el("td", child.kpis.overdue > 0 ? "text-danger fw-bold" : "", fmtKpi("overdue", child.kpis.overdue)));
      tr.appendChild(el("td", "", fmtKpi("active_hotspots", child.kpis.active_hotspots)));
      if (extra) tr.appendChild(kpiCell(st.kpi, child.kpis[st.kpi]));
      tbody.appendChild(tr);
    });
  }

  /**
   * A child's figure in 下级单位: a 「—」 says why under it, not only in a tooltip (trial AU M6:
   * from above, a township's withheld 走访逾期 read as a blank, and on the wall nobody hovers).
   */
  function kpiCell(name, value) {
    const td = el("td", "", fmtKpi(name, value));
    const why = value === null || value === undefined ? blankWhy(name) : "";
    if (why) td.appendChild(el("div", "zz-blank-why", why));
    return td;
  }

  /** Why a unit's figure reads 「—」 (as the brief's 说明 says it), or "" when it never does. */
  function blankWhy(name) {
    if (name === "overdue_visits") return role() === "department" ? "部门账号不显示" : "保护个人信息，不予显示";
    if (name === "resolved_share") return "时段内无受理案件";
    if (name === "cameras_online_share") return "无视频点位";
    return "";
  }

  // The queue pane lists the unit's own queue (the feed's), or across its whole area at every
  // level the overdue cases (those the 超期案件 card counts), those nobody took up in their 联系时限
  // (the 联系超时 card's: the queue's red 「联系时限 … 已过」) or those reported in the last 24 hours
  // … or, as the 调度台's tabs (trial AM M3), what came up from below, what this level supervised
  // and what it handed down, not yet closed
  const QUEUE_EMPTY = {
    queue: "本级暂无待办案件", overdue: "辖区暂无超期案件", overdue_contact: "辖区暂无联系超时案件",
    recent: "辖区近24小时无新登记案件",
    from_below: "暂无下级上报的在办案件，近30日也无办结的", supervised: "暂无本级督办的在办案件，近30日也无办结的",
    handed_down: "暂无本级交办的在办案件，近30日也无办结的",
    late_dispatches: "辖区暂无派单超时未受理的案件",
    extension_pending: "暂无待本级审批的延期申请",
  };
  let scopeReads = 0;

  function renderQueue(feed) {
    // A KPI card or the scope chosen before the first feed arrives: that feed draws the list chosen.
    if (!feed) return;
    const scope = document.getElementById("zz-queue-scope");
    if (scope && role() !== "analyst") scope.hidden = false;
    if (scope && levelOf(code) >= 5) {
      // a village has no level below it to escalate, supervise or hand down to
      scope.querySelectorAll("[data-above-village]").forEach((o) => o.remove());
    }
    lateNotice(feed, scope);
    countExtensions(scope, feed); // its notice above the late dispatches' (both after 督办)
    if (!scope || scope.value === "queue") {
      scopeReads += 1; // a list still loading for another choice is not drawn
      showQueue(screen ? withLateBelow(feed) : feed.queue, "queue");
    } else if (scope.value === "late_dispatches") {
      scopeReads += 1;
      showQueue(feed.late_dispatches.cases, "late_dispatches");
    } else {
      loadScopeList(scope.value);
    }
    markReady("queue");
  }

  /**
   * 待审延期 (trial AX S5): the 申请延期 this level decides, a level below's on its own case
   * among them, which the queue does not list; counted on its choice and above the queue, a
   * click away. Only an operator decides. The feed counts them (extensions_pending, at most
   * 100), read with it rather than by a list of its own on opening and after each case event.
   */
  function countExtensions(scope, feed) {
    const option = scope && scope.querySelector("[data-extensions]");
    if (!option || !st.me) return;
    if (!["commander", "dispatcher"].includes(role())) {
      option.remove();
      return;
    }
    const count = feed.extensions_pending;
    if (typeof count !== "number") return;
    const n = count + (count >= 100 ? "+" : "");
    option.textContent = count ? "待审延期（" + n + "）" : "待审延期";
    let notice = document.getElementById("zz-extension-notice");
    if (!notice) {
      notice = el("button", "btn btn-sm btn-outline-warning w-100 mb-1 zz-extension-notice");
      notice.type = "button";
      notice.id = "zz-extension-notice";
      notice.addEventListener("click", () => showQueueScope("extension_pending"));
      document.getElementById("zz-supervisions").after(notice);
    }
    notice.hidden = count === 0 || scope.value === "extension_pending";
    notice.textContent = "待审延期 " + n + " 件：下级或部门申请延期，待本级批准或驳回";
  }

  /**
   * 辖区派单超时未受理 (trial AZ M7): the area's dispatches, every level's, nobody 受理'd within
   * their limit (feed.late_dispatches, layers/late_dispatches.py). The console says how many
   * above the queue, a click from the list (case, township, to whom, minutes, risk); the feed is
   * read again when the next dispatch waiting now becomes late, with no event to tell the page.
   */
  let lateTimer = null;
  function lateNotice(feed, scope) {
    const late = feed.late_dispatches || { total: 0, cases: [], next_at: null };
    clearTimeout(lateTimer);
    const wait = late.next_at ? Date.parse(late.next_at) - Date.now() + 1000 : null;
    if (wait !== null && wait < 86400000) lateTimer = setTimeout(refreshFeed, Math.max(wait, 1000));
    if (!scope || role() === "analyst") return;
    let notice = document.getElementById("zz-late-notice");
    if (!notice) {
      notice = el("button", "btn btn-sm btn-outline-danger w-100 mb-1 fw-bold zz-late-notice");
      notice.type = "button";
      notice.id = "zz-late-notice";
      notice.title = "辖区内各级派出、超过受理时限仍未受理的案件，请督促所在单位电话联系或改派";
      notice.addEventListener("click", () => showQueueScope("late_dispatches"));
      document.getElementById("zz-supervisions").after(notice);
    }
    notice.hidden = !late.total || scope.value === "late_dispatches";
    notice.textContent = "辖区派单超时未受理 " + late.total + " 件";
  }

  /**
   * The wall's queue: the area's dispatches late for their 受理 at its head (trial AZ M7), after
   * the level's own and each flagged with its township, the highest risk and the longest
   * waiting first (the feed's order); then the rest of the level's queue.
   */
  function withLateBelow(feed) {
    const own = new Set(feed.queue.map((c) => c.id));
    const below = ((feed.late_dispatches || {}).cases || []).filter((c) => !own.has(c.id)).map((c) => Object.assign({ late_below: true }, c));
    const late = (c) => !!zz.awaitingText(c.awaiting || (c.latest && c.latest.awaiting));
    return feed.queue.filter(late).concat(below, feed.queue.filter((c) => !late(c)));
  }

  async function loadScopeList(stage) {
    const read = ++scopeReads;
    let found;
    try {
      found = await zz.api("/api/cases?stage=" + stage + "&limit=300&code=" + code);
    } catch (error) {
      if (read === scopeReads) zz.toast("案件列表加载失败：" + zz.errorText(error), "danger");
      return;
    }
    if (read === scopeReads) showQueue(found, stage);
  }

  function showQueue(list, stage) {
    const tbody = document.getElementById("zz-queue-body");
    tbody.textContent = "";
    // 下级上报, 我督办的, 我交办的 keep a case 30 days once settled, after the open ones (trial
    // AU M2): the tab still counts the open ones
    const kept = KEPT_SETTLED.includes(stage);
    const open = kept ? list.filter((c) => !SETTLED_STATES.includes(c.state)) : list;
    document.getElementById("zz-queue-count").textContent = open.length;
    const empty = document.getElementById("zz-queue-empty");
    empty.classList.toggle("d-none", list.length > 0);
    empty.textContent = role() === "analyst" ? "研判分析岗位只查看汇总数据，不显示具体案件" : QUEUE_EMPTY[stage];
    list.forEach(function (c) {
      const names = (c.allowed_actions || []).filter((a) => COMMAND_ACTIONS.includes(a));
      const row = caseRow(c, names);
      const standing = supervisedNote(c, names);
      if (standing) row.querySelector(".zz-actions").appendChild(standing);
      const extension = extensionMark(c);
      if (extension) row.querySelector(".zz-case-sub").parentNode.appendChild(extension);
      if (stage === "late_dispatches" || c.late_below) {
        // 辖区派单超时未受理: whose dispatch it is, the township first (trial AZ M7)
        const flag = el("span", "badge text-bg-danger ms-1 zz-late-place", c.place);
        flag.title = c.place + "派单，" + zz.label("handling_level", c.handling_level) + "办理";
        row.querySelector(".zz-case-sub").after(flag);
      } else if (stage !== "queue") {
        // across the area: which level holds each one
        const sub = row.querySelector(".zz-case-sub");
        sub.append(" · ", el("span", "zz-category", zz.label("handling_level", c.handling_level) + "办理"));
      }
      const settled = kept ? settledText(c) : null;
      const what = row.querySelector(".zz-case-sub").parentNode;
      if (settled) what.appendChild(el("div", "zz-settled-note", settled));
      else if (stage === "supervised") what.appendChild(replyNote(c));
      else urgencyLines(what, c);
      tbody.appendChild(row);
    });
    tickCountdowns();
    paginate(PAGERS.queue);
  }

  /**
   * Under a queued case's title, what needs action now (trial AZ M7): 已派单 N 分钟未受理 once
   * its dispatch waits past its risk's limit, and a 联系时限 less than a day away as a clock time
   * (03:40); both kept up to date with the countdowns (tickUrgency).
   */
  function urgencyLines(what, c) {
    const awaiting = c.awaiting || (c.latest && c.latest.awaiting);
    if (awaiting) {
      const late = el("div", "zz-awaiting");
      late.dataset.since = awaiting.since;
      late.dataset.lateAt = awaiting.late_at;
      late.title = "派给 " + awaiting.assignee + "，" + zz.fmtTime(awaiting.since) + " 派单；" +
        awaiting.limit_minutes + " 分钟内未受理请电话联系或改派";
      what.appendChild(late);
    }
    const due = el("div", "zz-contact-soon");
    due.dataset.contact = c.contact_deadline || "";
    due.dataset.state = c.state;
    due.dataset.takenUp = c.taken_up ? "1" : "";
    what.appendChild(due);
  }

  function tickUrgency() {
    const now = Date.now();
    document.querySelectorAll(".zz-awaiting").forEach(function (line) {
      line.textContent = zz.awaitingText({ since: line.dataset.since, late_at: line.dataset.lateAt }, now);
      line.hidden = !line.textContent;
    });
    document.querySelectorAll(".zz-contact-soon").forEach(function (line) {
      const due = zz.contactDue({ contact_deadline: line.dataset.contact, state: line.dataset.state, taken_up: !!line.dataset.takenUp }, now);
      line.textContent = due ? due.text : "";
      line.title = due ? due.title : "";
      line.hidden = !due;
      line.classList.toggle("zz-past", !!(due && due.past));
    });
  }

  /** The lists that keep a case settled in the last 30 days (layers/case_lists.py SETTLED_DAYS). */
  const KEPT_SETTLED = ["from_below", "supervised", "handed_down"];
  const SETTLED_STATES = ["resolved", "evaluated", "visited", "archived"];

  /**
   * 已销号：华宁县指挥中心值班员于 2026-12-06 19:30 销号（…）: who closed a case of 下级上报, 我督办的
   * or 我交办的 and when (trial AU M2: the city saw its order carried out nowhere); null if open.
   */
  function settledText(c) {
    if (!SETTLED_STATES.includes(c.state)) return null;
    const what = c.state === "archived" ? "已销号" : "已办结";
    const s = c.settled;
    if (!s) return what + (c.closed_at ? "（" + zz.fmtTime(c.closed_at) + "）" : "");
    return what + "：" + s.actor_name + "于 " + zz.fmtTime(s.at) + " " + s.label + (s.note ? "（" + s.note + "）" : "");
  }

  /**
   * 我督办的: 「已回复（时间）：…」 with who answered, or 「未回复」, as the 调度台 says it (trial AU
   * M3: the officer re-督办'd cases already answered).
   */
  function replyNote(c) {
    const replied = c.latest && c.latest.replied;
    if (!replied) {
      const since = c.acted_since;
      const said = since ? "未回复（督办后" + since.actor_name + "已" + since.label + "）" : "未回复";
      return el("div", "zz-reply-note text-danger", said);
    }
    const said = replied.actor_name + "已回复（" + zz.fmtTime(replied.at) + "）：" + replied.note;
    const note = el("div", "zz-reply-note", said);
    note.title = replied.actor_name + "于 " + zz.fmtTime(replied.at) + " 督办回复：" + replied.note;
    return note;
  }

  /**
   * 「待审延期：县人社局申请延期至 …」 under a queued case whose handler asked for more time
   * (trial AX S5): approved or refused on the case's page; null without a request waiting.
   */
  function extensionMark(c) {
    const x = c.extension;
    if (screen || !x || x.status !== "pending") return null;
    const mark = el("div", "zz-extension-mark small fw-bold text-warning-emphasis",
      "待审延期：" + x.requested_by + "申请延期至 " + zz.fmtTime(x.requested));
    mark.title = "延期理由：" + x.reason + "；请在案件详情中批准或驳回";
    return mark;
  }

  /**
   * 「已督办，时限 …」 where 督办 would be offered but one stands: the server offers no second 督办
   * until its 督办时限 passes (the overdue list offered it again right after it was issued).
   */
  function supervisedNote(c, names) {
    if (screen || names.includes("supervise") || !c.supervision_deadline || c.closed_at) return null;
    if (new Date(c.supervision_deadline) <= new Date()) return null;
    // 督办 is a commander's, above the level that handles the case (layers/workflow.py RULES)
    if (role() !== "commander" || levelOf(st.me.scope_code) >= c.handling_level) return null;
    // wraps inside the 74 px 操作 cell: one line left the date beyond the table's edge (trial AN M3)
    const note = el("span", "zz-supervised-note text-danger", "已督办，时限 " + zz.fmtTime(c.supervision_deadline));
    note.title = "督办时限未到，不能重复督办";
    return note;
  }

  /**
   * 我上报的: the cases this worker registered in the last 30 days, the latest first, each with
   * its code and state and a link to its page. What he reports goes to the township's queue,
   * not to his 我的任务: here he follows it.
   */
  async function renderMine() {
    let mine;
    try {
      mine = await zz.api("/api/cases?stage=mine&limit=20");
    } catch (error) {
      return; // the feed's own refresh says when the platform cannot be reached
    }
    const list = document.getElementById("zz-mine-list");
    list.textContent = "";
    mine.forEach(function (c) {
      const item = el("li", "zz-mine-item");
      const link = el("a", "", c.title);
      link.href = "/cases/" + c.id;
      const state = el("span", "ms-2");
      zz.stateBadge(state, c.state);
      item.append(link, state, el("div", "text-muted small", c.code + " · " + zz.fmtTime(c.reported_at)));
      list.appendChild(item);
    });
    document.getElementById("zz-mine-empty").classList.toggle("d-none", mine.length > 0);
  }

  /** Show one of the queue pane's lists (超期案件 and 联系超时 open the area's cases they count). */
  function showQueueScope(stage) {
    const scope = document.getElementById("zz-queue-scope");
    if (!scope || role() === "analyst") return;
    scope.value = stage;
    document.querySelector(".zz-tab[data-pane=queue]").click();
    renderQueue(st.feed);
  }

  // 我的任务: a grid worker's cases dispatched to them, wherever their handling level, with the
  // actions the case page offers him (trial AS M1: 处置反馈 and the photos were only there), in
  // the order of the work, 退回 last; 受理, 处置反馈 and 办结 take photos as on the case page,
  // 办结 its 办结结果
  const TASK_ACTIONS = ["accept", "arrive", "feedback", "resolve", "return"];

  /** A task's actions (the feed's allowed_actions), in the order of the work. */
  function taskActions(c) {
    const allowed = c.allowed_actions || [];
    const rank = (a) => (TASK_ACTIONS.includes(a) ? TASK_ACTIONS.indexOf(a) : TASK_ACTIONS.length);
    return allowed.slice().sort((a, b) => rank(a) - rank(b));
  }
  let tasksShown = false;
  function renderTasks(feed) {
    const tab = document.getElementById("zz-tasks-tab");
    if (!tab || role() !== "grid_worker") return;
    tab.hidden = false;
    if (!tasksShown) {
      tasksShown = true;
      // a grid worker's first list, unless he chose another tab before the feed came
      const chosen = document.querySelector(".zz-tab.active");
      if (!chosen || chosen.dataset.pane === "queue") tab.click();
    }
    loadDuty();
    const tbody = document.getElementById("zz-tasks-body");
    tbody.textContent = "";
    document.getElementById("zz-tasks-count").textContent = feed.tasks.length;
    // red while a task is past its 办结 or its 联系时限 (trial AS M3: the count first, as 走访's)
    // a task he has not 受理'd within its limit says so in red and comes first (trial AZ M7)
    const unaccepted = (c) => !!zz.awaitingText(c.awaiting);
    const tasks = feed.tasks.slice().sort((a, b) => unaccepted(b) - unaccepted(a));
    const late = feed.tasks.filter(
      (c) => c.deadline_status === "overdue" || unaccepted(c) || (c.state === "dispatched" && !c.taken_up && c.contact_deadline && Date.parse(c.contact_deadline) <= Date.now())
    );
    const badge = document.getElementById("zz-tasks-count");
    badge.classList.toggle("text-bg-danger", late.length > 0);
    badge.classList.toggle("zz-late", late.length > 0);
    badge.title = late.length ? "其中 " + late.length + " 件已超过时限" : "";
    document.getElementById("zz-tasks-empty").classList.toggle("d-none", feed.tasks.length > 0);
    tasks.forEach(function (c) {
      const row = caseRow(c, taskActions(c));
      if (c.awaiting) {
        const wait = el("div", "zz-awaiting");
        wait.dataset.since = c.awaiting.since;
        wait.dataset.lateAt = c.awaiting.late_at;
        wait.title = zz.fmtTime(c.awaiting.since) + " 派单，应在 " + c.awaiting.limit_minutes + " 分钟内受理，请尽快受理";
        row.children[1].appendChild(wait);
      }
      if (c.state === "dispatched" && !c.taken_up && c.contact_deadline) {
        // until 受理 the 联系时限 is the nearer limit; the countdown cell counts the 办结 one
        // (trial AP m3: it stood only in the 新派单 notice)
        const past = Date.parse(c.contact_deadline) <= Date.now();
        const by = zz.fmtTime(c.contact_deadline).slice(5);
        const due = el("div", "zz-contact-due small fw-semibold " + (past ? "text-danger" : "text-primary"),
          "联系时限 " + by + (past ? " 已过" : " 前"));
        due.title = "请于 " + zz.fmtTime(c.contact_deadline) + " 前联系当事人并受理";
        row.children[1].appendChild(due);
      }
      if (c.dispatch_note) {
        // what the dispatcher asked of the worker, on the task itself (trial Z: the case page only)
        const said = el("div", "zz-dispatch-note", "派单说明：" + c.dispatch_note);
        said.title = "派单人：" + (c.dispatched_by || "");
        row.children[1].appendChild(said);
      }
      const reminded = zz.reminderMark(c.reminders);
      // on a phone no title shows on touch: the last 催办 is written out under the title
      if (reminded) row.children[1].appendChild(el("div", "zz-reminder-note", reminded.title));
      tbody.appendChild(row);
    });
    tickCountdowns();
    renderMine();
  }

  // ---- a grid worker's phone lands on his own work (trial AS M3) ------------------------------
  // The phone opened on ten KPI cards of the whole community (在办案件 13, 超期案件 2) and the
  // map, his one task peeking in at the bottom; he read the community's figures as his own. On
  // a phone (command.css, .zz-worker) his tabs come first, 我的任务 with its count; the cards
  // follow folded under 「本社区态势」, which says whose figures they are; then the map.
  let kpisFolded = true;

  function workerLanding(feed) {
    const fold = document.getElementById("zz-kpis-fold");
    if (!fold || screen || role() !== "grid_worker") return;
    document.body.classList.add("zz-worker");
    const unit = feed.unit;
    const own = unit.kind === "grid" ? "本网格" : /村$/.test(unit.name) ? "本村" : /社区$/.test(unit.name) ? "本社区" : "本辖区";
    document.getElementById("zz-kpis-fold-title").textContent = own + "态势";
    document.getElementById("zz-kpis-fold-whose").textContent = unit.name + "的全部数字，不是您个人的；您的任务见“我的任务”";
    fold.hidden = false;
    if (!fold.dataset.ready) {
      fold.dataset.ready = "1";
      fold.addEventListener("click", function () {
        kpisFolded = !kpisFolded;
        showKpisFold();
      });
    }
    showKpisFold();
  }

  function showKpisFold() {
    const fold = document.getElementById("zz-kpis-fold");
    fold.setAttribute("aria-expanded", kpisFolded ? "false" : "true");
    document.getElementById("zz-kpis").classList.toggle("zz-kpis-folded", kpisFolded);
  }

  // 上岗 / 下岗 and 上报位置 atop 我的任务, for a grid worker's account linked to his worker record
  // (/api/workers/{id}: his own only), and 上报事件 beside them for every grid worker. The dispatcher's ranking skips a worker who is not on duty
  // or whose position is older than the server's stale_minutes, so the panel says when his
  // position was reported.
  const duty = { worker: null, reads: 0 };

  function dutyBox() {
    let box = document.getElementById("zz-duty");
    if (box) return box;
    const pane = document.getElementById("zz-tasks-pane");
    if (!pane) return null;
    box = el("div", "border rounded p-2 mb-2 small");
    box.id = "zz-duty";
    box.setAttribute("aria-label", "在岗状态与位置");
    pane.insertBefore(box, pane.firstChild);
    if (!st.me.worker_id) {
      box.appendChild(el("div", "text-muted", "您的账号未关联网格员名册记录，不能上岗、下岗或上报位置；请联系系统管理员关联。"));
      // reporting an incident needs no worker record: the account's scope is enough
      const report = reportLink();
      if (report) {
        report.classList.add("mt-2");
        box.appendChild(report);
      }
      return box;
    }
    const row = el("div", "d-flex flex-wrap align-items-center gap-2");
    const label = el("span", "", "在岗状态：");
    const status = el("strong", "", "…");
    status.id = "zz-duty-status";
    label.appendChild(status);
    row.appendChild(label);
    [["zz-duty-on", "btn btn-success btn-sm", "上岗", () => setDuty("on_duty")],
      ["zz-duty-off", "btn btn-outline-secondary btn-sm", "下岗", () => setDuty("off_duty")],
      ["zz-duty-locate", "btn btn-outline-primary btn-sm", "上报位置", locate]].forEach(function ([id, cls, text, fn]) {
      const b = el("button", cls, text);
      b.type = "button";
      b.id = id;
      b.hidden = id !== "zz-duty-locate";
      b.addEventListener("click", fn);
      row.appendChild(b);
    });
    const report = reportLink();
    if (report) row.appendChild(report);
    box.appendChild(row);
    const seen = el("div", "text-muted mt-1", "");
    seen.id = "zz-duty-seen";
    box.appendChild(seen);
    const auto = el("div", "mt-1 small text-muted", "");
    auto.id = "zz-duty-auto";
    auto.hidden = true;
    box.appendChild(auto);
    const hint = el("div", "mt-1", "");
    hint.id = "zz-duty-hint";
    box.appendChild(hint);
    const error = el("div", "alert alert-danger py-1 px-2 mt-1 mb-0", "");
    error.id = "zz-duty-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    box.appendChild(error);
    setInterval(showDuty, 30000); // 「N 分钟前」 ages
    return box;
  }

  /**
   * 上报事件: what the worker found on his round, registered on the 调度台 of his scope, whose
   * form opens at once (?new=1) with 网格员上报 and his position a tap away. Only for the roles
   * POST /api/cases lets register (layers/workflow.py FIELD); null for the others.
   */
  function reportLink() {
    if (!st.me || !CASE_REGISTRARS.includes(st.me.role)) return null;
    const a = el("a", "btn btn-primary btn-sm", "上报事件");
    a.id = "zz-report-case";
    a.href = "/dispatch/" + st.me.scope_code + "?new=1";
    a.title = "登记在网格中发现或群众反映的事件（来源：网格员上报）";
    return a;
  }

  /** 3 分钟前, 2 小时前: how long ago an ISO instant was. */
  function agoText(iso) {
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    return minutes < 1 ? "刚刚" : zz.ageText(minutes) + "前";
  }

  function dutyError(text) {
    const error = document.getElementById("zz-duty-error");
    if (!error) return;
    error.textContent = text || "";
    error.hidden = !text;
  }

  function showDuty() {
    const w = duty.worker;
    const status = document.getElementById("zz-duty-status");
    if (!w || !status) return;
    status.textContent = zz.label("worker_status", w.status);
    status.dataset.status = w.status;
    status.className = w.status === "on_duty" ? "text-success" : w.status === "busy" ? "text-warning-emphasis" : "text-secondary";
    document.getElementById("zz-duty-on").hidden = w.status !== "off_duty";
    document.getElementById("zz-duty-off").hidden = w.status !== "on_duty";
    document.getElementById("zz-duty-locate").hidden = w.status === "left";
    const seen = document.getElementById("zz-duty-seen");
    seen.textContent = w.last_seen_at
      ? "位置上报于 " + zz.fmtTime(w.last_seen_at) + "（" + agoText(w.last_seen_at) + (duty.sentBy === "auto" ? "，自动上报" : "") + "）"
      : "尚未上报过位置";
    const minutes = w.last_seen_at ? (Date.now() - new Date(w.last_seen_at).getTime()) / 60000 : Infinity;
    const hint = document.getElementById("zz-duty-hint");
    let text = "";
    let cls = "mt-1 text-muted";
    if (w.status === "busy") {
      // up to open_cases_cap at once (trial AZ M3): he may be sent more until then
      const held = w.open_cases || 0;
      text = "处置中（在办 " + held + " 件" + (held === 1 && w.busy_case_code ? "，案件 " + w.busy_case_code : "") + "）：" +
        (held < (w.open_cases_cap || 0) ? "在办不足 " + w.open_cases_cap + " 件时调度员仍可向您派单；" : "已达上限，调度员暂不能再向您派单；") +
        "派给您的任务全部办结或退回后自动恢复在岗。";
    } else if (w.status === "off_duty") {
      text = "离岗期间调度员不会向您派单；开始工作时请点“上岗”并上报位置。";
    } else if (w.status === "left") {
      text = "名册登记您已离职，不能上岗；如已重新上岗，请联系管理员在网格员花名册中登记。";
    } else if (minutes > w.stale_minutes) {
      text = "位置超过 " + w.stale_minutes + " 分钟未更新，调度员的推荐名单中不会出现您，请点“上报位置”。";
      cls = "mt-1 text-danger";
    }
    hint.textContent = text;
    hint.className = cls;
    hint.hidden = !text;
  }

  async function loadDuty() {
    if (screen || role() !== "grid_worker" || !st.me) return;
    if (!dutyBox() || !st.me.worker_id) return;
    const read = ++duty.reads;
    let w;
    try {
      w = await zz.api("/api/workers/" + st.me.worker_id);
    } catch (error) {
      if (read === duty.reads) dutyError("在岗状态读取失败：" + zz.errorText(error));
      return;
    }
    if (read !== duty.reads) return;
    if (!duty.worker || duty.worker.last_seen_at !== w.last_seen_at) duty.sentBy = "";
    duty.worker = w;
    showDuty();
    startAutoLocate();
    autoLocateNow();
  }

  async function setDuty(status) {
    dutyError("");
    const buttons = ["zz-duty-on", "zz-duty-off"].map((id) => document.getElementById(id));
    buttons.forEach((b) => (b.disabled = true));
    try {
      const w = await zz.api("/api/workers/" + st.me.worker_id + "/status", { method: "POST", json: { status: status } });
      duty.reads++; // an older read answering now would undo this
      duty.worker = Object.assign({}, duty.worker, w);
      showDuty();
      autoLocateNow(); // 上岗: his position kept fresh from now on; 下岗: no more
      zz.toast(status === "on_duty" ? "已上岗" : "已下岗", "success");
    } catch (error) {
      dutyError((status === "on_duty" ? "上岗" : "下岗") + "失败：" + zz.errorText(error));
      loadDuty();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  /**
   * 上报位置: the browser's position, sent as it is. A phone gives WGS84, which the platform takes
   * as CGCS2000 unchanged (geo/crs.py to_cgcs2000: a few centimetres apart); no GCJ-02 here.
   */
  function locate() {
    dutyError("");
    zz.currentPosition(document.getElementById("zz-duty-locate"), async function (position) {
      const accuracy = Math.round(position.coords.accuracy || 0);
      try {
        await sendPosition(position, false);
        if (accuracy > 500) {
          zz.toast("已上报位置，但定位精度较低（约 " + accuracy + " 米），建议到室外开阔处重新上报", "warning");
        } else {
          zz.toast("已上报位置" + (accuracy ? "（精度约 " + accuracy + " 米）" : ""), "success");
        }
      } catch (error) {
        dutyError("位置上报失败：" + zz.errorText(error));
      }
    }, dutyError);
  }

  /** Send the browser's position as the worker's (上报位置, or on its own: `auto`). */
  async function sendPosition(position, auto) {
    const lon = position.coords.longitude;
    const lat = position.coords.latitude;
    const w = await zz.api("/api/workers/" + st.me.worker_id + "/position", { method: "POST", json: { lon: lon, lat: lat } });
    duty.reads++;
    duty.worker = Object.assign({}, duty.worker, w, { lon: lon, lat: lat });
    duty.sentBy = auto ? "auto" : "hand";
    autoLocate.sentAt = Date.now();
    rememberLocated();
    showDuty();
  }

  // ---- the position kept fresh on a phone (trial AS M7) ----------------------------------------
  // The dispatcher's 推荐网格员 leaves out a worker whose position is older than stale_minutes
  // (30): a worker who tapped 上报位置 once dropped out half an hour later with the page open in
  // his pocket. While the phone's page is open and shown, and he is 在岗 or 处置中, his position
  // is sent on its own every AUTO_LOCATE_MINUTES, once the browser allows it without asking (he
  // allowed it before), or, where the browser cannot say, once he reported on this device. Not
  // when 离岗: off duty he is not followed. The card says it, and when the last one was sent.
  const AUTO_LOCATE_MINUTES = 5;
  const phoneWidth = window.matchMedia("(max-width: 768px)");
  // sentAt: when this page last sent it (its own clock: a phone's clock may be off the server's)
  const autoLocate = { on: false, allowed: false, sending: false, failed: "", sentAt: null };

  function locatedKey() {
    return "zz.located." + (st.me ? st.me.worker_id : "");
  }

  function rememberLocated() {
    try {
      localStorage.setItem(locatedKey(), "1");
    } catch (error) {
      // storage refused (private mode): the browser's permission still says it
    }
  }

  /** Whether the browser gives the position without asking the worker (or he reported here). */
  async function locationAllowed() {
    if (!window.isSecureContext || !navigator.geolocation) return false;
    if (navigator.permissions && navigator.permissions.query) {
      try {
        const state = await navigator.permissions.query({ name: "geolocation" });
        return state.state === "granted";
      } catch (error) {
        // this browser does not say: what this device did before does
      }
    }
    try {
      return localStorage.getItem(locatedKey()) === "1";
    } catch (error) {
      return false;
    }
  }

  /** Whether the worker's page sends his position on its own now. */
  function autoLocateApplies() {
    const w = duty.worker;
    return !screen && phoneWidth.matches && !!w && !!st.me && !!st.me.worker_id && ["on_duty", "busy"].includes(w.status);
  }

  /** Send the position if the page is shown and the last one is AUTO_LOCATE_MINUTES old. */
  async function autoLocateNow() {
    autoLocate.on = autoLocateApplies();
    if (!autoLocate.on) {
      showAutoLocate();
      return;
    }
    autoLocate.allowed = await locationAllowed();
    showAutoLocate();
    const w = duty.worker;
    // minutes since the last position: as the server dated it, on the server's clock (the feed's
    // time), or since this page sent it, whichever is less
    let age = w && w.last_seen_at ? (Date.now() - (st.skew || 0) - Date.parse(w.last_seen_at)) / 60000 : Infinity;
    if (autoLocate.sentAt !== null) age = Math.min(age, (Date.now() - autoLocate.sentAt) / 60000);
    if (!autoLocate.allowed || autoLocate.sending || document.visibilityState !== "visible" || age < AUTO_LOCATE_MINUTES - 0.25) return;
    autoLocate.sending = true;
    navigator.geolocation.getCurrentPosition(
      async function (position) {
        try {
          await sendPosition(position, true);
          autoLocate.failed = "";
        } catch (error) {
          autoLocate.failed = "自动上报位置未成功：" + zz.errorText(error);
        } finally {
          autoLocate.sending = false;
          showAutoLocate();
        }
      },
      function () {
        autoLocate.sending = false;
        autoLocate.failed = "自动上报位置未成功：暂时取不到位置，可点“上报位置”重试";
        showAutoLocate();
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 } // where he is now, not a fix kept
    );
  }

  /** The card's line about the position sent on its own. */
  function showAutoLocate() {
    const line = document.getElementById("zz-duty-auto");
    if (!line) return;
    let text = "";
    let cls = "mt-1 small text-muted";
    if (autoLocate.on && autoLocate.allowed) {
      text = "本页打开期间，每 " + AUTO_LOCATE_MINUTES + " 分钟自动上报一次位置（离岗后停止）";
      if (autoLocate.failed) {
        text = autoLocate.failed;
        cls = "mt-1 small text-danger";
      }
    } else if (autoLocate.on) {
      text = "允许浏览器获取位置并点一次“上报位置”后，本页打开期间每 " + AUTO_LOCATE_MINUTES + " 分钟自动上报位置";
    }
    line.textContent = text;
    line.className = cls;
    line.hidden = !text;
  }

  let autoLocateStarted = false;
  function startAutoLocate() {
    if (autoLocateStarted || screen) return;
    autoLocateStarted = true;
    setInterval(autoLocateNow, 60000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") autoLocateNow();
    });
    phoneWidth.addEventListener("change", autoLocateNow);
  }

  /** A case's risk as a coloured badge in its cell (红色, its full label on hover). */
  function riskCell(level) {
    const risk = el("td");
    const badge = el("span", "zz-risk", zz.label("risk_level", level).replace(/（.*）/, ""));
    badge.style.background = zz.riskColor(level);
    badge.title = zz.label("risk_level", level);
    risk.appendChild(badge);
    return risk;
  }

  /**
   * A case's title, linking to its page, over a grey line (its code, category …): `sub` a text,
   * or its parts, each kept whole on a line (trial AR m7: 「矛盾纠 / 纷」 in the wall's column).
   */
  function titleCell(c, sub) {
    const what = el("td");
    const link = el("a", "zz-case-link", c.title);
    link.href = "/cases/" + c.id;
    if (screen) link.title = c.title; // the wall cuts a long title to one line (trial AZ m3)
    what.appendChild(link);
    const line = el("div", "zz-case-sub");
    (Array.isArray(sub) ? sub : [sub]).forEach(function (part, i) {
      if (i) line.appendChild(document.createTextNode(" · "));
      line.appendChild(i ? el("span", "zz-category", part) : document.createTextNode(part));
    });
    what.appendChild(line);
    return what;
  }

  /** A case's state on one line (a mark beside it may go below it). */
  function stateCellOf(state) {
    const cell = el("td", "zz-case-state");
    cell.appendChild(el("span", "zz-case-state-label", zz.label("case_state", state)));
    return cell;
  }

  /**
   * A listed case's standing 督办: the feed's `supervision`, or the `latest.supervised` of a list
   * of /api/cases (辖区超期案件 …); null when neither says more than its 督办时限.
   */
  function supervisionOf(c) {
    if (c.supervision) return c.supervision;
    const fact = c.latest && c.latest.supervised;
    if (!fact) return null;
    return { at: fact.at, by: fact.actor_name, note: fact.note, deadline: (fact.payload || {}).deadline || c.supervision_deadline, new: false };
  }

  /** Whether nobody at this unit's level or below has acted on the case since its 督办. */
  function supervisionIsNew(c) {
    const s = c.supervision;
    if (s) return !!s.new;
    return !!(st.feed && (st.feed.supervisions || []).some((f) => f.case_id === c.id));
  }

  /** The 督办 badge's tooltip: 督办意见, who and when, 督办时限, and whether it is new here. */
  /** Who has not acted on a new 督办: 本级 to the unit's own accounts; the unit by its name to a
   *  superior looking at its page (trial AN N7: the city read 本级 as itself). */
  function supervisedUnit() {
    const own = !st.me || st.me.scope_code === code;
    return own || !st.feed ? "本级" : st.feed.unit.name;
  }

  function supervisionText(c) {
    const s = supervisionOf(c);
    const lines = [];
    if (supervisionIsNew(c)) lines.push("新督办：督办后" + supervisedUnit() + "尚未处理此案件");
    if (s && s.note) lines.push("督办意见：" + s.note);
    if (s && s.by) lines.push("督办：" + s.by + "（" + zz.fmtTime(s.at) + "）");
    lines.push("督办时限：" + zz.fmtTime((s && s.deadline) || c.supervision_deadline));
    return lines.join("\n");
  }

  /**
   * 新督办: the 督办 from above that nobody here has acted on since it was issued, over the queue
   * and counted on the 待办队列 tab, each with its 督办意见, who issued it and when (trial AM M2).
   */
  function renderSupervisions(feed) {
    const list = feed.supervisions || [];
    const total = feed.supervisions_total || 0;
    const badge = document.getElementById("zz-supervision-count");
    if (badge) {
      badge.hidden = total === 0;
      badge.textContent = "新督办 " + total;
      badge.title = "上级督办后" + supervisedUnit() + "尚未处理的案件 " + total + " 件";
    }
    const box = document.getElementById("zz-supervisions");
    if (!box) return;
    box.textContent = "";
    box.hidden = total === 0;
    if (!total) return;
    box.appendChild(el("div", "zz-supervisions-title", "新督办 " + total + " 件（上级督办后" + supervisedUnit() + "尚未处理）"));
    const ul = el("ul", "list-unstyled mb-0");
    list.forEach(function (f) {
      const li = el("li", "zz-supervision");
      li.dataset.caseId = f.case_id;
      const link = el("a", "zz-case-link", f.title);
      link.href = "/cases/" + f.case_id;
      li.appendChild(link);
      const said = f.by + " " + zz.fmtTime(f.at) + " 督办" + (f.note ? "：" + f.note : "") + "；督办时限 " + zz.fmtTime(f.deadline);
      li.appendChild(el("div", "zz-supervision-note", said));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (total > list.length) box.appendChild(el("div", "zz-legend-note", "仅列出最近 " + list.length + " 件"));
  }

  /** A case's row in the queue or the tasks: risk, title and code, state, deadline, actions. */
  function caseRow(c, actionNames) {
    const tr = el("tr", "zz-queue-row");
    tr.dataset.caseId = c.id;
    tr.appendChild(riskCell(c.risk_level));
    tr.appendChild(titleCell(c, [c.code, zz.label("category", c.category)]));
    const stateCell = stateCellOf(c.state);
    if (c.supervision_deadline) {
      // the next shift sees that a superior pressed it, why, who, when and until when; a 督办
      // nobody here has acted on since is 新督办 (trial AM M2: it looked like the old one)
      const mark = el("span", "badge text-bg-danger ms-1 zz-supervised", "督办");
      mark.title = supervisionText(c);
      stateCell.appendChild(mark);
      if (supervisionIsNew(c)) {
        const fresh = el("span", "badge text-bg-warning ms-1 zz-supervision-new", "新");
        fresh.title = mark.title;
        stateCell.appendChild(fresh);
      }
    }
    // a superior's (or, on a task, the dispatcher's) 催办, until the case is acted on
    const reminded = zz.reminderMark(c.reminders);
    if (reminded) {
      const mark = el("span", "badge text-bg-warning ms-1 zz-reminded", reminded.text);
      mark.title = reminded.title;
      stateCell.appendChild(mark);
    }
    const summoned = summonMark(c);
    if (summoned) stateCell.appendChild(summoned);
    // an order its point placed in a township its address does not name (trial AX M4)
    if (c.address_mismatch && !c.closed_at) {
      const mark = el("span", "badge text-bg-danger ms-1 zz-address-mark", "地址与位置不符");
      mark.title = c.address_mismatch.text + "，请核对地址或点位";
      stateCell.appendChild(mark);
    }
    tr.appendChild(stateCell);
    // a case settled has no time left to count (trial Z: 已销号 剩余 14天23小时)
    const due = el("td", c.closed_at ? "" : "zz-countdown", c.closed_at ? "已办结" : "");
    due.dataset.deadline = c.deadline || "";
    due.dataset.warnAt = c.deadline_warn_at || "";
    tr.appendChild(due);
    if (!screen) {
      const cell = el("td");
      const actions = el("div", "zz-actions");
      cell.appendChild(actions);
      actionNames.forEach(function (action) {
        const b = el("button", "btn btn-outline-primary btn-xs zz-act", actionLabel(c, action));
        b.type = "button";
        b.dataset.action = action;
        b.addEventListener("click", () => openAction(c, action));
        actions.appendChild(b);
      });
      tr.appendChild(cell);
    }
    return tr;
  }

  /**
   * 「吹哨 已反馈 1/2」 on a case with a 吹哨 standing, how many of the departments it named
   * have answered since (a user trial: the summoning level saw no mark while the department's
   * desk said 已反馈): the feed's `summon`, or a list's `latest.summon`, counted by the rule the
   * desk reads (layers/summon_replies.py); who answered and who not in its title.
   */
  function summonMark(c) {
    const s = c.summon || (c.latest && c.latest.summon);
    if (!s || c.closed_at) return null;
    const done = s.answered === s.total;
    const mark = el("span", "badge ms-1 zz-summoned " + (done ? "text-bg-success" : "text-bg-info"),
      "吹哨 已反馈 " + s.answered + "/" + s.total);
    mark.title = (done ? "吹哨部门均已反馈：" : "吹哨中：") + s.departments.map((d) =>
      d.name + (d.answered_at ? "已反馈（" + zz.fmtTime(d.answered_at) + "）" : "未反馈")).join("，");
    return mark;
  }

  /** A 上报 offered to a level above the case's takes it up (提级办理, trial AM N10), as on the
   *  case page; every other action by its name. */
  function takingUp(c, action) {
    return action === "escalate" && levelOf(st.me ? st.me.scope_code : code) < c.handling_level;
  }

  function actionLabel(c, action) {
    if (action === "hand_down_supervise") return "交办并督办";
    return takingUp(c, action) ? "提级办理" : zz.label("case_action", action);
  }

  // ---- the wall's pages (trial AR M3: 5½ rows of the queue shown, the rest never) -----------
  // On the big screen the queue and the alerts show whole rows only, as many as their pane
  // holds, a page at a time, the next every PAGE_SECONDS, 「第 1/3 页」 beside the pane's title.
  const PAGE_SECONDS = 10;
  const PAGERS = {
    queue: { pane: "zz-queue-pane", items: "#zz-queue-body > tr", mark: "zz-queue-page", page: 0, pages: [] },
    alerts: { pane: "zz-alerts-pane", items: "#zz-alerts > li", mark: "zz-alerts-page", page: 0, pages: [] },
  };

  /** Cut a pane's rows into pages that each fit it whole, and show the current one. */
  function paginate(pager) {
    if (!screen) return;
    const pane = document.getElementById(pager.pane);
    const items = Array.from(document.querySelectorAll(pager.items));
    items.forEach((item) => (item.hidden = false));
    const mark = document.getElementById(pager.mark);
    pager.pages = [];
    if (!pane || !items.length) {
      if (mark) mark.hidden = true;
      return;
    }
    const room = pane.getBoundingClientRect().bottom - items[0].getBoundingClientRect().top;
    let page = [];
    let used = 0;
    items.forEach(function (item) {
      const height = item.getBoundingClientRect().height;
      if (page.length && used + height > room) {
        pager.pages.push(page);
        page = [];
        used = 0;
      }
      page.push(item);
      used += height;
    });
    pager.pages.push(page);
    pager.page = Math.min(pager.page, pager.pages.length - 1);
    showPage(pager);
  }

  function showPage(pager) {
    pager.pages.forEach((page, i) => page.forEach((item) => (item.hidden = i !== pager.page)));
    const mark = document.getElementById(pager.mark);
    if (!mark) return;
    mark.hidden = pager.pages.length < 2;
    mark.textContent = "第 " + (pager.page + 1) + "/" + pager.pages.length + " 页";
  }

  function turnPages() {
    Object.values(PAGERS).forEach(function (pager) {
      if (pager.pages.length < 2) return;
      pager.page = (pager.page + 1) % pager.pages.length;
      showPage(pager);
    });
  }

  function setupPages() {
    if (!screen) return;
    setInterval(turnPages, PAGE_SECONDS * 1000);
    window.addEventListener("resize", debounce(() => Object.values(PAGERS).forEach(paginate), 200));
  }

  function tickCountdowns() {
    tickUrgency();
    document.querySelectorAll(".zz-countdown").forEach(function (td) {
      const cd = zz.countdown(td.dataset.deadline || null, td.dataset.warnAt || null);
      td.textContent = cd.text;
      td.classList.toggle("zz-overdue", cd.overdue);
      td.classList.toggle("zz-soon", cd.soon);
    });
  }

  function renderAlerts(feed) {
    const ul = document.getElementById("zz-alerts");
    document.getElementById("zz-alert-count").textContent = feed.alerts_total;
    // an operator typing 处置情况 keeps the form: the list is drawn again once it is sent or cancelled
    if (ul.querySelector("form")) return;
    ul.textContent = "";
    document.getElementById("zz-alerts-empty").classList.toggle("d-none", feed.alerts.length > 0);
    byArea(feed.alerts).forEach(function (list) {
      ul.appendChild(list.length === 1 ? alertItem(list[0]) : alertGroup(list));
    });
    if (feed.alerts_total > feed.alerts.length) {
      ul.appendChild(el("li", "zz-empty", "另有 " + (feed.alerts_total - feed.alerts.length) + " 条级别较低的预警未列出，请先处置以上预警"));
    }
    renderFadedBar(feed.alerts.filter((a) => a.faded).length);
    paginate(PAGERS.alerts);
  }

  /**
   * Where an alert is: its village with the township above it, seen from a county or higher (two
   * villages of a county may share a name); the unit alone seen from its own township.
   */
  function alertPlace(a) {
    const name = a.area_name || a.area_code;
    return a.parent_name && levelOf(code) < 4 && levelOf(a.area_code) === 5 ? a.parent_name + name : name;
  }

  /**
   * The hot-spot alerts of each village (community) together, in the order of each one's first
   * alert; a 集中反映 (a.case_id) on its own line, never folded into its village's group.
   */
  function byArea(alerts) {
    const groups = new Map();
    alerts.forEach(function (a) {
      const key = a.case_id ? "case:" + a.case_id : a.area_code;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(a);
    });
    return Array.from(groups.values());
  }

  function alertItem(a) {
    const li = el("li", "zz-alert zz-alert-level-" + a.level + (a.faded ? " zz-alert-faded" : ""));
    li.dataset.alertId = a.id;
    li.dataset.cellId = a.cell_id || "";
    li.appendChild(el("div", "zz-alert-title", alertTitle(a)));
    const detail = alertDetail(a);
    if (detail.length) {
      const line = el("div", "zz-alert-detail");
      detail.forEach(function (part, i) {
        if (i) line.appendChild(document.createTextNode(" · "));
        // 本格案件数 68 起 is read as one; what its class means wraps (trial AM N1: clipped)
        line.appendChild(el("span", part.length <= 16 ? "text-nowrap" : "zz-alert-meaning", part));
      });
      li.appendChild(line);
    }
    li.appendChild(el("div", "zz-alert-meta", alertMeta(a)));
    if (a.cell_id) {
      li.classList.add("zz-alert-locatable");
      li.title = "在地图上定位";
      li.addEventListener("click", () => locateCell(a.cell_id, a.cell && a.cell.ring));
    }
    if (!screen && OPERATORS.includes(role())) li.appendChild(alertButtons(a, li)); // a wall is read, not worked
    else if (!screen && a.cell_id && CASE_READERS.includes(role())) {
      const bar = el("div", "d-flex gap-2 mt-1 zz-alert-actions");
      bar.addEventListener("click", (e) => e.stopPropagation());
      bar.appendChild(cellCasesButton(a));
      li.appendChild(bar);
    }
    // 集中反映 (layers/repeat_alerts.py): the case its reports were linked to, a click away
    if (!screen && a.case_id && CASE_READERS.includes(role())) {
      const bar = li.querySelector(".zz-alert-actions") || li.appendChild(el("div", "d-flex gap-2 mt-1 zz-alert-actions"));
      const link = el("a", "btn btn-sm btn-outline-primary zz-alert-case", "查看案件");
      link.href = "/cases/" + a.case_id;
      link.addEventListener("click", (e) => e.stopPropagation());
      bar.appendChild(link);
    }
    return li;
  }

  /** 查看案件: the cases behind an alert's hot cell (本格及相邻格, as its title counts them). */
  function cellCasesButton(a) {
    const button = el("button", "btn btn-sm btn-outline-primary zz-alert-cases", "查看案件");
    button.type = "button";
    button.title = "列出本格及相邻格在分析时段内的案件";
    button.addEventListener("click", () => openCellCases(a.cell_id, alertTitle(a)));
    return button;
  }

  /**
   * Several alerts of one village (one per hot cell of it): one line that says how many and how
   * many are not signed for yet, opened to list them (it stays open while the feed is redrawn).
   */
  function alertGroup(list) {
    const area = list[0].area_code;
    const li = el("li", "zz-alert-group zz-alert-level-" + Math.min.apply(null, list.map((a) => a.level)));
    li.dataset.area = area;
    const details = document.createElement("details");
    details.open = st.openAlertGroups.has(area);
    details.addEventListener("toggle", function () {
      if (details.open) st.openAlertGroups.add(area);
      else st.openAlertGroups.delete(area);
    });
    const unsigned = list.filter((a) => a.state === "open").length;
    const faded = list.filter((a) => a.faded).length;
    const said = [list.length + " 条预警"];
    if (unsigned) said.push(unsigned + " 条未签收");
    if (faded) said.push(faded + " 条已消退");
    const summary = el("summary", "zz-alert-group-title", alertPlace(list[0]) + "：" + said.join("，"));
    details.appendChild(summary);
    const inner = el("ul", "zz-alerts zz-alert-group-list");
    list.forEach((a) => inner.appendChild(alertItem(a)));
    details.appendChild(inner);
    li.appendChild(details);
    return li;
  }

  /** 关闭已消退的预警: every alert of the unit whose hot spot faded, closed with one note. */
  function renderFadedBar(faded) {
    const bar = document.getElementById("zz-faded-bar");
    if (!bar) return;
    bar.textContent = "";
    const shown = faded > 0 && !screen && OPERATORS.includes(role());
    bar.classList.toggle("d-none", !shown);
    if (!shown) return;
    const button = el("button", "btn btn-sm btn-outline-secondary", "关闭已消退的预警（" + faded + "）");
    button.type = "button";
    button.addEventListener("click", function () {
      button.classList.add("d-none");
      const form = zz.reasonForm(
        async function (note) {
          const done = await zz.api("/api/alerts/close-faded", { method: "POST", json: { code: code, note: note } });
          await refreshFeed();
          zz.toast("已关闭 " + done.closed + " 条已消退的预警", "success");
        },
        function () {
          form.remove();
          button.classList.remove("d-none");
        },
        { label: "处置情况", note: "每条已消退的预警都记下这一处置情况", noun: "处置情况", choices: FADED_NOTES },
      );
      bar.appendChild(form);
      form.querySelector(".zz-unmask-reason").focus();
    });
    bar.appendChild(button);
  }

  /** The unit's latest closed alerts, each with who closed it, when, and what was done. */
  async function loadClosedAlerts() {
    const box = document.getElementById("zz-closed-alerts");
    if (!box || !box.open) return;
    const ul = document.getElementById("zz-closed-list");
    const writing = () => ul.querySelector("form") !== null; // an operator typing why: keep it
    if (writing()) return;
    const page = await zz.api("/api/alerts?state=closed&limit=20&code=" + code);
    if (writing()) return;
    ul.textContent = "";
    document.getElementById("zz-closed-empty").classList.toggle("d-none", page.alerts.length > 0);
    page.alerts.forEach(function (a) {
      const li = el("li", "zz-alert zz-alert-closed");
      li.appendChild(el("div", "zz-alert-title", alertTitle(a)));
      li.appendChild(el("div", "zz-alert-detail", "处置情况：" + (a.close_note || "—")));
      const who = a.closed_by_name ? a.closed_by_name + " " : "";
      li.appendChild(el("div", "zz-alert-meta", alertPlace(a) + " · " + who + zz.fmtTime(a.closed_at) + " 关闭"));
      if (OPERATORS.includes(role())) li.appendChild(reopenButton(a, li));
      ul.appendChild(li);
    });
  }

  /** 重新打开 (asks why): the alert goes back to the feed, signed for by this operator. */
  function reopenButton(a, li) {
    const button = el("button", "btn btn-sm btn-outline-secondary mt-1 zz-alert-reopen", "重新打开");
    button.type = "button";
    button.addEventListener("click", function () {
      button.classList.add("d-none");
      const form = zz.reasonForm(
        async function (reason) {
          await zz.api("/api/alerts/" + a.id + "/reopen", { method: "POST", json: { reason: reason } });
          form.remove(); // done: the list may be read again
          await Promise.all([refreshFeed(), loadClosedAlerts()]);
          zz.toast("已重新打开：" + alertTitle(a), "success");
        },
        function () {
          form.remove();
          button.classList.remove("d-none");
          showClosedAlerts(); // what changed while the form was open
        },
        { label: "重新打开的原因", note: "原处置情况记入审计日志", noun: "原因", choices: REOPEN_REASONS },
      );
      li.appendChild(form);
      form.querySelector(".zz-unmask-reason").focus();
    });
    return button;
  }

  /** When it was raised (and found again by a later analysis), its state and who signed for it. */
  function alertMeta(a) {
    const parts = [zz.fmtTime(a.created_at)];
    if (a.faded) parts.push("最近一次分析已不是热点");
    else if (a.refreshed_at) parts.push("最近分析仍为热点 " + zz.fmtTime(a.refreshed_at));
    let state = zz.label("alert_state", a.state);
    if (a.acknowledged_by_name) state += "（" + a.acknowledged_by_name + "）";
    parts.push(state);
    return parts.join(" · ");
  }

  const OPERATORS = ["commander", "dispatcher"];
  const CLOSE_NOTES = ["已组织排查，加强巡逻防控", "已会同相关部门处置", "已化解，持续关注", "经核查无需处置"];
  const REOPEN_REASONS = ["误关闭", "问题仍未解决，继续处置"];
  const FADED_NOTES = ["热点已消退，经核查无需继续处置", "已组织排查，热点已消退", "已化解，持续关注"];

  /** 签收 (an open alert) and 关闭 (asks 处置情况): the feed is read again after either, then a toast. */
  function alertButtons(a, li) {
    const bar = el("div", "d-flex gap-2 mt-1 zz-alert-actions");
    bar.addEventListener("click", (e) => e.stopPropagation()); // not a click on the alert
    const act = async function (path, json, done) {
      await zz.api("/api/alerts/" + a.id + "/" + path, { method: "POST", json: json });
      li.querySelectorAll("form").forEach((form) => form.remove()); // done: the list may be read again
      await refreshFeed(); // the list as it is now, then the word that it was done
      zz.toast(done + "：" + alertTitle(a), "success");
    };
    if (a.state === "open") {
      const sign = el("button", "btn btn-sm btn-outline-primary zz-alert-acknowledge", "签收");
      sign.type = "button";
      sign.addEventListener("click", async function () {
        sign.disabled = true;
        try {
          await act("acknowledge", {}, "已签收");
        } catch (err) {
          zz.toast(zz.errorText(err), "danger");
          sign.disabled = false;
        }
      });
      bar.appendChild(sign);
    }
    if (a.cell_id) bar.appendChild(cellCasesButton(a));
    const close = el("button", "btn btn-sm btn-outline-secondary zz-alert-close", "关闭");
    close.type = "button";
    close.addEventListener("click", function () {
      bar.classList.add("d-none");
      const form = zz.reasonForm(
        (note) => act("close", { note: note }, "已关闭"),
        function () {
          form.remove();
          bar.classList.remove("d-none");
          renderAlerts(st.feed); // what arrived while the form was open
        },
        { label: "处置情况", note: "关闭后保留在预警上", noun: "处置情况", choices: CLOSE_NOTES },
      );
      form.addEventListener("click", (e) => e.stopPropagation());
      li.appendChild(form);
      form.querySelector(".zz-unmask-reason").focus();
    });
    bar.appendChild(close);
    return bar;
  }

  /** The alert's title without the analysis cell's technical id, e.g. "（H3 88407181bdfffff）". */
  function alertTitle(a) {
    return a.title.replace(/[（(]\s*H3[^）)]*[）)]/, "").trim();
  }

  /**
   * An alert's hot cell said as its popup says it: the confidence of its Gi* class, 本格 and
   * 本格及相邻格 (the title's figure), the z-score; other details as they are when Chinese.
   */
  function alertDetail(a) {
    // what its class means and on which periods, said first (trial AF: 零星 read as minor)
    const first = (a.detail || "").split("；")[0];
    // 「（按周判定）」 once: not again here when the title already says it (since 5afca45)
    const judged = /（[^（）]*判定）$/.exec(first);
    const said = judged && alertTitle(a).includes(judged[0]) ? first.slice(0, -judged[0].length) : first;
    const meaning = judged ? [said] : [];
    if (a.cell) return meaning.concat(cellFigures(a.cell).map((r) => r[0] + " " + r[1]));
    // an alert written before its detail was Chinese (Gi* z=2.31, p=0.021；…): its score only
    const m = /z=([-\d.]+),\s*p=([\d.]+)/.exec(a.detail || "");
    if (m) return ["热点得分 " + Number(m[1]).toFixed(2)];
    return a.detail && !/[A-Za-z]/.test(a.detail) ? a.detail.split("；") : [];
  }

  /** A count of a hot cell as shown (null: a small count the reader may not see exactly). */
  function cellCount(n) {
    return n === null || n === undefined ? "少于 3" : n + " 起";
  }

  /** 本格及相邻格 as shown: null when a cell of the ring holds a small count, whatever the sum
   *  (it would give that count back beside the others shown, trial AJ), so not 少于 3. */
  function cellAround(n) {
    // said why: the sum is not small, a neighbour is (trial AT M7: 「不予显示」 beside 本格 68 起)
    return n === null || n === undefined ? "不予显示（相邻格中有少于 3 起的，合计会透露其数）" : n + " 起";
  }

  /** The rows a hot cell's popup and its alert both show, in this order, with these labels. */
  function cellFigures(f) {
    const rows = [];
    if (HOT_CONFIDENCE[f.bin]) rows.push(["置信度", HOT_CONFIDENCE[f.bin]]);
    rows.push([CELL_OWN, cellCount(f.own)], [CELL_AROUND, cellAround(f.around)]);
    // no score for a reader who may not see small counts: it would give them back (trial AJ M4)
    if (f.z !== null && f.z !== undefined) rows.push(["热点得分", Number(f.z).toFixed(2)]);
    return rows;
  }

  /**
   * Zoom to the hot-spot cell an alert is about and open its popup. A cell of another run than
   * the one the map shows (an earlier one, or one of other cell sizes: a township's own run) is
   * not drawn: its outline (`ring`, [lat, lng] pairs) is marked where it was, and said.
   */
  async function locateCell(cellId, ring) {
    const entry = st.layers.hotspots;
    if (!entry) return;
    if (!entry.visible) {
      entry.visible = true;
      updateLayer(entry);
      renderSwitcher();
    }
    await entry.loading;
    const found = hotCell(cellId);
    if (!found && ring) {
      const where = L.polygon(ring);
      map.fitBounds(where.getBounds(), { maxZoom: 15, paddingBottomRight: [panelPad(), 0], animate: false });
      markCell(where, cellId);
      zz.toast("该预警的热点格未在本图画出（格心不在本辖区内，或来自较早的、分析单元大小不同的分析），已标出其所在位置", "info");
      return;
    }
    if (!found) {
      zz.toast("该预警的热点不在最新一次分析结果中", "info");
      return;
    }
    map.fitBounds(found.getBounds(), { maxZoom: 15, paddingBottomRight: [panelPad(), 0], animate: false });
    markCell(found, cellId);
    found.openPopup();
  }

  /**
   * 查找's camera or case (map_search.js, trial BB M7), the map centred on it already: its layer
   * turned on, and its marker's popup opened once the layer's points there are drawn (openFound,
   * also from loadFeatures); the search's own popup where the layer does not draw it (a case
   * outside 案件范围). Left to map_search.js where this account reads the layer as counts only.
   */
  function showFound(e) {
    const item = e.detail.item;
    const collection = { camera: "video_points", case: "cases" }[item.kind];
    const entry = Object.values(st.layers).find((x) => x.def.collection === collection);
    if (!entry || item.lon === null || !mayFeatures(entry.def)) return;
    e.preventDefault();
    st.found = { entry: entry, id: item.id, popup: e.detail.popup };
    if (!entry.visible) {
      entry.visible = true;
      renderSwitcher();
    }
    updateLayer(entry);
    if (entry.mode === "features" && entry.loadedBounds && entry.loadedBounds.contains(map.getBounds())) openFound(entry);
  }

  /** The popup of the point 查找 picked (showFound), once its layer's points are drawn. */
  function openFound(entry) {
    const found = st.found;
    if (!found || found.entry !== entry) return;
    st.found = null;
    const marker = entry.markers[found.id];
    if (marker) entry.cluster.zoomToShowLayer(marker, () => marker.openPopup());
    else found.popup();
  }

  /**
   * Outline the cell located (it flashes, then stays outlined until another is located): among
   * hexagons of the same colour, the operator sees which one the alert is about. Drawn in a pane
   * of its own that takes no mouse event, so the cells under it keep their popups.
   */
  function markCell(layer, cellId) {
    const group = st.layers.hotspots.group; // hidden with the cells, drawn again when they reload
    if (!map.getPane("zzCellMark")) {
      const pane = map.createPane("zzCellMark");
      pane.style.zIndex = 450;
      pane.style.pointerEvents = "none";
      st.markRenderer = L.svg({ pane: "zzCellMark" });
    }
    if (st.cellMark) group.removeLayer(st.cellMark);
    st.cellMark = L.polygon(layer.getLatLngs(), {
      pane: "zzCellMark",
      renderer: st.markRenderer,
      interactive: false,
      className: "zz-cell-mark",
      color: "#00e5ff",
      weight: 4,
      opacity: 1,
      fill: false,
    });
    st.cellMark.cellId = cellId;
    group.addLayer(st.cellMark);
  }

  /** The drawn hot cell of id `cellId` (null when the latest run has no such cell). */
  function hotCell(cellId) {
    let found = null;
    st.layers.hotspots.group.eachLayer(function (geo) {
      if (geo.eachLayer) geo.eachLayer((l) => { if (l.feature && l.feature.id === cellId) found = l; });
    });
    return found;
  }

  // ---- outline and KPI shading ---------------------------------------------------------------
  function childKpis() {
    const out = {};
    (st.feed ? st.feed.children : []).forEach((c) => (out[c.code] = c.kpis));
    return out;
  }
  /**
   * The value a unit is classed by: a count itself, a share in tenths of a percent as its
   * tooltip and card show it (0.1904 is 19.0%, 190), so that it lies in the class its figure reads.
   */
  function classValue(value) {
    return SHARE_KPIS.includes(st.kpi) ? Math.round(parseFloat(fmtKpi(st.kpi, value)) * 10) : value;
  }
  /**
   * The shading's classes: {bounds, max}, five equal spans of the maximum, each bound the last
   * value of its class: a count in whole numbers (0 – 14, 15 – 28 … 57 以上), a share at whole
   * percents in tenths (0% – 19.0%, 19.1% – 38.0% … 76.1% 以上: 「0%–19%」「19%–38%」 put a unit
   * of 19% in two, s48); fewer classes when the values are few (0, 1, 2, 3 以上), never two alike.
   */
  function breaks(values) {
    const max = Math.max(0, ...values.filter((v) => v !== null && v !== undefined));
    const fifths = [1, 2, 3, 4].map((i) => (max * i) / 5);
    // a share's whole percent, past the float's noise (0.95 * 3 / 5 * 100 is 56.99…)
    const whole = SHARE_KPIS.includes(st.kpi) ? (v) => Math.floor(+(v * 100).toFixed(6)) * 10 : Math.floor;
    return { bounds: [...new Set(fifths.map(whole))], max: max };
  }
  /** The ramp's colour of class i of n + 1 classes: the first and the last at the ramp's ends. */
  function rampColour(ramp, i, n) {
    return ramp[n ? Math.round((i * (ramp.length - 1)) / n) : 0];
  }
  function colorFor(value, br) {
    if (value === null || value === undefined) return "#d9d9d9";
    const ramp = GOOD_KPIS.includes(st.kpi) ? RAMP_GOOD : RAMP_BAD;
    const v = classValue(value);
    let i = 0;
    while (i < br.bounds.length && v > br.bounds[i]) i++;
    return rampColour(ramp, i, br.bounds.length);
  }

  function shade() {
    if (!st.childLayer) return;
    const kpis = childKpis();
    const values = Object.values(kpis).map((k) => k[st.kpi]);
    const br = breaks(values);
    st.childLayer.eachLayer(function (layer) {
      const k = kpis[layer.feature.properties.code];
      const value = k ? k[st.kpi] : null;
      layer.setStyle({ fillColor: colorFor(value, br) });
      layer.setTooltipContent(
        "<b>" + zz.esc(layer.feature.properties.name) + "</b><br>" + zz.esc(KPI_LABELS[st.kpi]) + "：" + zz.esc(fmtKpi(st.kpi, value))
      );
    });
    renderLegend(br);
  }

  /** The legend's lines of the shading's classes (see breaks): each from past the last one's end. */
  function classLines(br) {
    const bounds = br.bounds;
    const share = SHARE_KPIS.includes(st.kpi);
    const say = share ? (t) => (t ? (t / 10).toFixed(1) : "0") + "%" : String;
    return bounds.concat([null]).map(function (hi, i) {
      const lo = i ? bounds[i - 1] + 1 : 0;
      return hi === null ? say(lo) + " 以上" : hi === lo ? say(lo) : say(lo) + " – " + say(hi);
    });
  }

  function renderLegend(br) {
    const box = document.getElementById("zz-legend");
    const ramp = GOOD_KPIS.includes(st.kpi) ? RAMP_GOOD : RAMP_BAD;
    let html = '<div class="zz-legend-title">' + zz.esc(KPI_LABELS[st.kpi]) + "</div>";
    // a unit shaded grey for its 「—」: why, where the wall's reader looks (trial AU M6)
    const values = Object.values(childKpis()).map((k) => k[st.kpi]);
    const blanks = values.filter((v) => v === null || v === undefined).length;
    const why = blanks ? blankWhy(st.kpi) : "";
    if (why && blanks === values.length) {
      // every unit's 「—」: said by the line below, not as 「0 或无数据」
    } else if (!(br.max > 0)) {
      html += '<div><i style="background:' + ramp[0] + '"></i>各单位均为 0 或无数据</div>';
    } else {
      classLines(br).forEach(function (line, i) {
        html += '<div class="zz-legend-class"><i style="background:' + rampColour(ramp, i, br.bounds.length) + '"></i>' + line + "</div>";
      });
    }
    if (why) html += '<div class="zz-legend-blank zz-legend-wrap"><i style="background:' + colorFor(null, br) + '"></i>「—」' + why + "</div>";
    html += '<div class="zz-legend-title mt-1">风险等级</div>';
    [1, 2, 3, 4].forEach(function (r) {
      html += '<div><i class="round" style="background:' + zz.riskColor(r) + '"></i>' + zz.esc(zz.label("risk_level", r)) + "</div>";
    });
    html += '<div id="zz-cluster-legend"></div><div id="zz-case-legend"></div><div id="zz-hot-legend"></div><div id="zz-people-legend"></div>';
    // 收起图例 / 展开图例 (trial BB m11), not on the wall, where nobody works the map
    const folded = box.classList.contains("zz-legend-folded");
    box.innerHTML = screen
      ? html
      : '<button type="button" class="zz-legend-fold" id="zz-legend-fold" aria-controls="zz-legend-body" aria-expanded="' +
        !folded + '">' + (folded ? "展开图例 ▴" : "收起图例 ▾") + '</button><div id="zz-legend-body">' + html + "</div>";
    renderClusterLegend();
    renderCaseLegend();
    renderHotLegend();
    renderPeopleLegend();
  }

  /**
   * The people on the map (when shown): grid workers as round dots, special-population persons
   * as diamonds, told apart from the round case markers (trial AB: read as cases).
   */
  const PEOPLE_SHAPES = [["workers", "round"], ["persons", "zz-diamond"]];
  function renderPeopleLegend() {
    const box = document.getElementById("zz-people-legend");
    if (!box) return;
    const shown = PEOPLE_SHAPES.filter(([id]) => st.layers[id] && st.layers[id].visible);
    // an account that never gets the persons' points is not promised them (trial AM M5)
    const points = shown.filter(([id]) => id !== "persons" || mayFeatures(st.layers[id].def));
    let html = points.length ? '<div class="zz-legend-title mt-1">人员（放大后显示）</div>' : "";
    points.forEach(function ([id, shape]) {
      const def = st.layers[id].def;
      if (id === "workers") {
        // drawn by status (STATUS_COLOR), round, the ones not at work hollow (trial BB M1)
        html += '<div class="zz-legend-worker-title">' + zz.esc(def.title) + "（圆点）</div>";
        ["on_duty", "busy", "off_duty"].forEach(function (status) {
          const colour = STATUS_COLOR[status];
          const look = HOLLOW_STATUS.includes(status) ? 'class="round zz-hollow" style="border-color:' + colour : 'class="round" style="background:' + colour;
          html += '<div class="zz-legend-indent"><i ' + look + '"></i>' + zz.esc(zz.label("worker_status", status)) + "</div>";
        });
        return;
      }
      const said = id === "persons" ? def.title + "（姓名脱敏、位置模糊）" : def.title;
      html += '<div><i class="' + shape + '" style="background:' + def.style.color + '"></i>' + zz.esc(said) + "</div>";
    });
    const counted = points.filter(([id]) => st.layers[id].counted);
    if (counted.length) {
      // more in view than the page draws: counted per grid (trial BC S3)
      const said = counted.map(([id]) => (id === "workers" ? "网格员数字为在岗/总数" : "特殊人群数字为人数")).join("，");
      html += '<div class="zz-legend-note zz-count-note">人数较多时按网格或村（社区）显示数字（' + said + "），点击数字放大查看</div>";
    }
    const persons = st.layers.persons;
    if (persons && persons.visible && persons.mode === "hexagons") html += personCountLegend(persons.def);
    box.innerHTML = html;
  }

  /**
   * The special-population hexagons' part of the legend: what they count and their shades (as
   * common.js vectorTiles shades a count); for a summary-only account, that small cells are left
   * out and that a click gives the count.
   */
  function personCountLegend(def) {
    const floor = mayFeatures(def) ? 1 : 3;
    const title = def.title + "人数（每格" + (floor > 1 ? "，少于 " + floor + " 人不显示" : "") + "）";
    let html = '<div class="zz-legend-title mt-1 zz-person-count-title">' + zz.esc(title) + "</div>";
    const classes = [floor, 10, 30, 100];
    classes.forEach(function (lo, i) {
      const hi = i + 1 < classes.length ? classes[i + 1] - 1 : null;
      const alpha = Math.min(0.85, 0.15 + Math.log10(1 + lo) / 2.5);
      html += '<div><i style="background:' + def.style.color + ";opacity:" + alpha.toFixed(2) + '"></i>' + (hi === null ? lo + " 以上" : lo + " – " + hi) + "</div>";
    });
    html += '<div class="zz-legend-note">点击六边形查看人数' + (floor > 1 ? "；本账号只能查看汇总数" : "") + "</div>";
    return html;
  }

  /** The hot-spot cells' part of the legend (when drawn): their colour by confidence. */
  function renderHotLegend() {
    const box = document.getElementById("zz-hot-legend");
    const entry = st.layers.hotspots;
    if (!box) return;
    if (!entry || !entry.visible) {
      box.innerHTML = "";
      return;
    }
    let html = '<div class="zz-legend-title mt-1">热点分析（最近一次）</div>';
    [3, 2, 1].forEach(function (bin) {
      // filled in the cell's colour, as the map draws it: three white squares with thin dashed
      // borders were one swatch at wall distance (trial AU m5)
      const colour = HOT_COLOURS[bin];
      html += '<div><i class="zz-hot-swatch" style="border-color:' + colour + ";background:" + colour + '"></i>热点，置信度 ' + HOT_CONFIDENCE[bin] + "</div>";
    });
    // which cells, and why one may cross the outline (trial AQ m8): its figures are the whole cell's
    html += '<div class="zz-legend-note zz-legend-wrap zz-hot-rule">' + HOT_RULE + "</div>";
    box.innerHTML = html;
  }

  /**
   * The points drawn one by one (zoomed in), when shown: cases clustered, and the cameras (视频点位)
   * by status, clustered (the purple numbered circles: trial AQ M5, read as case counts) and
   * their view cones.
   */
  function renderClusterLegend() {
    const box = document.getElementById("zz-cluster-legend");
    if (!box) return;
    const drawn = (id) => st.layers[id] && st.layers[id].visible && st.layers[id].mode === "features";
    const number = (colour, n) => '<i class="zz-cluster-swatch" style="background:' + colour + '">' + n + "</i>";
    let html = "";
    if (drawn("cases")) {
      html += '<div class="zz-legend-wrap">' + number(zz.riskColor(2), 3) + "多件案件聚合（颜色为其中最高风险），点击放大</div>";
    }
    if (drawn("video_points")) {
      const def = st.layers.video_points.def;
      // a camera is a square with a lens, a worker a round dot (trial BB M1)
      html += '<div class="zz-legend-title mt-1">' + zz.esc(def.title) + "（方形）</div>";
      html += '<div><i class="zz-cam" style="background:' + STATUS_COLOR.online + '"></i>在线</div>';
      html += '<div><i class="zz-cam zz-hollow" style="border-color:' + STATUS_COLOR.offline + '"></i>离线（空心）</div>';
      html += '<div class="zz-legend-wrap">' + number(def.style.color, 5) + "多个视频点位聚合（数字为点位数，灰色扇面为离线的比例），点击放大</div>";
      html += '<div class="zz-legend-note zz-legend-wrap">放大后显示监视范围（扇形）</div>';
    }
    // the cameras' hexagons below their aggregation zoom (trial BB m2: not explained at county zoom)
    const cams = st.layers.video_points;
    if (cams && cams.visible && cams.mode === "hexagons") {
      html += '<div class="zz-legend-title mt-1 zz-camera-hex-title">' + zz.esc(cams.def.title) + "（聚合）</div>";
      html += '<div class="zz-legend-wrap"><i class="zz-hex" style="background:' + cams.def.style.color + '"></i>每格的视频点位数，颜色越深越多；放大后显示各点位</div>';
    }
    box.innerHTML = html;
  }

  /** The case-count hexagons' part of the legend: what they count, its classes (when drawn). */
  function renderCaseLegend() {
    const box = document.getElementById("zz-case-legend");
    const entry = st.layers.cases;
    if (!box) return;
    if (!entry || !entry.visible || entry.mode !== "hexagons") {
      box.innerHTML = "";
      return;
    }
    let html = '<div class="zz-legend-title mt-1">' + zz.esc(CASE_COUNT_LABELS[st.caseState]) + "（每格）</div>";
    // counts only, small counts suppressed (an analyst): no class below 3 is ever drawn
    const floor = mayFeatures(entry.def) ? 1 : 3;
    CASE_CLASSES.forEach(function (first, i) {
      const hi = i + 1 < CASE_CLASSES.length ? CASE_CLASSES[i + 1] - 1 : null;
      if (hi !== null && hi < floor) return;
      const lo = Math.max(first, floor);
      const range = hi === null ? lo + " 以上" : hi === lo ? String(lo) : lo + " – " + hi;
      html += '<div><i style="background:' + CASE_RAMP[i] + '"></i>' + range + "</div>";
    });
    if (floor > 1) html += '<div class="zz-legend-note">少于 3 件的格不显示</div>';
    // a hexagon at the edge reaches over the outline; what it counts does not (trial AR m8)
    html += '<div class="zz-legend-note zz-legend-wrap zz-case-hex-rule">按整格画出，可越过边界；只计本平台所辖范围内的案件</div>';
    box.innerHTML = html;
  }

  function drawOutline(fc) {
    const style = LAYERS.find((l) => l.id === "units").style;
    const unit = { type: "FeatureCollection", features: fc.features.filter((f) => f.properties.role === "unit") };
    const kids = { type: "FeatureCollection", features: fc.features.filter((f) => f.properties.role === "child") };
    // children first: hot-spot cells drawn later on the same canvas take the clicks over them
    st.childLayer = L.geoJSON(kids, {
      style: { color: "#ffffff", weight: 1.2, fillOpacity: 0.55, fillColor: "#d9d9d9" },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip("", { sticky: true, className: "zz-unit-tip" });
        layer.on("mouseover", () => layer.setStyle({ weight: 3, color: "#ffd700" }));
        layer.on("mouseout", () => layer.setStyle({ weight: 1.2, color: "#ffffff" }));
        if (feature.properties.kind === "jurisdiction") {
          layer.on("click", () => window.location.assign(childUrl(feature.properties)));
        }
      },
    });
    st.unitLayer = L.geoJSON(unit, {
      style: { color: screen ? "#4fc3f7" : style.color, weight: 3, fill: false },
      interactive: false,
    });
    const group = L.layerGroup([st.childLayer, st.unitLayer]);
    st.layers.units = { def: LAYERS.find((l) => l.id === "units"), group: group };
    if (st.unitLayer.getLayers().length) {
      map.invalidateSize(false);
      fitUnit();
    }
    labelChildren(kids);
    shade();
  }

  function labelChildren(kids) {
    if (kids.features.length > 60) return;
    st.layers.units.group.addLayer(zz.nameLabels(st.childLayer));
  }

  // ---- layers ----------------------------------------------------------------------------------
  function role() {
    return st.me ? st.me.role : "";
  }
  /** A feature role of a scope wider than the layer's feature_from_level gets counts only. */
  function mayFeatures(def) {
    const level = st.me ? levelOf(st.me.scope_code) : 0;
    return def.feature_roles.includes(role()) && level >= (def.feature_from_level || 1);
  }
  function mayAggregate(def) {
    return def.feature_roles.includes(role()) || def.aggregate_roles.includes(role());
  }
  /** What a layer shows at zoom z: "features", "hexagons", "tiles", "data" or null (nothing). */
  function modeAt(def, z) {
    if (z < def.min_zoom || z > def.max_zoom) return null;
    if (def.source === "points") {
      const agg = def.aggregate_below_zoom || 0;
      if (mayFeatures(def) && z >= agg) return "features";
      return mayAggregate(def) ? "hexagons" : null;
    }
    if (def.source === "tiles") return mayAggregate(def) ? "tiles" : null;
    return "data";
  }

  /**
   * A point layer's hexagons for an account that sees its points from `aggregate_below_zoom` on:
   * tiles of the zoom below it at most. The map fits a unit at quarter zooms, and at 11.75 Leaflet
   * asks tiles of zoom 12 (its zoom rounded), which the server answers with points, not counts:
   * a township's page drew its cases and cameras as faint dots under a legend of hexagons, from
   * 40 tiles of points (s48); the cells of zoom 11 are drawn larger there instead.
   */
  function hexagonZooms(def) {
    const below = def.aggregate_below_zoom;
    if (def.source !== "points" || !below || !mayFeatures(def)) return def;
    return Object.assign({}, def, { max_native_zoom: below - 1 });
  }

  function vectorTiles(def, hexagons) {
    if (hexagons) def = hexagonZooms(def);
    if (def.collection === "cases") return caseTiles(def, hexagons);
    const layer = zz.vectorTiles(def, hexagons);
    if (hexagons && def.id === "persons") countPopups(layer, def);
    layer.on("load", () => markTiles(def.id));
    return layer;
  }

  /**
   * The special-population hexagons answer a click with their count (trial AM M5: a city's
   * click went through them to the county's outline and drilled the page into it). Drawn as SVG
   * in a pane above the units' outlines, where only the hexagons themselves take a click.
   */
  function countPopups(layer, def) {
    if (!map.getPane("zzPersonCounts")) {
      const pane = map.createPane("zzPersonCounts");
      pane.style.zIndex = 430;
      pane.style.pointerEvents = "none";
    }
    layer.options.pane = "zzPersonCounts";
    layer.options.interactive = true;
    layer.options.rendererFactory = L.svg.tile;
    layer.on("click", function (e) {
      if (e.originalEvent) L.DomEvent.stopPropagation(e.originalEvent);
      const n = Number(((e.layer && e.layer.properties) || {}).count || 0);
      const note = mayFeatures(def) ? "放大后显示人员（姓名脱敏）" : "本账号只能查看汇总数，不显示个人";
      L.popup({ className: "zz-person-count-popup" })
        .setLatLng(e.latlng)
        .setContent('<div class="zz-popup"><div class="zz-popup-title">' + zz.esc(def.title) + "</div>" +
          popupRows([["本格人数", n + " 人"]]) + '<div class="zz-popup-note">' + note + "</div></div>")
        .openOn(map);
    });
  }

  /**
   * The cases' tiles of the chosen 案件范围 (state=); their hexagons in the legend's classes, drawn
   * above the shaded units (as the legend shows them) and below the markers, never taking a click.
   */
  function caseTiles(def, hexagons) {
    const layer = zz.vectorTiles(Object.assign({}, def, { tiles: def.tiles + "?state=" + st.caseState }), hexagons);
    if (hexagons) {
      layer.options.vectorTileLayerStyles[def.collection] = caseHexagon;
      if (!map.getPane("zzCaseCounts")) {
        const pane = map.createPane("zzCaseCounts");
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
      }
      layer.options.pane = "zzCaseCounts";
    }
    layer.on("load", () => markTiles(def.id));
    return layer;
  }
  function caseHexagon(props) {
    const n = Number(props.count || 0);
    let i = 0;
    while (i + 1 < CASE_CLASSES.length && n >= CASE_CLASSES[i + 1]) i++;
    return { fill: true, fillColor: CASE_RAMP[i], fillOpacity: 0.85, color: "#67000d", weight: 0.6, opacity: 0.7 };
  }

  /** Record when each tile layer first finished loading (zzTilesAt: the cases layer). */
  function markTiles(id) {
    const times = (window.zzTileTimes = window.zzTileTimes || {});
    if (!(id in times)) times[id] = performance.now();
    if (id === "cases" && window.zzTilesAt === undefined) window.zzTilesAt = times[id];
  }

  /**
   * Clustered markers; a cluster takes the layer's colour (cases: the highest risk inside). A
   * click zooms in until its points spread (trial AQ M5: markercluster spiderfied the cameras of
   * a village's cluster a few pixels apart, which read as nothing happening).
   */
  function cluster(def) {
    const group = L.markerClusterGroup({
      disableClusteringAtZoom: CLUSTER_OFF_ZOOM,
      maxClusterRadius: 50,
      chunkedLoading: true,
      showCoverageOnHover: false,
      zoomToBoundsOnClick: false,
      spiderfyOnMaxZoom: false,
      iconCreateFunction: function (c) {
        let color = def.style.color;
        if (def.collection === "cases") {
          const top = Math.min(...c.getAllChildMarkers().map((m) => m.zzRisk || 4));
          color = zz.riskColor(top);
        }
        const n = c.getChildCount();
        const size = n < 10 ? 26 : n < 100 ? 32 : 38;
        // in rem, centred on its icon: as large as before on the console, twice on a 4K wall,
        // whose root font is twice as large (trial AR: the circles stayed their 1080p size)
        const side = size / 16 + "rem";
        let look = "background-color:" + color + ";width:" + side + ";height:" + side + ";line-height:" + side +
          ";margin:calc((" + size + "px - " + side + ") / 2)";
        // the cameras' offline share as a grey sector, said in its title (trial BB m3)
        let title = "";
        if (def.collection === "video_points") {
          const off = c.getAllChildMarkers().filter((m) => m.zzOffline).length;
          title = n + " 个视频点位" + (off ? "，其中离线 " + off + " 个" : "，均在线") + "，点击放大";
          if (off) {
            const deg = Math.round((360 * off) / n);
            look += ";background-image:conic-gradient(" + STATUS_COLOR.offline + " 0deg " + deg + "deg, transparent " + deg + "deg)";
          }
        }
        return L.divIcon({
          className: "zz-cluster zz-cluster-" + def.id,
          html: '<span style="' + look + '"' + (title ? ' title="' + title + '"' : "") + ">" + n + "</span>",
          iconSize: [size, size],
        });
      },
    });
    group.on("clusterclick", spreadCluster);
    return group;
  }

  /** Zoom to a cluster's points, at least one step and at most until clustering stops. */
  function spreadCluster(e) {
    const bounds = e.layer.getBounds();
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      e.layer.spiderfy(); // points at one spot: no zoom spreads them
      return;
    }
    const z = map.getZoom();
    const fit = map.getBoundsZoom(bounds.pad(0.3));
    map.setView(bounds.getCenter(), Math.min(Math.max(fit, z + 1), Math.max(CLUSTER_OFF_ZOOM, z + 1)));
  }

  function casePopup(p, id) {
    const cd = zz.countdown(p.deadline);
    return (
      '<div class="zz-popup"><div class="zz-popup-title">' + zz.esc(p.title) + "</div>" +
      popupRows([
        ["案件编号", p.code],
        ["类别", zz.label("category", p.category)],
        ["风险", zz.label("risk_level", p.risk_level)],
        ["状态", zz.label("case_state", p.state)],
        ["办理层级", zz.label("handling_level", p.handling_level)],
        ["登记时间", zz.fmtTime(p.reported_at)],
        ["办理时限", p.deadline ? cd.text : "", cd.overdue ? "text-danger" : ""],
      ]) +
      '<a class="zz-popup-link" href="/cases/' + id + '">查看案件详情</a></div>'
    );
  }

  function conePoints(lat, lon, azimuth, fov, range) {
    const pts = [[lat, lon]];
    const rLat = range / 111320;
    const rLon = range / (111320 * Math.cos((lat * Math.PI) / 180));
    for (let i = 0; i <= 12; i++) {
      const a = ((azimuth - fov / 2 + (fov * i) / 12) * Math.PI) / 180;
      pts.push([lat + rLat * Math.cos(a), lon + rLon * Math.sin(a)]);
    }
    return pts;
  }

  /** A camera's view for its popup: recorded azimuth, dome, or derived from its 监视方位. */
  function viewText(p) {
    if (p.view_azimuth_deg === null || p.view_azimuth_deg === undefined) return "";
    if (p.azimuth_source === "dome") return "全向（球机）";
    const deg = Math.round(p.view_azimuth_deg) + "°";
    return p.azimuth_source === "direction" ? deg + "（按监视方位）" : deg;
  }

  function featureMarker(def, f) {
    const p = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    if (def.collection === "cases") {
      const m = L.marker([lat, lon], { icon: dot(zz.riskColor(p.risk_level), "zz-case zz-state-" + p.state) });
      m.zzRisk = p.risk_level;
      m.bindPopup(() => casePopup(p, f.id));
      return m;
    }
    if (def.collection === "video_points") {
      const m = L.marker([lat, lon], { icon: dot(STATUS_COLOR[p.status] || def.style.color, "zz-camera", HOLLOW_STATUS.includes(p.status)) });
      m.zzOffline = p.status === "offline";
      m.bindPopup(
        '<div class="zz-popup"><div class="zz-popup-title">' + zz.esc(p.name || "视频点位") + "</div>" +
          popupRows([
            ["设备编码", p.device_id],
            ["类型", zz.label("ptz_type", p.ptz_type)],
            ["状态", zz.label("video_status", p.status)],
            ["朝向", viewText(p)],
            ["最近心跳", zz.fmtTime(p.last_heartbeat)],
            ["村（社区）", p.area_name],
            ["安装位置", p.install_address],
            ["所属派出所", p.police_station],
          ]) + "</div>"
      );
      return m;
    }
    if (def.collection === "workers") {
      const m = L.marker([lat, lon], { icon: dot(STATUS_COLOR[p.status] || def.style.color, "zz-worker", HOLLOW_STATUS.includes(p.status)) });
      m.bindPopup(() =>
        '<div class="zz-popup"><div class="zz-popup-title">' + zz.esc(p.name) + "</div>" +
          popupRows([
            ["角色", zz.label("worker_role", p.role)],
            ["状态", zz.label("worker_status", p.status)],
            ["所属网格", p.home_grid_name || p.home_grid],
            ["定位时间", zz.fmtTime(p.last_seen_at)],
          ]) + "</div>"
      );
      return m;
    }
    // persons: masked on the server (name_masked, id_masked); the clear identity only through
    // the audited unmask, shown in the open popup and wiped when it closes
    const m = L.marker([lat, lon], { icon: dot(def.style.color, "zz-person") });
    // the content is set at each opening (a content function would be run again by update())
    m.bindPopup("");
    m.on("popupopen", (e) => e.popup.setContent(personPopup(m, p, f.id)));
    m.on("popupclose", () => forgetIdentity(m));
    return m;
  }

  const BLUR_SAID = "位置已模糊（约 500 米内），查看身份信息可见精确位置"; // layers/catalog.py BLUR_SAID

  /** A person's popup, built afresh at each opening: masked, with 查看身份信息 for those who may. */
  function personPopup(marker, p, id) {
    const root = el("div", "zz-popup zz-person-popup");
    root.dataset.personId = id;
    root.innerHTML =
      '<div class="zz-popup-title">' + zz.esc(zz.label("person_category", p.category)) + "</div>" +
      popupRows([
        ["姓名", p.name_masked, "zz-name-masked"],
        ["证件号码", p.id_masked, "zz-id-masked"],
        ["管控级别", zz.label("management_level", p.management_level)],
        ["所属网格", p.grid_name || p.grid_code],
        ["责任人", p.responsibles],
        ["上次走访", p.last_visit || "无记录"],
        ...(p.correction_end ? [["矫正期", correctionText(p), "zz-correction-cell"]] : []),
        ["应访日期", visitDueText(p), "zz-visit-due-cell"],
        // the point is the centre of the home's 500 m cell; the unmasked read moves it home (trial AW M8)
        ["位置", BLUR_SAID, "zz-person-blurred"],
      ]);
    // never on the big screen: a wall is read by everyone in the room
    if (!screen && st.me && st.me.can_unmask) root.appendChild(unmaskButton(marker, root, id));
    // an account the right may be given to is told where it comes from (trial AB: no hint)
    else if (!screen && st.me && !st.me.unmask_refusal) root.appendChild(el("div", "small text-muted mt-1", UNMASK_HINT));
    // 注销 as on the 走访 card (person_closing.js): the map reads the persons again once done
    const person = Object.assign({}, p, { id: id, correction_over: correctionOver(p) });
    const end = !screen && window.zzPersonClosing && window.zzPersonClosing.button(st.me, person, () => marker.closePopup());
    if (end) root.appendChild(el("div", "mt-1")).appendChild(end);
    // 划入网格/调整网格 as on the 走访 card (person_grid.js)
    const place = !screen && window.zzPersonGrid && window.zzPersonGrid.button(st.me, person, () => marker.closePopup());
    if (place) (end ? end.parentNode : root.appendChild(el("div", "mt-1"))).appendChild(place);
    marker.zzPopupRoot = root;
    return root;
  }

  /** A 社区矫正 past its 矫正结束日期 (the end day is its last): no longer visited, 待解除矫正. */
  function correctionOver(p) {
    return Boolean(p.correction_end) && p.correction_end < zz.beijingDay();
  }

  /** 至 2027-03-01, or 已满（2026-11-30），请办理解除矫正 as the 走访 card says it. */
  function correctionText(p) {
    return correctionOver(p) ? "已满（" + p.correction_end + "），请办理解除矫正" : "至 " + p.correction_end;
  }

  /** 2026-12-01（已逾期）: when a person's next visit is due, and whether that day is past. */
  function visitDueText(p) {
    if (correctionOver(p)) return "矫正期已满，不再走访";
    if (!p.visit_due) return p.last_visit ? "" : "从未走访";
    return p.visit_due + (p.visit_due < zz.beijingDay() ? "（已逾期）" : "");
  }

  /** 查看身份信息: asks the reason (zz.reasonForm), POSTs it, shows the answer or the refusal. */
  function unmaskButton(marker, root, id) {
    const box = el("div", "zz-unmask mt-1");
    const open = el("button", "btn btn-outline-danger btn-xs zz-unmask-open", "查看身份信息");
    open.type = "button";
    box.appendChild(open);
    open.addEventListener("click", function () {
      open.hidden = true;
      const form = zz.reasonForm(
        async function (reason) {
          const clear = await zz.unmask("/api/persons/" + id + "/unmasked", reason);
          if (marker.zzPopupRoot !== root) return; // closed meanwhile: show nothing
          showIdentity(root, clear, marker);
          box.textContent = "";
          box.appendChild(el("div", "zz-unmask-note small text-muted", "本次查看已记入审计日志，关闭弹窗后不再显示"));
          marker.getPopup().update();
        },
        function () {
          form.remove();
          open.hidden = false;
          marker.getPopup().update();
        }
      );
      box.appendChild(form);
      marker.getPopup().update();
    });
    return box;
  }

  function showIdentity(root, clear, marker) {
    const name = root.querySelector(".zz-name-masked");
    const id = root.querySelector(".zz-id-masked");
    name.textContent = clear.name;
    name.className = "zz-clear zz-clear-name";
    id.textContent = clear.resident_id;
    id.className = "zz-clear zz-clear-id";
    root.querySelector(".zz-popup-table").after(zz.personRecord(clear));
    // the audited read gives the exact home: a ring there until the popup closes (the pin
    // stays: moved, the cluster would take it out and close the popup)
    const where = root.querySelector(".zz-person-blurred");
    if (clear.lat !== null && clear.lon !== null && where) {
      marker.zzExact = L.circleMarker([clear.lat, clear.lon], { radius: 9, color: "#d62728", weight: 3, fill: false })
        .addTo(map);
      where.textContent = "红圈为精确位置（关闭弹窗后不再显示）";
      where.className = "zz-clear zz-person-exact";
    }
  }

  /** The popup closed: its clear name and ID leave the page (a new opening is masked again). */
  function forgetIdentity(marker) {
    const root = marker.zzPopupRoot;
    marker.zzPopupRoot = null;
    if (marker.zzExact) marker.zzExact.remove(); // the exact home leaves too
    marker.zzExact = null;
    if (!root) return;
    root.querySelectorAll(".zz-clear").forEach((node) => node.remove());
    root.remove();
  }

  function featureUrl(def, bounds) {
    if (def.collection === "cases") {
      return "/api/console/" + code + "/cases?state=" + st.caseState + "&limit=2000&bbox=" + bboxParam(bounds);
    }
    if (COUNTED[def.collection]) {
      // their points where they fit, else their counts per grid or village (trial BC S3)
      return "/api/command/" + code + "/points/" + def.collection + "?limit=" + st.pointCap + "&bbox=" + bboxParam(bounds);
    }
    return def.items + "?limit=2000&bbox=" + bboxParam(bounds);
  }

  async function loadFeatures(entry) {
    const def = entry.def;
    const bounds = map.getBounds().pad(0.25);
    const token = (entry.token = (entry.token || 0) + 1);
    // a read the next move superseded is cancelled, not left to fill the connections (the
    // browser's 6 per host) with 2,000 points no one will draw (trial BC M5)
    if (entry.reading) entry.reading.abort();
    const reading = (entry.reading = new AbortController());
    entry.readingBounds = bounds;
    entry.readingZoom = map.getZoom();
    let fc;
    try {
      fc = await zz.api(featureUrl(def, bounds), { signal: reading.signal });
    } catch (error) {
      if (reading.signal.aborted) return;
      zz.toast(def.title + "加载失败：" + zz.errorText(error), "danger");
      return;
    } finally {
      if (entry.reading === reading) entry.reading = null;
    }
    if (token !== entry.token || entry.mode !== "features") return;
    entry.loadedBounds = bounds;
    entry.loadedZoom = map.getZoom();
    entry.cluster.clearLayers();
    if (entry.cones) entry.cones.clearLayers();
    entry.markers = {};
    if (entry.countLayer) entry.countLayer.clearLayers();
    const counted = fc.groups ? fc.shown : null;
    if (counted !== (entry.counted || null)) {
      entry.counted = counted;
      switcherHints();
      renderPeopleLegend();
    }
    if (counted) return drawCounts(entry, fc);
    const markers = fc.features.map(function (f) {
      const m = featureMarker(def, f);
      entry.markers[f.id] = m;
      return m;
    });
    entry.cluster.addLayers(markers);
    openFound(entry); // the point 查找 picked, if it is this layer's
    if (def.collection === "video_points" && map.getZoom() >= 14) {
      fc.features.forEach(function (f) {
        const p = f.properties;
        // view_*: the server's rule (recorded azimuth, dome circle, or the 监视方位 sector's centre)
        if (p.view_azimuth_deg === null || p.view_azimuth_deg === undefined || !p.range_m) return;
        const [lon, lat] = f.geometry.coordinates;
        const look = {
          color: STATUS_COLOR[p.status] || def.style.color, weight: 1, fillOpacity: 0.15, interactive: false,
        };
        entry.cones.addLayer(
          p.view_fov_deg >= 360
            ? L.circle([lat, lon], Object.assign({ radius: p.range_m }, look))
            : L.polygon(conePoints(lat, lon, p.view_azimuth_deg, p.view_fov_deg || 60, p.range_m), look)
        );
      });
    }
    if (fc.truncated) zz.toast(cutText(def, fc), "info");
  }

  /**
   * The page's cap cut the layer's points in view: said, never dropped silently. The case
   * points are the riskiest first; the workers and persons are counted instead (drawCounts).
   */
  function cutText(def, fc) {
    if (def.collection === "cases") return def.title + "数量较多，仅显示风险最高的 2000 件，请放大地图查看";
    return def.title + "数量较多：范围内共 " + fc.numberMatched + " 个，仅显示前 " + fc.numberReturned + " 个，请放大地图查看";
  }

  // the layers counted per grid (or village) where more are in view than the page draws: what
  // a badge counts and its colour (workers: 在岗 of all, in the colour of a worker on duty)
  const COUNTED = { workers: "名", persons: "人" };
  const COUNTED_BY = { grid: "按网格计数", village: "按村（社区）计数" };

  /**
   * More workers or persons in view than the page draws (trial BC S3: the first 2,000 of a
   * county's 4,395 workers by id left a township without a dot): one badge per grid, or per
   * village when the view spans many grids, at its point on surface, with 在岗/总数 (workers) or
   * the number of persons; a click zooms to its points, drawn one by one once they fit.
   */
  function drawCounts(entry, fc) {
    if (!entry.countLayer) {
      entry.countLayer = L.layerGroup();
      entry.group.addLayer(entry.countLayer);
    }
    fc.groups.forEach((g) => entry.countLayer.addLayer(countBadge(entry.def, g)));
  }

  function countSaid(def, g) {
    const unit = COUNTED[def.collection];
    let said = g.name + "：" + def.title + " " + g.total + " " + unit;
    if (def.collection === "workers") {
      const s = g.status;
      said += "（在岗 " + s.on_duty + "、处置中 " + s.busy + "、离岗 " + s.off_duty + (s.left ? "、已离职 " + s.left : "") + "）";
    }
    return said + "，点击放大查看";
  }

  function countBadge(def, g) {
    const workers = def.collection === "workers";
    const colour = workers ? STATUS_COLOR.on_duty : def.style.color;
    // workers' badges above the point, persons' below it: both stand at a grid's point on surface
    const look = "display:inline-block;white-space:nowrap;background:#fff;color:#222;border:2px solid " + colour +
      ";border-radius:9px;padding:0 5px;font:bold 12px/16px sans-serif;box-shadow:0 1px 3px rgba(0,0,0,.35);" +
      "cursor:pointer;transform:translate(-50%," + (workers ? "-100%" : "3px") + ")";
    const text = workers ? g.status.on_duty + "/" + g.total : g.total + "人";
    const icon = L.divIcon({
      className: "zz-count-icon",
      iconSize: null,
      html: '<div class="zz-count-badge zz-count-' + def.collection + '" data-code="' + zz.esc(g.code) +
        '" data-total="' + g.total + '" style="' + look + '">' + zz.esc(text) + "</div>",
    });
    const marker = L.marker([g.lat, g.lon], { icon: icon, title: countSaid(def, g), keyboard: false, riseOnHover: true });
    marker.zzGroup = g;
    marker.on("click", () => zoomToGroup(g));
    return marker;
  }

  /** A badge's click: the map on its points (drawn one by one there, or counted finer). */
  function zoomToGroup(g) {
    const [w, s, e, n] = g.bounds;
    if (w === e && s === n) map.setView([s, w], Math.max(map.getZoom() + 2, 16));
    else map.fitBounds([[s, w], [n, e]], { padding: [40, 40], maxZoom: 17 });
  }

  function clearEntry(entry) {
    if (entry.reading) entry.reading.abort(); // the layer's points are off: their read too
    entry.reading = null;
    entry.group.clearLayers();
    entry.cluster = null;
    entry.cones = null;
    entry.countLayer = null;
    entry.counted = null;
    entry.loadedBounds = null;
  }

  /**
   * Whether the layer's points drawn, or those being read, serve the view: they cover it, and
   * counts per grid are of this zoom (zoomed in, the points may fit). A move the read under way
   * covers starts no other (trial BC S3: one read per layer and move).
   */
  function pointsHeld(entry) {
    const view = map.getBounds();
    const z = map.getZoom();
    if (entry.reading) return !!entry.readingBounds && entry.readingBounds.contains(view) && entry.readingZoom === z;
    return !!entry.loadedBounds && entry.loadedBounds.contains(view) && !(entry.counted && entry.loadedZoom !== z);
  }

  function updatePointLayer(entry) {
    const z = map.getZoom();
    const mode = entry.visible ? modeAt(entry.def, z) : null;
    const conesWanted = entry.def.collection === "video_points" && z >= 14;
    if (mode !== entry.mode || (mode === "features" && conesWanted !== !!entry.conesOn)) {
      clearEntry(entry);
      entry.mode = mode;
      entry.conesOn = conesWanted;
      if (mode === "hexagons") entry.group.addLayer(vectorTiles(entry.def, true));
      if (entry.def.collection === "cases") renderCaseLegend();
      if (entry.def.id === "persons") renderPeopleLegend();
      renderClusterLegend();
      if (mode === "features") {
        entry.cluster = cluster(entry.def);
        entry.group.addLayer(entry.cluster);
        if (entry.def.collection === "video_points") {
          entry.cones = L.layerGroup();
          entry.group.addLayer(entry.cones);
        }
        loadFeatures(entry);
      }
    } else if (mode === "features" && !pointsHeld(entry)) {
      loadFeatures(entry);
    }
  }

  async function loadHotspots(entry) {
    let fc;
    try {
      const read = st.hotRead || zz.api("/api/console/" + code + "/hotspots");
      st.hotRead = null;
      fc = await read;
    } catch (error) {
      zz.toast("热点加载失败：" + zz.errorText(error), "danger");
      return;
    }
    entry.group.clearLayers();
    entry.group.addLayer(
      L.geoJSON(fc, {
        // a dashed outline over a fill: told apart from the case-count hexagons, filled reds; on
        // the dark wall a stronger fill, as its legend's swatches (trial AU m5)
        style: (f) => ({ color: HOT_COLOURS[f.properties.bin] || "#999", weight: 2.5, dashArray: "5 3", fillColor: HOT_COLOURS[f.properties.bin] || "#999", fillOpacity: HOT_FILL }),
        onEachFeature: function (f, layer) {
          const p = f.properties;
          const cases =
            !screen && CASE_READERS.includes(role())
              ? '<button type="button" class="btn btn-sm btn-outline-primary zz-popup-link zz-cell-cases" data-cell-id="' + f.id + '">查看案件</button>'
              : "";
          layer.bindPopup(
            '<div class="zz-popup"><div class="zz-popup-title">' + (p.bin > 0 ? "热点" : "冷点") + "（置信度 " + HOT_CONFIDENCE[Math.abs(p.bin)] + "）</div>" +
              popupRows(
                cellFigures({ bin: p.bin, own: p.count, around: p.around, z: p.z })
                  .filter((r) => r[0] !== "置信度") // said in the title
                  .concat([["分析时段", periodText(p.window_start, p.window_end)]])
              ) +
              '<div class="zz-popup-note">计数不含重复反映和无位置的案件；' + HOT_RULE + "</div>" + cases + "</div>"
          );
        },
      })
    );
    fitHotCells(entry);
    const marked = st.cellMark && hotCell(st.cellMark.cellId);
    if (marked) markCell(marked, st.cellMark.cellId);
    else st.cellMark = null;
  }

  /**
   * Hot cells a few pixels across (a province's or a city's whole map) are drawn as their fill
   * alone: their dashed outline made each a blot bigger than the cell, spilling over the unit's
   * outline (trial AU m5). Zoomed in, the outline again.
   */
  function fitHotCells(entry) {
    let size = null;
    entry.group.eachLayer(function (geo) {
      if (size !== null || !(geo instanceof L.GeoJSON)) return;
      geo.eachLayer(function (cell) {
        if (size !== null) return;
        const b = cell.getBounds();
        size = map.latLngToContainerPoint(b.getSouthEast()).x - map.latLngToContainerPoint(b.getNorthWest()).x;
      });
    });
    const small = size !== null && size < HOT_OUTLINE_MIN_PX;
    entry.group.eachLayer(function (geo) {
      if (geo instanceof L.GeoJSON) geo.setStyle({ stroke: !small, fillOpacity: small ? HOT_FILL_SMALL : HOT_FILL });
    });
    entry.small = small;
  }

  /** A run's window as the days it covers (its end is excluded). */
  function periodText(start, end) {
    const last = new Date(new Date(end).getTime() - 1).toISOString();
    return zz.fmtTime(start).slice(0, 10) + " 至 " + zz.fmtTime(last).slice(0, 10);
  }

  // ---- the cases behind a hot cell (查看案件, from its popup or its alert) --------------------
  const cellCases = { cellId: null, heading: "", around: true, token: 0 };

  async function openCellCases(cellId, heading) {
    const dialog = document.getElementById("zz-cell-cases");
    if (!dialog) return;
    cellCases.cellId = cellId;
    cellCases.heading = heading || "";
    cellCases.around = true;
    if (!dialog.open) dialog.showModal();
    await loadCellCases();
  }

  async function loadCellCases() {
    const token = ++cellCases.token;
    const body = document.getElementById("zz-cell-cases-body");
    const summary = document.getElementById("zz-cell-cases-summary");
    const error = document.getElementById("zz-cell-cases-error");
    document.querySelectorAll("#zz-cell-cases-scope button").forEach(function (b) {
      b.classList.toggle("active", (b.dataset.around === "1") === cellCases.around);
      b.setAttribute("aria-pressed", String((b.dataset.around === "1") === cellCases.around));
    });
    body.textContent = "";
    error.classList.add("d-none");
    summary.textContent = "正在加载…";
    let page;
    try {
      page = await zz.api("/api/hotspots/cells/" + cellCases.cellId + "/cases?around=" + cellCases.around);
    } catch (e) {
      if (token !== cellCases.token) return;
      summary.textContent = "";
      error.textContent = "案件列表加载失败：" + zz.errorText(e);
      error.classList.remove("d-none");
      return;
    }
    if (token !== cellCases.token) return;
    renderCellCases(page);
  }

  function renderCellCases(page) {
    const c = page.cell;
    const place = (c.area_name || c.area_code) + "的热点格";
    document.getElementById("zz-cell-cases-title").textContent = cellCases.heading || place;
    const f = c.figures;
    const said = [
      "分析时段 " + periodText(c.window_start, c.window_end),
      CELL_OWN + " " + cellCount(f.own),
      CELL_AROUND + " " + cellAround(f.around),
    ];
    const summary = document.getElementById("zz-cell-cases-summary");
    summary.textContent = said.join(" · ");
    const listed = el("div", "zz-cell-cases-count");
    listed.textContent =
      (page.around ? "本格及相邻格" : "本格") + "列出 " + page.total + " 起" +
      (page.around ? "（本格 " + page.own + " 起，相邻格 " + page.neighbours + " 起）" : "") +
      "，不含重复反映和无位置的案件";
    summary.appendChild(listed);
    if (page.unlisted > 0) {
      summary.appendChild(el("div", "zz-cell-cases-unlisted text-warning-emphasis", "另有 " + page.unlisted + " 起未列出：不在您的辖区内，或分析后位置、归属已变更"));
    }
    if (page.total > page.cases.length) {
      summary.appendChild(el("div", "zz-cell-cases-more", "仅列出前 " + page.cases.length + " 起（本格在前，新登记在前）"));
    }
    const body = document.getElementById("zz-cell-cases-body");
    body.textContent = "";
    page.cases.forEach(function (k) {
      const tr = el("tr", "zz-cell-case" + (k.in_cell ? " zz-in-cell" : ""));
      tr.dataset.caseId = k.id;
      tr.appendChild(riskCell(k.risk_level));
      tr.appendChild(titleCell(k, k.code + " · " + zz.categoryLabel(k.category, k.subcategory) + (k.area_name ? " · " + k.area_name : "")));
      tr.appendChild(el("td", "zz-cell-where", k.in_cell ? "本格" : "相邻格"));
      tr.appendChild(stateCellOf(k.state));
      tr.appendChild(el("td", "zz-cell-when", zz.fmtTime(k.reported_at)));
      body.appendChild(tr);
    });
    const empty = document.getElementById("zz-cell-cases-empty");
    empty.classList.toggle("d-none", page.cases.length > 0);
    empty.textContent = "您的辖区内没有" + (page.around ? "本格及相邻格" : "本格") + "的案件";
  }

  function setupCellCases() {
    const dialog = document.getElementById("zz-cell-cases");
    if (!dialog) return;
    document.getElementById("zz-cell-cases-close").addEventListener("click", () => dialog.close());
    document.querySelectorAll("#zz-cell-cases-scope button").forEach(function (b) {
      b.addEventListener("click", function () {
        cellCases.around = b.dataset.around === "1";
        loadCellCases();
      });
    });
    // the popups' 查看案件 (their content is HTML, drawn when opened)
    map.getContainer().addEventListener("click", function (e) {
      const button = e.target.closest && e.target.closest(".zz-cell-cases");
      if (!button) return;
      e.preventDefault();
      openCellCases(Number(button.dataset.cellId), "");
    });
  }

  async function loadHeat(entry) {
    const z = map.getZoom();
    // cells below 0.002° (≈ 200 m) are refused: a finer heat map would single out a house
    const cell = Math.max(0.002, 360 / Math.pow(2, z) / 48);
    let points;
    try {
      points = await zz.api("/api/console/" + code + "/heat?cell=" + cell.toFixed(5) + "&bbox=" + bboxParam(map.getBounds().pad(0.3)));
    } catch (error) {
      zz.toast("热力图加载失败：" + zz.errorText(error), "danger");
      return;
    }
    entry.group.clearLayers();
    const max = points.length ? points[0][2] : 1;
    entry.group.addLayer(L.heatLayer(points, { radius: 20, blur: 16, max: max, minOpacity: 0.25 }));
  }

  function updateLayer(entry) {
    const def = entry.def;
    if (PEOPLE_SHAPES.some(([id]) => id === def.id)) renderPeopleLegend();
    const shown = map.hasLayer(entry.group);
    if (entry.visible && !shown) entry.group.addTo(map);
    if (!entry.visible && shown) map.removeLayer(entry.group);
    if (def.source === "points") return updatePointLayer(entry);
    const mode = entry.visible ? modeAt(def, map.getZoom()) : null;
    if (def.source === "tiles") {
      if (mode !== entry.mode) {
        entry.group.clearLayers();
        if (mode) entry.group.addLayer(vectorTiles(def, false));
        entry.mode = mode;
      }
    } else if (def.source === "hotspots") {
      renderHotLegend();
      if (mode && !entry.loaded) {
        entry.loaded = true;
        entry.loading = loadHotspots(entry);
      } else if (entry.loaded) {
        fitHotCells(entry);
      }
    } else if (def.source === "heat") {
      if (mode) loadHeat(entry);
      else entry.group.clearLayers();
    }
  }

  function renderSwitcher() {
    const list = document.getElementById("zz-layer-list");
    list.textContent = "";
    LAYERS.forEach(function (def) {
      const entry = st.layers[def.id];
      if (!entry) return;
      const row = el("label", "zz-layer-row");
      row.dataset.layer = def.id;
      const box = el("input", "form-check-input me-1");
      box.type = "checkbox";
      box.checked = entry.visible;
      box.addEventListener("change", function () {
        entry.visible = box.checked;
        updateLayer(entry);
        switcherHints();
      });
      const swatch = el("i", "zz-swatch");
      swatch.style.background = def.style.fill || def.style.color;
      row.appendChild(box);
      row.appendChild(swatch);
      row.appendChild(el("span", "zz-layer-name", def.title));
      row.appendChild(el("span", "zz-layer-hint"));
      list.appendChild(row);
    });
    switcherHints();
  }

  function switcherHints() {
    const z = map.getZoom();
    document.querySelectorAll(".zz-layer-row").forEach(function (row) {
      const entry = st.layers[row.dataset.layer];
      const def = entry.def;
      const mode = modeAt(def, z);
      let hint = "";
      if (def.source === "points" || def.source === "tiles") {
        if (!mayAggregate(def)) hint = "无权限";
        else if (z < def.min_zoom) hint = "放大后显示";
        else if (mode === "hexagons") hint = mayFeatures(def) ? "汇总" : "仅汇总";
        else if (mode === "features" && entry.counted) hint = COUNTED_BY[entry.counted] || "";
      }
      row.querySelector(".zz-layer-hint").textContent = hint;
      row.classList.toggle("zz-layer-off", !mode && def.source !== "outline");
    });
  }

  function setupLayers() {
    LAYERS.forEach(function (def) {
      if (def.id === "units") {
        const entry = st.layers.units;
        entry.visible = true;
        entry.group.addTo(map);
        return;
      }
      if (!mayAggregate(def) && def.source !== "hotspots" && def.source !== "heat") return;
      if (def.source === "heat" && !mayAggregate(def)) return;
      st.layers[def.id] = { def: def, group: L.layerGroup(), visible: def.on, mode: null };
    });
    renderSwitcher();
    Object.values(st.layers).forEach((entry) => entry.def.id !== "units" && updateLayer(entry));
    map.on("zoomend moveend", debounce(function () {
      Object.values(st.layers).forEach((entry) => entry.def.id !== "units" && updateLayer(entry));
      switcherHints();
    }, 250));
  }

  // ---- actions on a queued case ----------------------------------------------------------------
  let acting = null;
  // each case's version after this page's last action on it: a feed read sent before that
  // action was answered may have drawn its row again with the version before it, and the next
  // action tapped on that row went with it and was refused as 已被他人处理 (a slow phone)
  const actedVersions = new Map();
  const versionOf = (c) => Math.max(c.version, actedVersions.get(c.id) || 0);

  function labelled(name, labelText, control) {
    const wrap = el("div", "mb-2");
    const lab = el("label", "form-label small", labelText);
    lab.htmlFor = "zz-f-" + name;
    control.id = "zz-f-" + name;
    control.name = name;
    wrap.appendChild(lab);
    wrap.appendChild(control);
    return wrap;
  }
  function selectField(name, labelText, options, value) {
    const sel = el("select", "form-select form-select-sm");
    options.forEach(function (o) {
      const opt = el("option", "", o[1]);
      opt.value = o[0];
      if (String(o[0]) === String(value)) opt.selected = true;
      sel.appendChild(opt);
    });
    return labelled(name, labelText, sel);
  }
  function inputField(name, labelText, type, value, placeholder) {
    const input = el("input", "form-control form-control-sm");
    input.type = type;
    input.value = value || "";
    if (placeholder) input.placeholder = placeholder;
    return labelled(name, labelText, input);
  }

  function openAction(c, action) {
    acting = { c: c, action: action };
    const fields = document.getElementById("zz-action-fields");
    fields.textContent = "";
    // 上报 names where it sends the case (trial AH S1: a county's 上报 stayed at the county)
    const toLevel = action === "escalate" && c.escalate_to_level ? zz.label("handling_level", c.escalate_to_level) : "";
    const to = !toLevel ? "" : takingUp(c, action) ? "（改由" + toLevel + "办理）" : "至" + toLevel;
    document.getElementById("zz-action-title").textContent = actionLabel(c, action) + to + "：" + c.title;
    document.getElementById("zz-action-case").textContent = c.code + " · " + zz.label("case_state", c.state) + " · " + zz.label("handling_level", c.handling_level) + "办理";
    // 督办 states its 督办意见: the field says so, and the browser asks before the server refuses
    const required = zz.tables.note_required[action === "hand_down_supervise" ? "supervise" : action];
    const note = document.getElementById("zz-action-note");
    // what was typed for this case and action before (sent offline, the page reloaded): back
    note.value = actionDraft(c, action);
    zz.recountNotes(note.parentElement);
    note.required = Boolean(required);
    document.getElementById("zz-action-note-label").textContent = required ? required + "（必填）" : "备注（选填）";
    document.getElementById("zz-action-error").classList.add("d-none");
    const children = (st.feed.children || []).filter((k) => k.kind === "jurisdiction").map((k) => [k.code, k.name]);
    const risks = Object.entries(zz.tables.risk_level);
    const cats = Object.entries(zz.tables.category);
    if (action === "triage") {
      fields.appendChild(selectField("category", "类别", cats, c.category));
      // the 子类 of the category chosen: another category's would be kept under it
      const subtypes = (category) =>
        [["", "（不细分）"]].concat(Object.entries(zz.tables[zz.subtypeTable(category)] || {}));
      fields.appendChild(selectField("subcategory", "子类", subtypes(c.category), c.subcategory || ""));
      document.getElementById("zz-f-category").addEventListener("change", function (event) {
        const sub = document.getElementById("zz-f-subcategory");
        sub.textContent = "";
        subtypes(event.target.value).forEach(function (o) {
          const opt = el("option", "", o[1]);
          opt.value = o[0];
          sub.appendChild(opt);
        });
      });
      fields.appendChild(selectField("risk_level", "风险等级", risks, c.risk_level));
      const levels = [1, 2, 3, 4, 5].filter((l) => l >= levelOf(st.me.scope_code)).map((l) => [l, zz.label("handling_level", l)]);
      fields.appendChild(selectField("handling_level", "办理层级", levels, c.handling_level));
    } else if (action === "dispatch") {
      fields.appendChild(selectField("unit_code", "派往下级单位", [["", "（不派往下级单位）"]].concat(children), ""));
      fields.appendChild(inputField("department", "或派往职能部门", "text", "", "如：县司法局"));
      zz.departmentChoices(document.getElementById("zz-f-department"), false);
    } else if (action === "hand_down") {
      const down = children.filter((k) => c.area_code.startsWith(k[0].slice(0, KEEP[levelOf(k[0]) - 1])));
      fields.appendChild(selectField("unit_code", "交办给", down.length ? down : [["", "案件所在下级单位"]], down.length ? down[0][0] : ""));
    } else if (action === "supervise" || action === "hand_down_supervise") {
      if (action !== "supervise") fields.appendChild(el("p", "small text-muted mb-2", "交办至案件所在的下级单位，同时督办：两步一并完成，或都不做"));
      fields.appendChild(inputField("deadline", "督办时限", "datetime-local", zz.inputTime(new Date(Date.now() + 3 * 86400000))));
    } else if (action === "summon") {
      fields.appendChild(inputField("departments", "吹哨部门（从列表选择，用顿号或逗号分隔）", "text", "", "如：县公安局、县住建局"));
      zz.departmentChoices(document.getElementById("zz-f-departments"), true);
      // a name outside the list only with 新增部门名称 ticked, as on the case page (trial AQ S3)
      const fresh = el("div", "form-check mb-2");
      const tick = el("input", "form-check-input");
      tick.type = "checkbox";
      tick.id = "zz-f-new-departments";
      const said = el("label", "form-check-label small", "新增部门名称（列表中没有的部门）");
      said.htmlFor = tick.id;
      fresh.appendChild(tick);
      fresh.appendChild(said);
      fields.appendChild(fresh);
      askEach(fields);
    } else if (action === "resolve") {
      // 办结结果 chosen each time, none preselected, as on the case page (trial AQ m4); the legal
      // route's 办结 ends it (法治化途径办结), another's may fail mediation and name the route
      const outcomes = Object.entries(WORKFLOW_LABELS.outcome || {}).filter(([name]) =>
        c.state === "legal_route" ? name !== "mediation_failed" : name !== "legal_concluded");
      fields.appendChild(selectField("outcome", "办结结果", [["", "请选择办结结果"]].concat(outcomes), ""));
      document.getElementById("zz-f-outcome").required = true;
      const route = selectField("route", "法治化途径", Object.entries(WORKFLOW_LABELS.legal_route || {}), "");
      route.hidden = true;
      fields.appendChild(route);
      document.getElementById("zz-f-outcome").addEventListener("change", function (event) {
        route.hidden = event.target.value !== "mediation_failed";
      });
    } else if (action === "escalate") {
      // say what 上报 withdraws before the operator confirms it
      zz.api("/api/cases/" + c.id + "/detail").then(function (d) {
        const warning = zz.escalationWarning(d.dispatches);
        if (warning && acting && acting.c.id === c.id) fields.prepend(el("p", "text-danger small mb-1 zz-escalate-warning", warning));
      }, () => {});
    }
    // 到场 says it takes the phone's position with it (trial AZ M4)
    if (action === "arrive") fields.appendChild(el("p", "small text-muted mb-2 zz-arrive-hint", ARRIVE_HINT));
    // 受理, 处置反馈 and 办结: the 现场照片 of the case page, after the note (trial AS M1)
    acting.photos = zz.PHOTO_ACTIONS.includes(action) ? zz.photoField(photoHost(), "zz-f-photos", "zz-picked") : [];
    // a draft put back says so; its photos, picked before the page was reloaded, are not kept
    const lost = Number(actionDraft(c, action, "photos")) || 0;
    if (note.value || lost) {
      const kept = note.value ? "已恢复上次未提交的内容" : "";
      const photos = lost ? "页面重新加载后照片无法保留，原选的 " + lost + " 张照片请重新选择" : "";
      document.getElementById("zz-action-fields").prepend(el("p", "small text-primary mb-2 zz-draft-note", [kept, photos].filter(Boolean).join("；")));
    }
    document.getElementById("zz-action-dialog").showModal();
  }

  /**
   * The note typed in an action's dialog, kept per case and action in this tab's sessionStorage
   * (trial AZ M5: a 处置反馈 typed offline was lost on reload) until it is sent; the case page's
   * dialog keeps it under the same name (case.js draftKey). `part` "photos": how many photos
   * went with the last unsent try (photos themselves cannot be kept across a reload).
   * With `value`, keeps it ("" forgets it); returns what is kept.
   */
  function actionDraft(c, action, part, value) {
    const key = "zz-draft-" + c.id + "-" + action + (part ? "-" + part : "");
    try {
      if (value === undefined) return sessionStorage.getItem(key) || "";
      if (String(value).trim() && value !== 0) sessionStorage.setItem(key, String(value));
      else sessionStorage.removeItem(key);
    } catch (error) {
      // storage refused (a private window): the note is just not kept
    }
    return "";
  }

  /** A note typed in the dialog: kept for its case and action (actionDraft). */
  function keepActionNote() {
    if (acting) actionDraft(acting.c, acting.action, "", document.getElementById("zz-action-note").value);
  }

  /**
   * The network back while an action that failed offline waits in its dialog: the worker is told
   * to send it again (not sent by itself: 确定 decides, and a photo upload is not repeated unseen).
   */
  function networkBack() {
    const error = document.getElementById("zz-action-error");
    if (!acting || !document.getElementById("zz-action-dialog").open || error.dataset.offline !== "1") return;
    error.textContent = NETWORK_BACK;
    error.classList.replace("alert-danger", "alert-info");
  }
  const OFFLINE_KEPT = "网络未连接：已填写的内容已保留，恢复网络后请再点“确定”";
  const NETWORK_BACK = "网络已恢复，请点“确定”重新提交";

  /** Where the dialog's photo field goes (below the note), emptied of the last action's. */
  function photoHost() {
    let host = document.getElementById("zz-action-photos");
    if (!host) {
      host = el("div");
      host.id = "zz-action-photos";
      document.getElementById("zz-action-error").before(host);
    }
    host.textContent = "";
    return host;
  }

  const ARRIVE_HINT = "点“确定”时将获取您当前的位置，记录到场位置及与案件的距离；无法定位时仍登记到场。";


  function actionParams(action) {
    const val = (name) => {
      const node = document.getElementById("zz-f-" + name);
      return node ? node.value.trim() : "";
    };
    if (action === "triage") {
      return {
        category: val("category"),
        subcategory: val("subcategory") || null,
        risk_level: Number(val("risk_level")),
        handling_level: Number(val("handling_level")),
      };
    }
    if (action === "dispatch") {
      return val("unit_code") ? { unit_code: val("unit_code") } : { department: val("department") || null };
    }
    if (action === "hand_down") return val("unit_code") ? { unit_code: val("unit_code") } : {};
    if (action === "supervise" || action === "hand_down_supervise") return { deadline: zz.fromInputTime(val("deadline")) };
    if (action === "resolve") {
      const outcome = { outcome: val("outcome") };
      if (outcome.outcome === "mediation_failed") outcome.route = val("route");
      return outcome;
    }
    if (action === "summon") {
      return {
        departments: zz.departmentNames(val("departments")),
        new_departments: document.getElementById("zz-f-new-departments").checked,
        asks: typedAsks(),
      };
    }
    return {};
  }

  /**
   * Under the 吹哨's departments, a line per department named: what it alone is asked to do,
   * beside the shared note (trial AZ m7), as on the case page; redrawn as the names change.
   */
  function askEach(fields) {
    const box = el("div");
    box.id = "zz-f-asks";
    fields.appendChild(box);
    const input = document.getElementById("zz-f-departments");
    const draw = function () {
      const typed = typedAsks();
      box.textContent = "";
      zz.departmentNames(input.value).forEach(function (name, i) {
        const row = inputField("ask-" + i, "对" + name + "的事项（选填，仅该部门看到）", "text", typed[name] || "");
        const ask = row.querySelector("input");
        ask.maxLength = 500;
        ask.dataset.department = name;
        ask.classList.add("zz-f-ask");
        box.appendChild(row);
      });
    };
    input.addEventListener("input", draw);
    draw();
  }

  /** What the 吹哨 asks of each department named, by name (the empty left out). */
  function typedAsks() {
    const asks = {};
    document.querySelectorAll("#zz-f-asks .zz-f-ask").forEach(function (ask) {
      if (ask.value.trim()) asks[ask.dataset.department] = ask.value.trim();
    });
    return asks;
  }

  /** The text of the option chosen in the dialog's select `name` ("" without one). */
  function chosenName(name) {
    const node = document.getElementById("zz-f-" + name);
    return node && node.tagName === "SELECT" && node.value && node.selectedOptions.length ? node.selectedOptions[0].textContent : "";
  }

  /**
   * What the toast says once an action is done: where the case went, to whom, until when
   * (trial AM N9: 「上报成功：…」 dropped the 「上报至市级」 its dialog said).
   */
  function doneText(c, action, sent) {
    const level = (l) => zz.label("handling_level", l);
    if (TASK_ACTIONS.includes(action)) {
      // what happened (已受理, 反馈已提交 …) and with how many photos, as on the case page
      const photos = sent.photos ? "（附现场照片 " + sent.photos + " 张）" : "";
      // 到场 says whether its position went with it
      const where = action !== "arrive" ? "" : sent.lon !== undefined ? "（已记录到场位置）" : "（未获取位置）";
      return zz.label("case_action_done", action) + photos + where + "：" + c.title;
    }
    let done = zz.label("case_action", action) + "成功";
    if (action === "escalate" && c.escalate_to_level) {
      done = takingUp(c, action) ? "已提级，改由" + level(c.escalate_to_level) + "办理" : "已上报至" + level(c.escalate_to_level);
    }
    else if (action === "hand_down") done = "已交办给" + (sent.unit_name || "下级单位");
    else if (action === "dispatch") done = "已派单给" + (sent.unit_name || sent.department || "下级单位");
    else if (action === "triage") done = "已分流（" + level(sent.handling_level) + "办理）";
    else if (action === "supervise") done = "已督办（督办时限 " + zz.fmtTime(sent.deadline) + "）";
    else if (action === "hand_down_supervise") done = "已交办并督办（督办时限 " + zz.fmtTime(sent.deadline) + "）";
    else if (action === "summon") done = "已吹哨（" + (sent.departments || []).join("、") + "）";
    else if (action === "remind") done = "已催办";
    return done + "：" + c.title;
  }

  async function submitAction(event) {
    event.preventDefault();
    if (!acting) return;
    const { c, action, photos } = acting;
    const error = document.getElementById("zz-action-error");
    const button = document.getElementById("zz-action-submit");
    button.disabled = true; // until the answer: a second tap sent the photos twice (trial AS m2)
    try {
      const sent = actionParams(action);
      if (action === "arrive") {
        const fix = await zz.positionFix(button);
        button.disabled = true;
        if (fix.lon !== undefined) Object.assign(sent, { lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy });
      }
      const where = chosenName("unit_code");
      const note = document.getElementById("zz-action-note").value;
      // JSON, or with photos one form to …/with-photos, as the case page sends it
      actionDraft(c, action, "photos", photos.length); // a reload keeps the note, not these
      const done = action === "hand_down_supervise" // both steps in one request (trial AZ m8)
        ? await zz.api("/api/cases/" + c.id + "/hand-down-supervise", { method: "POST", json: { version: versionOf(c), note: note.trim() || null, deadline: sent.deadline } })
        : await zz.sendCaseAction(c.id, action, { version: versionOf(c), note: note, params: sent, photos: photos, button: button });
      actionDraft(c, action, "", "");
      actionDraft(c, action, "photos", "");
      // its row's next action, tapped before the list is drawn again, goes with the new version
      if (done && done.version) {
        c.version = done.version;
        actedVersions.set(c.id, done.version);
      }
      sent.unit_name = where;
      sent.photos = photos.length;
      document.getElementById("zz-action-dialog").close();
      zz.toast(doneText(c, action, sent), "success");
      acting = null;
      await refreshFeed();
    } catch (err) {
      let text = zz.errorText(err);
      const offline = !(err instanceof zz.ApiError); // no answer: the network (trial AZ m6)
      error.dataset.offline = offline ? "1" : "";
      error.classList.replace("alert-info", "alert-danger");
      if (offline) text = OFFLINE_KEPT;
      if (err instanceof zz.ApiError && err.status === 409) {
        // the case moved on meanwhile (on the case page, another phone): the list as it is now
        text = zz.errorText(err) + "。我的任务已刷新，请关闭后在任务上重新操作。";
        refreshFeed();
      }
      error.textContent = text;
      error.classList.remove("d-none");
    } finally {
      button.disabled = false;
    }
  }

  // ---- data loading, live updates, refresh ----------------------------------------------------
  function applyFeed(feed) {
    st.feed = feed;
    st.skew = Date.now() - Date.parse(feed.generated_at); // how far this clock is ahead of the server's
    renderBreadcrumbs(feed);
    renderKpis(feed.unit);
    renderHeld(feed);
    renderChildren(feed);
    renderSupervisions(feed);
    renderQueue(feed);
    renderTasks(feed);
    workerLanding(feed);
    renderAlerts(feed);
    showClosedAlerts();
    shade();
  }

  function showClosedAlerts() {
    loadClosedAlerts().catch((err) => zz.toast("已关闭的预警读取失败：" + zz.errorText(err), "danger"));
  }

  // Reads of the feed may answer out of order (a slow one started before an import, a fast one
  // after it): an answer is drawn only when no later read was drawn, so an older answer never
  // overwrites a newer one.
  let feedReads = 0;
  let shownRead = 0; // the read whose case parts are drawn
  let fullRead = 0; // the read st.full came from
  /**
   * Read the feed again: all of it, or (parts "cases", on a live case event) only what a case
   * event can change, drawn with the rest of the last full read: 走访逾期, the cameras, the hot
   * cells and the alerts, the costliest parts of a big county's feed, which no case event
   * changes (trial BC M4; layers/command.py PARTS). Imports, alerts, the wall's period and the
   * page's own actions read it all.
   */
  async function refreshFeed(parts) {
    const read = ++feedReads;
    const partial = parts === "cases" && !!st.full;
    let feed;
    try {
      feed = await zz.api("/api/command/" + code + (partial ? "?parts=cases" : ""));
    } catch (error) {
      if (read === feedReads) zz.toast("数据刷新失败：" + zz.errorText(error), "danger");
      return;
    }
    if (!partial) {
      if (read < fullRead) return; // a later full read answered first
      fullRead = read;
      st.full = feed;
    }
    if (read > shownRead) {
      shownRead = read;
      applyFeed(partial ? withFullParts(feed, st.full) : feed);
    } else if (!partial && st.feed) {
      applyFeed(withFullParts(st.feed, feed)); // later case parts drawn: this read's rest under them
    }
  }

  // the feed's members a read of its case parts gives (the rest come from the last full read)
  const CASE_PARTS = ["unit", "children", "ancestors", "queue", "tasks", "recalled", "late_dispatches",
    "supervisions", "supervisions_total", "window_days", "generated_at", "extensions_pending"];
  const CASE_KPIS = ["open", "overdue", "overdue_contact", "reported", "resolved_share", "escalations", "repeats"];

  /** The case parts of `part` with the other parts and KPIs of the full read `full`. */
  function withFullParts(part, full) {
    const merged = Object.assign({}, full);
    CASE_PARTS.forEach((name) => { merged[name] = part[name]; });
    const kpisOf = new Map([[full.unit.code, full.unit.kpis]].concat(full.children.map((c) => [c.code, c.kpis])));
    const fill = function (unit) {
      const kpis = Object.assign({}, kpisOf.get(unit.code) || {});
      CASE_KPIS.forEach((name) => { kpis[name] = unit.kpis[name]; });
      return Object.assign({}, unit, { kpis: kpis });
    };
    merged.unit = Object.assign(fill(part.unit), { overdue_visits_below: full.unit.overdue_visits_below });
    merged.children = part.children.map(fill);
    return merged;
  }

  function reloadPoints() {
    Object.values(st.layers).forEach(function (entry) {
      if (entry.mode === "features") loadFeatures(entry);
      if (entry.def.source === "hotspots" && entry.visible) entry.loading = loadHotspots(entry);
    });
  }

  function onWorker(w) {
    if (st.me && st.me.worker_id === w.id && duty.worker) loadDuty(); // his own, changed elsewhere
    const entry = st.layers.workers;
    // counted per grid (trial BC S3): the badges stand until the next move
    if (!entry || entry.mode !== "features" || entry.counted || w.lat === null || w.lon === null) return;
    const marker = entry.markers && entry.markers[w.id];
    const f = { id: w.id, type: "Feature", geometry: { type: "Point", coordinates: [w.lon, w.lat] }, properties: w };
    if (marker) entry.cluster.removeLayer(marker);
    const fresh = featureMarker(entry.def, f);
    entry.markers[w.id] = fresh;
    entry.cluster.addLayer(fresh);
  }

  const refreshSoon = debounce(() => refreshFeed(), 1500);
  const refreshCasesSoon = debounce(() => refreshFeed("cases"), 1500);
  // a visit recorded or a person registered (visits.js, person_form.js): the 走访超期 card and
  // the persons' popups (上次走访, 应访日期) as they are now
  function onVisitsChanged() {
    refreshFeed();
    const entry = st.layers.persons;
    if (entry && entry.mode === "features") loadFeatures(entry);
  }
  document.addEventListener("zz:visits-changed", onVisitsChanged);
  document.addEventListener("zz:person-registered", onVisitsChanged);
  function onImport(e) {
    const news = zz.importNews(e);
    if (news) zz.toast(news, "info");
    refreshFeed();
  }
  /**
   * Tell the operator of a case that came in: a red case of the area, or one reported up to this
   * level, stays in the corner until acknowledged (not on the big screen, where nobody clicks).
   */
  function announce(e) {
    const own = st.me && e.handling_level === levelOf(st.me.scope_code);
    const link = { sticky: !screen, href: "/cases/" + e.case_id, link: "查看案件" };
    if (e.action === "register" && e.risk_level === 1) {
      zz.toast("红色风险案件登记（" + e.case_code + "）：" + e.title, "danger", link);
    } else if (e.action === "register") {
      zz.toast("新登记案件：" + e.title, "info");
    } else if (e.action === "escalate" && own) {
      zz.toast("下级上报案件（" + e.case_code + "）：" + e.title, "warning", link);
    } else if (e.action === "recall" && role() === "grid_worker" && isMyTask(e.case_id)) {
      // the task leaves 我的任务 with the feed's refresh: say who took it back and why, until
      // he has read it (trial AN M1: it vanished without a word while he walked to the site)
      const tail = String(e.case_code || "").slice(-4);
      zz.toast("案件 …" + tail + " 的派单已被" + (e.actor_name || "调度员") + "撤回" + (e.note ? "：" + e.note : ""), "warning", { sticky: true });
    }
  }
  /**
   * A 催办 of a case in this unit's queue or on 我的任务 says so at once, until read (trial AZ S1:
   * it keeps the state, so nothing showed); one's own says nothing.
   */
  function remindedToast(e) {
    if (e.action !== "remind" || (st.me && e.actor_name === st.me.display_name)) return;
    const queued = !!(st.feed && (st.feed.queue || []).some((c) => c.id === e.case_id));
    if (!queued && !isMyTask(e.case_id)) return;
    zz.toast(
      (queued ? "上级催办" : "催办") + "：案件 " + e.case_code + "「" + e.title + "」" + (e.note ? "：" + e.note : "") +
        "（" + e.actor_name + "）",
      "warning",
      { sticky: !screen, href: "/cases/" + e.case_id, link: "查看案件" }
    );
  }
  /** Whether the case is in the grid worker's 我的任务 as last shown. */
  function isMyTask(caseId) {
    return !!(st.feed && (st.feed.tasks || []).some((t) => t.id === caseId));
  }
  function onCaseEvent(e) {
    announce(e);
    remindedToast(e);
    if (e.action === "register") {
      const entry = st.layers.cases;
      if (entry && entry.mode === "features" && e.lat !== null && e.lon !== null && !entry.markers[e.case_id]) {
        const f = { id: e.case_id, type: "Feature", geometry: { type: "Point", coordinates: [e.lon, e.lat] },
          properties: { code: e.case_code, title: e.title, risk_level: e.risk_level, state: e.to_state, handling_level: e.handling_level } };
        entry.markers[e.case_id] = featureMarker(entry.def, f);
        entry.cluster.addLayer(entry.markers[e.case_id]);
      }
    }
    refreshCasesSoon(); // what a case event can change (trial BC M4)
  }

  function setupTabs() {
    document.querySelectorAll(".zz-tab").forEach(function (tab) {
      tab.addEventListener("click", function () {
        document.querySelectorAll(".zz-tab").forEach((t) => t.classList.toggle("active", t === tab));
        document.querySelectorAll(".zz-pane").forEach((p) => p.classList.toggle("active", p.dataset.pane === tab.dataset.pane));
      });
    });
  }

  // the cards that open the list of the cases they count, a stage of GET /api/cases of that name
  const QUEUE_KPIS = ["overdue", "overdue_contact"];

  function setupControls() {
    const kpiSelect = document.getElementById("zz-kpi-select");
    kpiSelect.addEventListener("change", function () {
      st.kpi = kpiSelect.value;
      if (st.feed) {
        renderKpis(st.feed.unit);
        renderChildren(st.feed);
      }
      shade();
    });
    document.querySelectorAll("#zz-kpis .zz-kpi").forEach(function (card) {
      card.addEventListener("click", function () {
        kpiSelect.value = card.dataset.kpi;
        kpiSelect.dispatchEvent(new Event("change"));
        if (QUEUE_KPIS.includes(card.dataset.kpi) && !screen) showQueueScope(card.dataset.kpi);
      });
    });
    const queueScope = document.getElementById("zz-queue-scope");
    if (queueScope) queueScope.addEventListener("change", () => renderQueue(st.feed));
    const caseState = document.getElementById("zz-case-state");
    caseState.addEventListener("change", function () {
      st.caseState = caseState.value;
      const entry = st.layers.cases;
      if (entry && entry.mode === "features") loadFeatures(entry);
      if (entry && entry.mode === "hexagons") {
        // the hexagons count the chosen cases: tiles of the new state=, and the legend says so
        entry.group.clearLayers();
        entry.group.addLayer(vectorTiles(entry.def, true));
      }
      renderCaseLegend();
    });
    const form = document.getElementById("zz-action-form");
    if (form) {
      form.addEventListener("submit", submitAction);
      document.getElementById("zz-action-note").addEventListener("input", keepActionNote);
      window.addEventListener("online", networkBack);
      document.getElementById("zz-action-cancel").addEventListener("click", () => document.getElementById("zz-action-dialog").close());
    }
    const full = document.getElementById("zz-fullscreen");
    if (full) full.addEventListener("click", () => document.documentElement.requestFullscreen && document.documentElement.requestFullscreen());
    L.DomEvent.disableClickPropagation(document.getElementById("zz-layer-panel"));
    L.DomEvent.disableScrollPropagation(document.getElementById("zz-layer-panel"));
  }

  // ---- the wall's login (trial AR M4: left open, it became the login page when the token
  // expired, without a word, in a room where nobody may be watching it) ------------------------
  // The platform renews no token (a login lasts its set time): the wall says when its login
  // ends, SESSION_WARN_MINUTES before, and once it has ended keeps its last figures on screen
  // under 「已断开：登录已过期」 instead of leaving for the login page.
  const SESSION_WARN_MINUTES = 30;
  const timers = [];
  let disconnected = false;

  function watchSession(me) {
    if (!screen) return;
    zz.whenExpired(showDisconnected);
    if (!me.session_expires_at) return;
    const end = Date.parse(me.session_expires_at);
    // the wall's clock may be off the server's: counted on the server's (the feed's time)
    const ahead = st.feed ? Date.now() - Date.parse(st.feed.generated_at) : 0;
    const left = end + ahead - Date.now();
    setTimeout(() => warnExpiry(end), Math.max(0, left - SESSION_WARN_MINUTES * 60000));
    setTimeout(showDisconnected, Math.max(0, left));
  }

  function warnExpiry(end) {
    const note = document.getElementById("zz-session-note");
    if (!note || disconnected) return;
    const at = zz.fmtTime(new Date(end).toISOString()).slice(11, 16);
    document.getElementById("zz-session-note-text").textContent = "登录将于 " + at + " 过期，请重新登录";
    note.hidden = false;
  }

  function showDisconnected() {
    if (disconnected) return;
    disconnected = true;
    timers.forEach((t) => clearInterval(t));
    if (st.live) st.live.close();
    const note = document.getElementById("zz-session-note");
    if (note) note.hidden = true;
    const box = document.getElementById("zz-disconnected");
    if (!box) return;
    const at = st.feed ? zz.fmtTime(st.feed.generated_at) : "";
    document.getElementById("zz-disconnected-when").textContent =
      (at ? "以下为 " + at + " 的数据，已停止更新。" : "已停止更新。") + "请重新登录后继续显示。";
    box.hidden = false;
    document.title = "已断开 · " + document.title;
  }

  function tickClock() {
    document.getElementById("zz-clock").textContent = zz.fmtTime(new Date().toISOString(), true);
  }

  function setupBriefMonth() {
    // 往月: the 月总结 of the month picked
    const picker = document.getElementById("zz-brief-month");
    if (!picker) return;
    const link = document.getElementById("zz-brief-month-link");
    picker.addEventListener("change", function () {
      link.href = "/api/command/" + code + "/brief.xlsx?period=month&date=" + picker.value;
    });
  }

  /**
   * No month in 往月 before the unit's first case (the history an import brought counts too):
   * the first full feed's first_day, as /api/command/{code}/history gives it. Without it the
   * picker keeps its months: the brief of one without cases says so.
   */
  function pruneBriefMonths(feed) {
    const picker = document.getElementById("zz-brief-month");
    if (!picker || !("first_day" in feed)) return;
    const first = feed.first_day ? feed.first_day.slice(0, 7) + "-01" : null;
    Array.from(picker.options).forEach(function (option) {
      if (!first || option.value < first) option.remove();
    });
    const box = picker.closest(".zz-brief-month");
    box.hidden = picker.options.length === 0;
    if (picker.options.length) {
      picker.value = picker.options[0].value;
      picker.dispatchEvent(new Event("change"));
    }
  }

  async function start() {
    map.options.zoomSnap = 0.25;
    map.options.zoomDelta = 0.5;
    setupTabs();
    setupPanelFold();
    setupLegendFold();
    setupControls();
    setupBriefMonth();
    setupCellCases();
    setupPages();
    const search = document.getElementById("zz-map-search"); // 查找 (map_search.js, trial BB M7)
    if (search) search.addEventListener("zz-search-shown", showFound);
    map.on("movestart", function () {
      if (!st.fitting) st.fitted = false; // moved by hand, or to a located cell or person
    });
    const closed = document.getElementById("zz-closed-alerts");
    if (closed) closed.addEventListener("toggle", showClosedAlerts);
    tickClock();
    setInterval(tickClock, 1000);
    setInterval(tickCountdowns, 30000);
    // the hot cells of a layer on by default, read beside the feed rather than after it
    // (loadHotspots takes this answer the first time)
    if (LAYERS.some((def) => def.source === "hotspots" && def.on)) {
      st.hotRead = zz.api("/api/console/" + code + "/hotspots");
      st.hotRead.catch(() => {}); // said by loadHotspots, which awaits it
    }
    const [me, feed, outline] = await Promise.all([
      zz.me(),
      zz.api("/api/command/" + code),
      zz.api("/api/console/" + code + "/outline"),
    ]);
    st.me = me;
    st.feed = feed;
    st.full = feed; // the parts a live case event does not read again
    const desk = document.getElementById("zz-dispatch-link");
    if (desk) desk.hidden = !OPERATORS.includes(me.role); // 调度台: walk-ins, nearest worker
    if (me.role === "grid_worker") {
      // not a grid worker's tools, and a row of his phone's top bar (trial AH)
      ["zz-trends-link", "zz-screen-link"].forEach(function (id) {
        const link = document.getElementById(id);
        if (link) link.hidden = true;
      });
    }
    drawOutline(outline);
    applyFeed(feed);
    pruneBriefMonths(feed);
    showLoading(null);
    setupLayers();
    markReady("map");
    if (me.role !== "analyst") {
      // an alert raised, refreshed, signed for or closed (here or elsewhere): the feed again
      st.live = zz.live({ case_event: onCaseEvent, worker: onWorker, import: onImport, alert: refreshSoon });
    }
    if (screen) {
      timers.push(setInterval(function () {
        refreshFeed();
        reloadPoints();
      }, refreshSeconds * 1000));
    }
    watchSession(me);
  }

  // 批量交办 over 本级待办 (bulk_handover.js, trial AZ M9), as on the 调度台's 待派单: the boxes on
  // the rows this level may 交办, the bar above the queue
  if (!screen) {
    window.zzCommandQueue = {
      level: levelOf(code),
      list: document.getElementById("zz-queue-body"),
      anchor: document.querySelector("#zz-queue-pane .zz-queue"),
      rows: function () {
        const scope = document.getElementById("zz-queue-scope");
        if (!st.feed || (scope && scope.value !== "queue")) return [];
        return Array.from(document.querySelectorAll("#zz-queue-body > tr.zz-queue-row"));
      },
      place: (row, box) => row.children[1].prepend(box),
      cases: () => (st.feed ? st.feed.queue : []),
      childNames: () => new Map((st.feed ? st.feed.children : []).filter((k) => k.kind === "jurisdiction").map((k) => [k.code, k.name])),
      reload: refreshFeed,
    };
  }

  start().catch(function (error) {
    if (error instanceof zz.ApiError && error.status === 401) return;
    if (error instanceof zz.ApiError && error.status === 404) {
      // another unit than the account's or one below it, or no unit (trial AQ m6)
      zz.guardUnit(code, zz.errorText(error));
      return;
    }
    const loading = document.getElementById("zz-loading");
    if (loading && !loading.hidden) showLoading(error); // not once the feed was drawn: a toast
    document.getElementById("zz-queue-empty").classList.remove("d-none");
    document.getElementById("zz-queue-empty").textContent = "加载失败：" + zz.errorText(error);
    zz.toast("加载失败：" + zz.errorText(error), "danger");
  });
})();
