// 研判分析: Gi* hot spots per period with a time slider, emerging hot spot classes, kernel
// density overlay, charts of cases by category and month (inline SVG), cases by child unit and
// period (retired units marked 已撤销), each village's last months against as many before
// (变化对比), hot spots without camera coverage, overdue visits by grid, and the period's
// exports. The window can end at a chosen period (截止统计期) and the cases can be filtered by
// channel and origin (来源渠道, 数据来源). Aggregates only.
"use strict";
(function () {
  const code = document.body.dataset.code;
  const map = window.zzMap;
  const $ = function (id) {
    return document.getElementById(id);
  };
  const state = { granularity: "month", months: 6, changes: null, end: "", channel: "", origin: "", category: "", data: null, t: 0, categories: null, children: null, timer: null, cellsLayer: null, patternLayer: null, kde: null, uncovered: null, token: 0 };
  const END_CHOICES = { month: 120, quarter: 40 };
  // the page's choices in its address, so that a view is bookmarked and shared as it is (trial AY
  // m5: /trends/…?granularity=quarter opened the months): 统计粒度, 截止统计期, the filters, the
  // 变化对比 length and the period the slider shows; a value the API refuses is said by it
  const URL_KEYS = ["granularity", "periods", "end", "channel", "origin", "category", "months", "period"];
  const asked = new URLSearchParams(window.location.search);
  if (asked.get("granularity") === "quarter") state.granularity = "quarter";
  ["end", "channel", "origin", "category"].forEach(function (k) {
    state[k] = asked.get(k) || "";
  });
  if (["3", "6", "12"].includes(asked.get("months"))) state.months = Number(asked.get("months"));
  // 统计期数 (the API takes 4 to 60; none: its 24 months or 8 quarters)
  const askedPeriods = Number(asked.get("periods"));
  if (Number.isInteger(askedPeriods) && askedPeriods >= 4 && askedPeriods <= 60) state.periods = askedPeriods;
  state.askedPeriod = asked.get("period") || "";
  $("granularity").value = state.granularity;
  $("change-months").value = String(state.months);

  /** Write the page's choices into its address (replaced, not a new history entry). */
  function writeUrl() {
    const params = new URLSearchParams(window.location.search);
    URL_KEYS.forEach((k) => params.delete(k));
    if (state.granularity !== "month") params.set("granularity", state.granularity);
    if (state.periods) params.set("periods", String(state.periods));
    ["end", "channel", "origin", "category"].forEach(function (k) {
      if (state[k]) params.set(k, state[k]);
    });
    if (state.months !== 6) params.set("months", String(state.months));
    if (state.data && state.t !== state.data.periods.length - 1) params.set("period", period().key);
    const search = params.toString();
    history.replaceState(history.state, "", window.location.pathname + (search ? "?" + search : "") + window.location.hash);
  }
  const CATEGORY_COLOURS = { dispute: "#4e79a7", safety_hazard: "#f28e2b", public_opinion: "#59a14f" };
  // the trend views count a case once: a repeat (重复反映, a case marked as the duplicate of an
  // earlier one) is left out, where the command view's brief (近期受理) counts it
  const NO_REPEATS = "不含重复反映";
  const NO_REPEATS_LONG = "不含重复反映（同一事项再次反映的案件）";
  // said where a change on a small base is told in counts only (layers.trend_tables.SMALL_BASE_NOTE)
  const SMALL_BASE_NOTE = "基数小，仅供参考";
  // Overdue visits are today's, whatever period the slider shows (trial AA read 2024年11月's).
  const VISITS_NOW = "走访逾期为当前情况，不随所选统计期变化";
  const VISIT_ROWS = 12;
  // 变化对比 lists the villages with the largest rises first; the rest on 显示全部
  const CHANGE_ROWS = 15;
  // the SVG namespace, taken from a parsed <svg> (no address written in this file)
  const SVG = (function () {
    const probe = document.createElement("div");
    probe.innerHTML = "<svg></svg>";
    return probe.firstChild.namespaceURI;
  })();

  function count(value, minCount) {
    if (value === null || value === undefined) return "<" + (minCount || 3);
    return String(value);
  }

  function query(extra) {
    const params = new URLSearchParams({ granularity: state.granularity });
    if (state.periods) params.set("periods", state.periods); // 统计期数 (none: the API's 24 or 8)
    if (state.end) params.set("end", state.end);
    if (state.channel) params.set("channel", state.channel);
    if (state.origin) params.set("origin", state.origin);
    if (state.category) params.set("category", state.category);
    Object.keys(extra || {}).forEach(function (k) {
      params.set(k, extra[k]);
    });
    return params.toString();
  }

  /** Room kept around the fitted area: on a desktop for the legend (left), the tools (right)
   * and the time slider (bottom) over the map; up to 1100 px the first two fold behind buttons,
   * and a phone sets the slider under the map (trends.css). */
  function fitPadding() {
    if (window.matchMedia("(max-width: 768px)").matches) {
      return { paddingTopLeft: [20, 12], paddingBottomRight: [20, 12] };
    }
    if (window.matchMedia("(max-width: 1100px)").matches) {
      return { paddingTopLeft: [20, 56], paddingBottomRight: [20, 80] };
    }
    // the tools folded to their title: room above the unit for it, none beside it
    return $("trend-tools").classList.contains("zz-folded")
      ? { paddingTopLeft: [300, 50], paddingBottomRight: [20, 80] }
      : { paddingTopLeft: [300, 10], paddingBottomRight: [232, 80] };
  }

  function period() {
    return state.data.periods[state.t];
  }

  /**
   * 图层 and 图例 fold the tools and the legend to their titles, as the command page's layer
   * panel does: the tools start folded on a screen up to 760 px high (a projector's 1280×720),
   * where with the legend they covered about 40 % of the map (trial AY m6); the legend stays
   * open until folded. Up to 1100 px wide the buttons on the map open them whole (mobile.js).
   */
  function setupFold(box, button, folded) {
    const fold = function (on) {
      box.classList.toggle("zz-folded", on);
      button.setAttribute("aria-expanded", String(!on));
      button.title = on ? "展开" : "收起";
    };
    fold(folded);
    button.addEventListener("click", () => fold(!box.classList.contains("zz-folded")));
  }
  setupFold($("trend-tools"), $("trend-tools-fold"), window.matchMedia("(max-height: 760px)").matches);
  setupFold($("trend-legend"), $("trend-legend-fold"), false);

  // ---- map layers -------------------------------------------------------------------------
  // Every layer that answers the mouse draws on this one canvas: a canvas takes every mouse
  // event over its whole extent, so a second one (the map's own, prefer_canvas) on top of it
  // would hide the tooltips of everything below. Within the canvas the last drawn wins: the
  // villages' (invisible) outlines first, then the cells, then the circles.
  const renderer = L.canvas({ padding: 0.3 });
  map.createPane("zzOutline").style.zIndex = 350;
  map.createPane("zzKde").style.zIndex = 380;
  // what the outlines look like: below the density overlay, deaf to the mouse
  const outlineLayer = L.geoJSON(null, {
    pane: "zzOutline",
    interactive: false,
    style: function (f) {
      return f.properties.role === "unit"
        ? { color: "#343a40", weight: 2.5, fill: false }
        : { color: "#6c757d", weight: 1, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0.5 };
    },
  }).addTo(map);
  // the villages' names: the same outlines, not drawn, on the shared canvas below the cells
  const outlineHits = L.geoJSON(null, {
    renderer: renderer,
    filter: function (f) {
      return f.properties.role === "child";
    },
    style: function () {
      return { stroke: false, fill: false };
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(zz.esc(f.properties.name), { sticky: true });
    },
  }).addTo(map);
  const binLayer = L.layerGroup().addTo(map);
  const patternLayer = L.layerGroup().addTo(map);
  const uncoveredLayer = L.layerGroup().addTo(map);
  const visitsLayer = L.layerGroup();
  let kdeOverlay = null;

  function binStyle(b) {
    const entry = state.data.legend.bins.find(function (x) {
      return x.bin === b;
    });
    if (!entry) return { stroke: false, fill: false };
    return { renderer: renderer, color: entry.colour, weight: 0.6, fillColor: entry.colour, fillOpacity: 0.6, fill: true, stroke: true };
  }

  function patternColour(code) {
    const entry = state.data.legend.patterns.find(function (x) {
      return x.code === code;
    });
    return entry ? entry.colour : "#999";
  }

  function patternLabel(code) {
    if (code === "no_pattern" && state.data && !state.data.patterns_judged) return "不作判断";
    const entry = state.data.legend.patterns.find(function (x) {
      return x.code === code;
    });
    return entry ? entry.label : code;
  }

  function binLabel(b) {
    const entry = state.data.legend.bins.find(function (x) {
      return x.bin === b;
    });
    return entry ? entry.label : "不显著";
  }

  // Gi* weighs a cell with its neighbours: a cell without a case of its own is hot when the
  // cases around it are dense, which the operator would otherwise take for a mistake
  const NEIGHBOURS_HOT = "本格本期无案件，因相邻单元案件集中而显著";
  // a city's, a county's and a village's page analyse cells of different sizes (5.2, 0.74, 0.11
  // km²): the same place's classes differ between them (trial AY M5)
  const CELLS_DIFFER = "各级页面格网大小不同，热点类别不宜跨级比较";

  function latlngs(ring) {
    return ring.map(function (p) {
      return [p[1], p[0]];
    });
  }

  function buildCells() {
    binLayer.clearLayers();
    patternLayer.clearLayers();
    state.binPolys = state.data.cells.map(function (cell) {
      const poly = L.polygon(latlngs(cell.ring), { renderer: renderer, stroke: false, fill: false });
      poly.bindTooltip(function () {
        const b = cell.bins[state.t];
        return (
          "<b>" + zz.esc(cell.area_name || "—") + "</b><br>" + zz.esc(period().label) + "：" + zz.esc(binLabel(b)) +
          "<br>本期案件数：" + zz.esc(count(cell.counts[state.t], state.data.min_count)) +
          (b > 0 && cell.counts[state.t] === 0 ? "<br>" + NEIGHBOURS_HOT : "") +
          "<br>新兴热点模式：" + zz.esc(patternLabel(cell.pattern)) +
          // judged on the whole window with the neighbours, not on the period shown (trial AA:
          // 2026年11月：不显著 beside 新增热点 read as a contradiction)
          // its periods named (trial AF: the commander's alert counts weeks, this months)
          (cell.pattern !== "no_pattern" ? "（" + patternsBasis() + "及相邻单元判定）" : "")
        );
      }, { sticky: true });
      binLayer.addLayer(poly);
      return poly;
    });
    state.data.cells.forEach(function (cell) {
      if (cell.pattern === "no_pattern") return;
      const colour = patternColour(cell.pattern);
      const poly = L.polygon(latlngs(cell.ring), { renderer: renderer, color: colour, weight: 2.5, fill: false, interactive: false });
      patternLayer.addLayer(poly);
    });
  }

  function restyleCells() {
    state.data.cells.forEach(function (cell, i) {
      state.binPolys[i].setStyle(binStyle(cell.bins[state.t]));
    });
  }

  function legend() {
    // the classes of this window's cells with their swatches; the others in one line (trial AF:
    // 17 classes listed, most of them without a cell)
    const all = state.data.legend.patterns;
    const patterns = all.filter((p) => p.cells > 0 || p.code === "no_pattern");
    const absent = all.filter((p) => !(p.cells > 0) && p.code !== "no_pattern");
    const hot = patterns.filter(function (p) {
      return /_hot$/.test(p.code);
    });
    const cold = patterns.filter(function (p) {
      return /_cold$/.test(p.code);
    });
    const none = patterns.filter(function (p) {
      return p.code === "no_pattern";
    });
    const item = function (p) {
      return (
        '<div class="zz-legend-item" data-pattern="' + zz.esc(p.code) + '"><span class="zz-swatch zz-swatch-outline" style="border-color:' +
        zz.esc(p.colour) + '"></span>' + zz.esc(p.label) + (p.cells && p.code !== "no_pattern" ? " (" + p.cells + ")" : "") + "</div>"
      );
    };
    const rows = [];
    for (let i = 0; i < Math.max(hot.length, cold.length); i += 1) {
      rows.push(hot[i] ? item(hot[i]) : "<div></div>");
      rows.push(cold[i] ? item(cold[i]) : "<div></div>");
    }
    rows.push(item(none[0]));
    if (absent.length) {
      rows.push('<div class="zz-legend-absent" id="legend-absent">本时段未出现：' + absent.map((p) => zz.esc(p.label)).join("、") + "</div>");
    }
    $("legend-patterns").innerHTML = rows.join("");
    $("legend-bins").innerHTML = state.data.legend.bins
      .map(function (b) {
        return '<div class="zz-legend-item"><span class="zz-swatch" style="background:' + zz.esc(b.colour) + '"></span>' + zz.esc(b.label) + "</div>";
      })
      .join("");
  }

  // ---- density, coverage --------------------------------------------------------------------
  /**
   * The answer of a read the page started beside the series (`early`, of the period it opens
   * on), when it is of the period shown; null otherwise (read anew).
   */
  async function earlyAnswer(early) {
    if (!early) return null;
    try {
      const body = await early;
      return body.period === period().key ? body : null;
    } catch (err) {
      return null; // read anew, which says what went wrong
    }
  }

  async function loadKde(token, early) {
    const body = (await earlyAnswer(early)) || (await zz.api("/api/trends/" + code + "/kde?" + query({ period: period().key })));
    if (token !== state.token) return;
    if (kdeOverlay) {
      map.removeLayer(kdeOverlay);
      kdeOverlay = null;
    }
    if (body.bounds) {
      kdeOverlay = L.imageOverlay(body.image, body.bounds, { opacity: 0.8, className: "zz-kde-overlay", pane: "zzKde" });
      if ($("layer-kde").checked) kdeOverlay.addTo(map);
      $("legend-kde").innerHTML = "核密度（案件/平方公里）0<span class=\"zz-kde-bar\"></span>" + zz.esc(body.peak_per_km2.toFixed(1)) + "，带宽 " + zz.esc(body.bandwidth_m) + " 米";
    } else {
      $("legend-kde").textContent = "本期定位案件过少，无核密度";
    }
  }

  async function loadCoverage(token, early) {
    const body = (await earlyAnswer(early)) || (await zz.api("/api/trends/" + code + "/coverage?" + query({ period: period().key })));
    if (token !== state.token) return;
    state.uncovered = body;
    uncoveredLayer.clearLayers();
    const circles = body.uncovered.map(function (c) {
      return L.circleMarker([c.centre[1], c.centre[0]], { renderer: renderer, radius: 8, color: "#111", weight: 2, dashArray: "3 3", fill: false })
        .bindTooltip("无摄像机覆盖：" + zz.esc(c.area_name) + "（" + zz.esc(c.pattern_label) + "）")
        .addTo(uncoveredLayer);
    });
    $("uncovered-count").textContent = body.uncovered.length;
    const rows = body.uncovered.slice(0, 12).map(function (c, i) {
      return (
        "<tr><td>" + zz.esc(c.area_name) + "</td><td>" + zz.esc({ 3: "99%", 2: "95%", 1: "90%" }[c.bin] || "") + "</td><td>" +
        zz.esc(count(c.count, state.data.min_count)) + "</td><td>" + zz.esc(c.pattern_label) +
        '</td><td><button type="button" class="btn btn-link btn-sm p-0 zz-locate" data-i="' + i + '">定位</button></td></tr>'
      );
    });
    $("table-uncovered").innerHTML = body.uncovered.length
      ? '<table class="table table-sm table-striped zz-table"><thead><tr><th>所属辖区</th><th>置信度</th><th>案件数</th><th>新兴模式</th><th></th></tr></thead><tbody>' +
        rows.join("") + "</tbody></table>" +
        (body.uncovered.length > 12 ? '<div class="zz-empty">另有 ' + (body.uncovered.length - 12) + " 处，见导出报告</div>" : "") +
        neighbourOnly(body)
      : '<div class="zz-empty">' + uncoveredEmpty(body.hot, body.neighbour_only) + "</div>" + neighbourOnly(body);
    document.querySelectorAll("#table-uncovered .zz-locate").forEach(function (btn) {
      btn.addEventListener("click", function () {
        const i = Number(btn.dataset.i);
        const c = body.uncovered[i];
        map.setView([c.centre[1], c.centre[0]], Math.max(map.getZoom(), 13));
        // the cell located is the one whose circle says so (its layer shown if it was hidden)
        if (!map.hasLayer(uncoveredLayer)) $("layer-uncovered").click();
        circles[i].openTooltip();
      });
    });
    renderKpis();
  }

  // what the table of uncovered hot spots says when it lists none
  function uncoveredEmpty(hot, neighbourOnlyCount) {
    if (!period().judged) return "本期不作热点判断";
    if (!hot) return "本期无热点";
    return neighbourOnlyCount ? "本期有案件的热点单元均有在线摄像机覆盖" : "本期 " + hot + " 处热点均有在线摄像机覆盖";
  }

  /** The uncovered hot cells without a case of their own: counted, not listed (trial AF). */
  function neighbourOnly(body) {
    if (!body.neighbour_only) return "";
    return '<div class="zz-empty">另有 ' + body.neighbour_only + " 个无覆盖的热点单元本期本格无案件（因相邻单元案件集中而显著），未列入</div>";
  }

  // ---- KPIs, charts, tables -----------------------------------------------------------------
  // 环比 and 同比 of the period's cases: against the period before and the same period a year
  // before, when the window holds them; the counts compared in the title
  // (the server's case_changes: on a small base the change in cases, no percentage, trial AY M4)
  function caseChanges() {
    const periods = state.data.periods;
    const compared = (state.data.case_changes || [])[state.t] || [];
    const sign = (n) => (n > 0 ? "+" : n < 0 ? "−" : "±") + Math.abs(n);
    const small = compared.some((c) => c.small_base);
    const text = compared.map(function (c) {
      if (c.small_base) return c.kind + " " + sign(c.change) + " 件";
      if (c.change_pct === null) return c.kind + " —";
      // whole percent from the counts: change_pct is already rounded to 0.1 (32.47 → 32.5 → 33)
      return c.kind + " " + sign(Math.round((c.change * 100) / c.before)) + "%";
    });
    const title = compared.map(function (c) {
      return c.column + "（" + periods[c.index].label + "）" + c.before + " 件";
    });
    return {
      text: text.join(" · ") + (small ? "（" + SMALL_BASE_NOTE + "）" : ""),
      title: title.join("，") + (small ? "；两期均不足 " + state.data.small_base + " 件，只比件数，不算变化率" : ""),
    };
  }

  // what 本期热点单元 counts, told apart from the command page's 近期热点（按周）, which counts the
  // stored weekly runs of the last months (its tooltip says the same from its side: trial AM M6)
  function hotCellsTitle(p) {
    const by = state.granularity === "quarter" ? "按季度" : "按月";
    return (
      "本期（" + p.label + "，" + p.start + " 至 " + p.end + "）单独判定、置信度 95% 以上的热点六边形单元数" +
      "（Getis-Ord Gi* 局部统计，连同相邻单元）；" + by + "分期，六边形每个约 " + state.data.cell_km2 +
      " 平方公里，大小随辖区层级而定。指挥调度页的“近期热点（按周）”取最近一次热点分析（按周分期，覆盖近几个月）" +
      "中的热点单元数，与此数不同" + (p.judged ? "" : "。本期有位置的案件太少，不作热点判断")
    );
  }

  function renderKpis() {
    const p = period();
    const changes = caseChanges();
    // judged on the whole window, not the period shown; not judged at all with too few cases
    // (trial AF: 不作判断 above, 0 here)
    const rising = !state.data.patterns_judged
      ? "—"
      : state.data.cells.filter(function (c) {
          return c.pattern === "new_hot" || c.pattern === "intensifying_hot" || c.pattern === "consecutive_hot";
        }).length;
    const whole = patternsBasis();
    const items = [
      ["本期案件数", p.cases, false, NO_REPEATS, NO_REPEATS_LONG, changes],
      ["有位置（参与热点分析）", p.located, false],
      ["本期热点单元（≥95%）", p.judged ? p.hot : "—", false, "每个约 " + state.data.cell_km2 + " 平方公里", "分析单元为六边形，每个约 " + state.data.cell_km2 + " 平方公里；" + CELLS_DIFFER,
        null, hotCellsTitle(p), "hot_cells"],
      ["新增/连续/加剧热点", rising, rising > 0, state.data.patterns_judged ? whole : "不作判断",
        state.data.patterns_judged ? "新兴热点模式按整个统计时段判定，不随时间轴变化" : state.data.patterns_note || "案件太少，不作判断"],
      // the cells with cases of their own; those hot through their neighbours said apart
      ["无摄像机覆盖热点", state.uncovered ? state.uncovered.uncovered.length : "…", state.uncovered && state.uncovered.uncovered.length > 0,
        state.uncovered && state.uncovered.neighbour_only ? "另 " + state.uncovered.neighbour_only + " 个本格无案件、因相邻格而显著，未计入" : "",
        "本格有案件的热点单元；因相邻单元案件集中而显著、本格无案件的另计，见下表"],
      ["走访逾期人数", !state.visits ? "…" : state.visits.withheld ? "不显示" : state.visits.overdue === null ? "不予显示" : state.visits.overdue, Boolean(state.visits && state.visits.overdue),
        // withheld: where the parts given are (trial AT M3)
        state.visits && state.visits.overdue === null && !state.visits.withheld && (state.visits.units || []).some((u) => u.overdue !== null)
          ? "当前 · 各" + (state.visits.units_label || "下级单位") + "合计见走访逾期表"
          : "当前",
        VISITS_NOW + (visitsFloor(state.visits) > 1 ? "；逾期不足 " + visitsFloor(state.visits) + " 人的网格不列出，合计可据以推算其人数时不予显示（互补隐藏，保护人数较少的单位）" : "")],
    ];
    $("kpis").innerHTML = items
      .map(function (k) {
        const note = k[3] ? '<small class="zz-kpi-note" title="' + zz.esc(k[4]) + '">' + zz.esc(k[3]) + "</small>" : "";
        const change = k[5] && k[5].text ? '<small class="zz-kpi-change" title="' + zz.esc(k[5].title) + '">' + zz.esc(k[5].text) + "</small>" : "";
        const title = k[6] ? ' title="' + zz.esc(k[6]) + '"' : "";
        const kpi = k[7] ? ' data-kpi="' + k[7] + '"' : "";
        return '<div class="zz-kpi' + (k[2] ? " warn" : "") + '"' + kpi + title + "><b>" + zz.esc(k[1]) + "</b><span>" + zz.esc(k[0]) + "</span>" + change + note + "</div>";
      })
      .join("");
    $("located-note").textContent = "案件数" + NO_REPEATS_LONG + "。" + (p.note || "");
  }

  // ---- cases by child unit and period -------------------------------------------------------
  function shortKey(key) {
    return key.indexOf("Q") > 0 ? key.slice(2, 4) + "年" + key.slice(5) + "季" : key.slice(2).replace("-", ".");
  }

  /**
   * The first period holding cases when the unit's records start inside it (trial AT m5: a
   * 2024年第4季度 of December alone read as a whole quarter): its key and 「仅含 12 月」, or null.
   */
  function partialPeriod(data) {
    if (!data || !data.first_day || !data.first_period) return null;
    const p = data.periods.find((x) => x.key === data.first_period);
    if (!p || data.first_day <= p.start) return null;
    // as the window warning judges it: past the middle of the period, it reads as a whole one
    const day = (iso) => Date.parse(iso + "T00:00:00Z") / 86400000;
    if (day(data.first_day) - day(p.start) <= (day(p.end) - day(p.start) + 1) / 2) return null;
    const [, fm, fd] = data.first_day.split("-").map(Number);
    const sm = Number(p.start.split("-")[1]);
    const em = Number(p.end.split("-")[1]);
    let text;
    if (p.key.indexOf("Q") > 0 && fm > sm) text = "仅含 " + (fm === em ? fm : fm + "–" + em) + " 月" + (fd > 1 ? "（" + fm + " 月 " + fd + " 日起）" : "");
    else text = "仅含 " + fm + " 月 " + fd + " 日起";
    return { key: p.key, label: p.label, text: text };
  }

  /** A period's short label, marked when it is the partial first one (partialPeriod). */
  function periodHead(key) {
    const partial = partialPeriod(state.data);
    return shortKey(key) + (partial && partial.key === key ? "*" : "");
  }

  function renderChildren() {
    const table = state.children;
    const card = $("children-card");
    if (!table || !table.child_label) {
      card.classList.add("d-none");
      return;
    }
    card.classList.remove("d-none");
    $("children-title").innerHTML =
      zz.esc("各" + table.child_label + "案件数（" + (state.granularity === "month" ? "按月" : "按季度") + "）") +
      ' <small class="text-muted fw-normal zz-no-repeats">' + NO_REPEATS + "</small>";
    const cell = function (v, i) {
      return '<td data-i="' + i + '"' + (i === state.t ? ' class="zz-selected"' : "") + ">" + zz.esc(v) + "</td>";
    };
    const head =
      "<tr><th>" + zz.esc(table.child_label) + "</th>" +
      table.periods.map(function (key, i) {
        const partial = partialPeriod(state.data);
        const mark = partial && partial.key === key ? ' title="' + zz.esc(partial.label + partial.text) + '"' : "";
        return '<th data-i="' + i + '"' + mark + (i === state.t ? ' class="zz-selected"' : "") + ">" + zz.esc(periodHead(key)) +
          (mark ? '<small class="zz-partial">' + zz.esc(partial.text) + "</small>" : "") + "</th>";
      }).join("") + "<th>合计</th></tr>";
    const rows = table.rows.map(function (r) {
      const name = r.own ? zz.esc(r.label) : '<a href="/trends/' + zz.esc(r.code) + '">' + zz.esc(r.label) + "</a>";
      return '<tr class="' + (r.retired_on ? "zz-retired" : "") + '"><td>' + name + "</td>" + r.counts.map(cell).join("") + "<td>" + zz.esc(r.total) + "</td></tr>";
    });
    rows.push('<tr class="zz-total"><td>合计</td>' + table.totals.map(cell).join("") + "<td>" + zz.esc(table.total) + "</td></tr>");
    $("table-children").innerHTML =
      '<table class="table table-sm zz-table" id="children-table"><thead>' + head + "</thead><tbody>" + rows.join("") + "</tbody></table>";
  }

  function markChildrenPeriod() {
    document.querySelectorAll("#children-table [data-i]").forEach(function (node) {
      node.classList.toggle("zz-selected", Number(node.dataset.i) === state.t);
    });
    // keep the selected period's column in view (the first column stays put), scrolled to a
    // column's edge just right of the first column: none half under it (trial AY m6: 「5.04」
    // showed for 25.04); the last head gets the room to scroll the last columns so too
    const box = $("table-children");
    const heads = Array.from(box.querySelectorAll("thead th"));
    const selected = box.querySelector("th.zz-selected");
    if (!selected || heads.length < 2) return;
    const last = heads[heads.length - 1];
    last.style.paddingRight = "";
    if (box.scrollWidth <= box.clientWidth) {
      box.scrollLeft = 0;
      return;
    }
    const stuck = heads[0].offsetWidth;
    const edges = heads.slice(1).map((th) => th.offsetLeft - stuck);
    const want = Math.max(0, selected.offsetLeft - box.clientWidth / 2);
    let at = edges.filter((e) => e <= want).pop() || 0;
    const most = () => box.scrollWidth - box.clientWidth;
    if (at > most()) at = edges.find((e) => e >= most());
    for (let i = 0; i < 4 && most() < at; i += 1) {
      last.style.paddingRight = parseFloat(getComputedStyle(last).paddingRight) + (at - most()) + "px";
    }
    box.scrollLeft = at;
  }

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // the chart's top: four gridline steps of a round whole number each (250 gave 63, 125, 188)
  function niceMax(v) {
    const raw = Math.max(1, v / 4);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10];
    for (let i = 0; i < steps.length; i += 1) {
      const step = steps[i] * mag;
      if (step >= raw && Number.isInteger(step)) return 4 * step;
    }
    return 40 * mag;
  }

  function renderCategoryChart() {
    const data = state.categories;
    if (!data) return;
    const W = 440, H = 190, left = 34, right = 6, top = 22, bottom = 22;
    const n = data.periods.length;
    const totals = data.periods.map(function (_, i) {
      return data.categories.reduce(function (s, c) {
        return s + (c.counts[i] || 0);
      }, 0);
    });
    const ymax = niceMax(Math.max.apply(null, totals.concat([1])));
    const bw = (W - left - right) / n;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "各类案件数（按月）柱状图", id: "category-svg" });
    for (let k = 0; k <= 4; k += 1) {
      const v = (ymax * k) / 4;
      const y = top + (H - top - bottom) * (1 - k / 4);
      svg.appendChild(el("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#e9ecef" }));
      svg.appendChild(el("text", { x: left - 4, y: y + 3, "text-anchor": "end" }, String(Math.round(v))));
    }
    const sel = el("rect", { id: "category-selected", x: left + state.t * bw, y: top - 4, width: bw, height: H - top - bottom + 4, fill: "#ffe08a", opacity: 0.6 });
    svg.appendChild(sel);
    data.periods.forEach(function (key, i) {
      let y = H - bottom;
      data.categories.forEach(function (c) {
        const v = c.counts[i] || 0;
        const h = ((H - top - bottom) * v) / ymax;
        y -= h;
        svg.appendChild(el("rect", { x: left + i * bw + 1, y: y, width: Math.max(1, bw - 2), height: h, fill: CATEGORY_COLOURS[c.code] || "#999" }));
      });
      const hit = el("rect", { class: "zz-bar-hit", x: left + i * bw, y: top, width: bw, height: H - top - bottom, fill: "transparent", "data-i": i });
      const partial = partialPeriod(state.data);
      const title = el("title", {}, state.data.periods[i].label + (partial && partial.key === key ? "（" + partial.text + "）" : "") + "：" + data.categories.map(function (c) {
        return c.label + " " + count(c.counts[i], state.data.min_count);
      }).join("，"));
      hit.appendChild(title);
      hit.addEventListener("click", function () {
        $("period-slider").value = i;
        selectPeriod(i);
      });
      svg.appendChild(hit);
      if (i % Math.ceil(n / 8) === 0 || i === n - 1) {
        const label = periodHead(key);
        svg.appendChild(el("text", { x: left + i * bw + bw / 2, y: H - 8, "text-anchor": "middle" }, label));
      }
    });
    let lx = left;
    data.categories.forEach(function (c) {
      svg.appendChild(el("rect", { x: lx, y: 4, width: 10, height: 10, fill: CATEGORY_COLOURS[c.code] || "#999" }));
      svg.appendChild(el("text", { x: lx + 13, y: 13 }, c.label + "（合计 " + count(c.total, state.data.min_count) + "）"));
      lx += 140;
    });
    const box = $("chart-categories");
    box.innerHTML = "";
    box.appendChild(svg);
  }

  const TOP_SUBCATEGORIES = 8;

  // the period's disputes by type: the eight most frequent types, the rest as 其他 N 类, the
  // disputes recorded without a type (the API's last row, code "") as 未注明类型, and the total
  // (the month's disputes), so that the rows add up to it
  function subcategoryRows() {
    const data = state.categories;
    const t = state.t;
    const untyped = data.subcategories.find(function (s) {
      return s.code === "";
    });
    const found = data.subcategories
      .filter(function (s) {
        return s !== untyped;
      })
      .map(function (s) {
        return { label: s.label, v: s.counts[t] || 0 };
      })
      .filter(function (r) {
        return r.v > 0;
      })
      .sort(function (a, b) {
        return b.v - a.v;
      });
    const total = found.reduce(function (sum, r) {
      return sum + r.v;
    }, untyped ? untyped.counts[t] : 0);
    const rows = found.slice(0, TOP_SUBCATEGORIES);
    const rest = found.slice(TOP_SUBCATEGORIES);
    if (rest.length) {
      rows.push({
        label: "其他 " + rest.length + " 类",
        v: rest.reduce(function (sum, r) {
          return sum + r.v;
        }, 0),
        other: true,
        title: rest.map(function (r) {
          return r.label + " " + r.v;
        }).join("，"),
      });
    }
    if (untyped && untyped.counts[t]) rows.push({ label: untyped.label, v: untyped.counts[t], other: true });
    return { rows: rows, total: total };
  }

  function renderSubcategoryChart() {
    const data = state.categories;
    if (!data) return;
    const found = subcategoryRows();
    const rows = found.rows;
    const box = $("chart-subcategories");
    box.innerHTML = "";
    if (!rows.length) {
      // another category chosen: its disputes are not counted, not absent (trial AG)
      const other = state.category && state.category !== "dispute";
      box.innerHTML = '<div class="zz-empty">' + (other ? "已按案件类别筛选，不含矛盾纠纷" : "本期无矛盾纠纷") + "</div>";
      return;
    }
    const W = 440, rowH = 18, left = 80, H = rows.length * rowH + 4;
    const max = Math.max.apply(null, rows.map(function (r) {
      return r.v;
    }).concat([1]));
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "本期矛盾纠纷类型条形图", id: "subcategory-svg" });
    rows.forEach(function (r, i) {
      const y = i * rowH + 2;
      const w = ((W - left - 40) * r.v) / max;
      const row = el("g", { class: "zz-subcategory" + (r.other ? " zz-other" : "") });
      if (r.title) row.appendChild(el("title", {}, r.title));
      row.appendChild(el("text", { x: left - 4, y: y + 12, "text-anchor": "end", class: "zz-subcategory-label" }, r.label));
      row.appendChild(el("rect", { x: left, y: y + 2, width: Math.max(1, w), height: rowH - 6, fill: r.other ? "#9aa5b1" : "#4e79a7" }));
      row.appendChild(el("text", { x: left + w + 4, y: y + 12, class: "zz-subcategory-count" }, String(r.v)));
      svg.appendChild(row);
    });
    box.appendChild(svg);
    const total = document.createElement("div");
    total.className = "zz-empty";
    total.id = "subcategory-total";
    total.textContent = "本期矛盾纠纷合计 " + found.total + " 件";
    box.appendChild(total);
  }

  // 走访 per period (trial AY S2): the persons on the register and overdue at each period's end,
  // the visits by outcome, of the unit (合计) or one unit inside it; newest period first
  function readVisitHistory() {
    return zz.api("/api/trends/" + code + "/visit-history?" + query());
  }

  /** The 走访 table from its read (`read`: started with the page's first batch). */
  async function loadVisitHistory(read) {
    const token = (state.visitHistoryToken = (state.visitHistoryToken || 0) + 1);
    $("visit-history-title").textContent = state.granularity === "quarter" ? "走访情况（按季度）" : "走访情况（按月）";
    let body;
    try {
      body = await (read || readVisitHistory());
    } catch (err) {
      $("table-visit-history").innerHTML = '<div class="zz-empty">' + zz.esc(err.message) + "</div>";
      return;
    }
    if (token !== state.visitHistoryToken) return;
    state.visitHistory = body;
    const select = $("visit-history-unit");
    const units = body.units || [];
    select.hidden = units.length === 0;
    select.innerHTML = '<option value="">合计</option>' + units.map(function (u) {
      return '<option value="' + zz.esc(u.code) + '">' + zz.esc(u.name) + "</option>";
    }).join("");
    renderVisitHistory();
  }

  function renderVisitHistory() {
    const body = state.visitHistory;
    if (!body) return;
    if (body.withheld) {
      $("table-visit-history").innerHTML = '<div class="zz-empty">本账号不显示特殊人群走访情况</div>';
      return;
    }
    const chosen = $("visit-history-unit").value;
    const unit = (body.units || []).find((u) => u.code === chosen);
    const figures = unit ? unit.figures : body.totals;
    const cell = (v) => (v === null || v === undefined ? (unit ? "<" + body.min_count : HIDDEN) : String(v));
    const rows = body.periods.map(function (p, t) {
      return "<tr><td>" + zz.esc(p.label) + "</td>" + body.figures.map(function (f) {
        return '<td class="text-end">' + zz.esc(cell(figures[f.key][t])) + "</td>";
      }).join("") + "</tr>";
    }).reverse();
    const note = body.note + (body.min_count > 1
      ? "小于" + body.min_count + "的数记为<" + body.min_count + "；合计本身较小或可据以推算出某一个不予显示的数时记为" + HIDDEN + "。"
      : "");
    $("table-visit-history").innerHTML =
      '<table class="table table-sm table-striped zz-table" id="visit-history-table"><thead><tr><th>统计期</th>' +
      body.figures.map((f) => "<th>" + zz.esc(f.label) + "</th>").join("") + "</tr></thead><tbody>" +
      rows.join("") + '</tbody></table><div class="zz-empty mt-1" id="visit-history-note">注：' + zz.esc(note) + "</div>";
  }

  // a total of the overdue visits not given: it would tell what the grids not listed add up to
  // (trials AI M1, AJ M3); a grid of fewer than min_count overdue is not listed at all
  const HIDDEN = "*";
  function hidden(value) {
    return value === null || value === undefined ? HIDDEN : String(value);
  }
  // the smallest overdue count of a grid listed: 1, or 3 for a reader who may not see small counts
  function visitsFloor(v) {
    return v && v.listed_from > 1 ? v.listed_from : 1;
  }

  function renderVisits() {
    const v = state.visits;
    const floor = visitsFloor(v);
    visitsLayer.clearLayers();
    // only the grids listed are drawn: none of fewer than `floor` overdue is shaded
    v.grids.forEach(function (g) {
      if (!g.centre || g.overdue === null || g.overdue < floor) return;
      L.circleMarker([g.centre[1], g.centre[0]], { renderer: renderer, radius: 3 + 2 * Math.sqrt(g.overdue), color: "#6f42c1", weight: 1, fillColor: "#6f42c1", fillOpacity: 0.45 })
        .bindTooltip(zz.esc(g.grid_name) + "：走访逾期 " + zz.esc(g.overdue) + " 人")
        .addTo(visitsLayer);
    });
    const toggle = $("layer-visits");
    if (toggle && toggle.parentElement) toggle.parentElement.title = floor > 1 ? "只显示逾期不少于 " + floor + " 人的网格" : "";
    if (v.withheld) {
      $("table-visits").innerHTML = '<div class="zz-empty">本账号不显示特殊人群走访情况</div>';
      return;
    }
    const unlisted = floor > 1
      ? '<div class="zz-empty mt-1" id="visits-unlisted">注：逾期不足 ' + floor + " 人的网格不列出，也不计入网格数" +
        ([v.total, v.overdue].concat((v.units || []).map((u) => u.overdue)).some((x) => x === null)
          ? "；" + HIDDEN + " 为不予显示的合计：合计达不到 " + floor + " 人，或由它减去已显示的数即可推算出人数较少的单位或未列出网格的人数（互补隐藏，保护小数；数字本身不一定小）"
          : "") + "</div>"
      : "";
    // the totals of the units directly below, as the 月总结 gives them (trial AT M3)
    const units = (v.units || []).length
      ? '<div class="zz-empty mb-1" id="visits-units">各' + zz.esc(v.units_label || "下级单位") + "走访逾期人数（与月总结相同）：" +
        v.units.map((u) => zz.esc(u.name) + " " + (u.overdue === null ? HIDDEN : zz.esc(u.overdue) + " 人")).join("；") + "</div>"
      : "";
    const summary = '<div class="zz-empty mb-1" title="' + zz.esc(VISITS_NOW) + '">当前列管 ' + zz.esc(hidden(v.total)) + " 人，走访逾期 " + zz.esc(hidden(v.overdue)) + " 人，" +
      (floor > 1 ? "列出逾期不少于 " + floor + " 人的网格 " : "涉及 ") + v.grid_count + " 个</div>" + units;
    if (!v.grids.length) {
      $("table-visits").innerHTML = floor > 1
        ? summary + '<div class="zz-empty">没有逾期不少于 ' + floor + " 人的网格</div>" + unlisted
        : '<div class="zz-empty">无走访逾期</div>';
      return;
    }
    // grids of several townships (a county's, a city's): which township each lies in
    const townships = new Set(v.grids.map((g) => g.township_name)).size > 1;
    const shown = v.grids.slice(0, VISIT_ROWS);
    const rows = shown.map(function (g) {
      return (
        "<tr><td>" + zz.esc(g.grid_name) + "</td>" + (townships ? "<td>" + zz.esc(g.township_name) + "</td>" : "") +
        "<td>" + zz.esc(g.area_name) + "</td><td>" + zz.esc(hidden(g.persons)) +
        "</td><td>" + zz.esc(hidden(g.overdue)) + "</td><td>" + (g.share === null ? "—" : zz.esc(Math.round(g.share * 100) + "%")) + "</td></tr>"
      );
    });
    const cut = v.grid_count > shown.length
      ? '<div class="zz-empty mt-1" id="visits-cut">共 ' + v.grid_count + (floor > 1 ? " 个网格逾期不少于 " + floor + " 人" : " 个网格有逾期") +
        "，上表列出逾期人数最多的 " + shown.length + " 个；全部见「导出统计表」的「走访逾期」表</div>"
      : "";
    $("table-visits").innerHTML =
      summary +
      '<table class="table table-sm table-striped zz-table" id="visits-table"><thead><tr><th>网格</th>' + (townships ? "<th>乡镇（街道）</th>" : "") +
      "<th>村（社区）</th><th>列管</th><th>逾期</th><th>逾期率</th></tr></thead><tbody>" +
      rows.join("") + "</tbody></table>" + cut + unlisted;
  }

  // ---- 变化对比: each village's last months against as many before ---------------------------
  // which places got worse lately, and in what (trial AO M1: every class was judged over the
  // whole 24 months, and no table set a recent stretch against the one before it)
  function signed(n) {
    return n > 0 ? "+" + n : String(n);
  }

  function changeText(r) {
    const pct = r.small_base ? SMALL_BASE_NOTE : r.change_pct === null ? (r.recent > 0 ? "前期无" : "") : signed(r.change_pct) + "%";
    return signed(r.change) + (pct ? "（" + pct + "）" : "");
  }

  function renderChanges(showAll) {
    const body = state.changes;
    if (!body) return;
    const m = body.months;
    $("changes-range").textContent = "近" + m + "个月：" + body.recent.label + "；前" + m + "个月：" + body.earlier.label;
    const floor = body.min_count;
    const shown = (v) => (v === null ? "<" + floor : String(v));
    if (!body.rows.length) {
      $("table-changes").innerHTML = '<div class="zz-empty">两段时间内均无案件</div>';
      $("changes-note").textContent = "";
      return;
    }
    const townships = new Set(body.rows.map((r) => r.township_name)).size > 1;
    const rows = (showAll ? body.rows : body.rows.slice(0, CHANGE_ROWS)).map(function (r) {
      const place = zz.esc(r.label) + (townships && r.township_name ? "<small>" + zz.esc(r.township_name) + "</small>" : "");
      const kinds = r.rising.length
        ? r.rising.map((k) => zz.esc(k.label) + " " + shown(k.recent) + "（前 " + shown(k.earlier) + "）").join("<br>")
        : "—";
      const trend = r.change > 0 ? "zz-up" : r.change < 0 ? "zz-down" : "";
      return '<tr data-code="' + zz.esc(r.code) + '"><td>' + place + '</td><td class="zz-num">' + r.recent +
        '</td><td class="zz-num">' + r.earlier + '</td><td class="zz-num ' + trend + '">' + zz.esc(changeText(r)) +
        '</td><td class="zz-kinds">' + kinds + "</td></tr>";
    });
    const t = body.totals;
    rows.push('<tr class="zz-total"><td>合计</td><td class="zz-num">' + t.recent + '</td><td class="zz-num">' + t.earlier +
      '</td><td class="zz-num">' + zz.esc(changeText(t)) + "</td><td></td></tr>");
    const more = !showAll && body.rows.length > CHANGE_ROWS
      ? '<button type="button" class="btn btn-link btn-sm p-0" id="changes-all">显示全部 ' + body.rows.length + " 个</button>"
      : "";
    $("table-changes").innerHTML =
      '<table class="table table-sm zz-table" id="changes-table"><thead><tr><th>村（社区）</th>' +
      '<th class="zz-num">近' + m + '月</th><th class="zz-num">前' + m + '月</th><th class="zz-num">变化</th>' +
      "<th>上升最多的类型</th></tr></thead><tbody>" + rows.join("") + "</tbody></table>" + more;
    if (more) $("changes-all").addEventListener("click", () => renderChanges(true));
    $("changes-note").textContent =
      "按上升件数排列" + (body.rows.length > CHANGE_ROWS && !showAll ? "，列出前 " + CHANGE_ROWS + " 个" : "") +
      "；类型后为近" + m + "个月的件数，括号内为前" + m + "个月的件数；两段均不足 " + body.small_base +
      " 件的只比件数，不算变化率（" + SMALL_BASE_NOTE + "）；导出统计表含全部村（社区）" +
      (floor > 1 ? "；某类案件数小于" + floor + "的不予显示（记为“<" + floor + "”）" : "") + "。";
  }

  // 变化对比 ends with the period the time slider shows, as the exports do (trial AT m6: it
  // stayed at 截止统计期 while the page showed 2026年8月)
  async function loadChanges() {
    const months = state.months;
    const end = state.data ? period().key : state.end;
    const body = await zz.api("/api/trends/" + code + "/changes?" + query(end ? { months: months, end: end } : { months: months }));
    if (months !== state.months || (state.data && end !== period().key)) return; // changed meanwhile
    state.changes = body;
    state.changesEnd = end;
    renderChanges(false);
  }

  // where hot spots emerge, intensify or fade: the cells of each class by the unit they lie in,
  // the rising classes first (trial AF: the legend gave counts only, the places were found by
  // hovering over hexagons one by one)
  const RISING = ["new_hot", "intensifying_hot", "consecutive_hot", "sporadic_hot", "oscillating_hot"];
  function renderPatterns() {
    const data = state.data;
    $("patterns-basis").textContent = data.patterns_judged ? patternsBasis() + "判定，单位为六边形单元数" : "";
    if (!data.patterns_judged) {
      $("table-patterns").innerHTML = '<div class="zz-empty">' + zz.esc(data.patterns_note || "案件太少，不作判断") + "</div>";
      return;
    }
    const order = data.legend.patterns.map((p) => p.code).filter((c) => c !== "no_pattern");
    const byPlace = new Map(); // 乡镇 + 村（社区） → its cells of each class
    data.cells.forEach(function (cell) {
      if (cell.pattern === "no_pattern") return;
      const key = JSON.stringify([cell.township_name || "", cell.area_name || "—"]);
      if (!byPlace.has(key)) byPlace.set(key, new Map());
      const counts = byPlace.get(key);
      counts.set(cell.pattern, (counts.get(cell.pattern) || 0) + 1);
    });
    if (!byPlace.size) {
      $("table-patterns").innerHTML = '<div class="zz-empty">本时段没有新兴热点或冷点模式</div>';
      return;
    }
    const rising = (counts) => RISING.reduce((n, c) => n + (counts.get(c) || 0), 0);
    const places = Array.from(byPlace.entries()).sort(function (a, b) {
      return rising(b[1]) - rising(a[1]) || a[0].localeCompare(b[0], "zh-CN");
    });
    // above a township, each village's township (trial AG: 77 villages, none placed)
    const townships = places.some(([key]) => JSON.parse(key)[0] !== "");
    const rows = places.map(function ([key, counts]) {
      const [township, name] = JSON.parse(key);
      const said = order
        .filter((c) => counts.has(c))
        .map((c) => '<span class="zz-pattern" style="border-color:' + zz.esc(patternColour(c)) + '">' +
          zz.esc(patternLabel(c)) + " " + counts.get(c) + "</span>")
        .join(" ");
      const first = townships ? "<td>" + zz.esc(township || "—") + "</td>" : "";
      return "<tr>" + first + '<td class="zz-place">' + zz.esc(name) + "</td><td>" + said + "</td></tr>";
    });
    $("table-patterns").innerHTML =
      '<table class="table table-sm table-striped zz-table"><thead><tr>' +
      (townships ? "<th>乡镇（街道）</th>" : "") +
      "<th>所属辖区</th><th>新兴热点模式（单元数）</th></tr></thead><tbody>" +
      rows.join("") + "</tbody></table>";
  }

  // a hexagon's case counts are withheld only from a reader who may not list its cases (the
  // analyst), as on the command map; the special-population counts from whoever may not see the
  // persons one by one (a city's commander too): trial AM M4
  function suppressionNote(data) {
    const cells = data.min_count;
    const persons = data.persons_min_count || 1;
    if (cells > 1 && persons > 1) {
      return "注：案件数按实数显示；为保护个人信息，地图六边形单元的案件数和特殊人群人数小于" + cells + "的不予显示（记为“<" + cells + "”）。";
    }
    if (cells > 1) return "注：案件数按实数显示；地图六边形单元的案件数小于" + cells + "的不予显示（记为“<" + cells + "”）。";
    if (persons > 1) {
      return "注：案件数（含地图六边形单元的案件数）按实数显示；为保护个人信息，特殊人群人数小于" + persons + "的不予显示（见走访逾期表下的说明）。";
    }
    return "";
  }

  // ---- periods ------------------------------------------------------------------------------
  /** Show period `t` (`early`: the density's and coverage's reads of the opening period, if started). */
  function selectPeriod(t, early) {
    state.t = t;
    state.token += 1;
    const token = state.token;
    const p = period();
    $("period-label").textContent = p.label;
    $("period-range").textContent = "统计期：" + p.start + " 至 " + p.end + " · " +
      (p.judged ? "本期热点单元 " + p.hot + " 个（六边形，每个约 " + state.data.cell_km2 + " 平方公里）；" + CELLS_DIFFER : "本期案件太少，不作热点判断");
    restyleCells();
    renderKpis();
    markChildrenPeriod();
    const sel = document.getElementById("category-selected");
    if (sel && state.categories) {
      const bw = (440 - 34 - 6) / state.categories.periods.length;
      sel.setAttribute("x", 34 + t * bw);
    }
    renderSubcategoryChart();
    exportLinks();
    writeUrl();
    if (state.changes && state.changesEnd !== p.key) {
      loadChanges().catch((err) => zz.toast(zz.errorText(err), "danger"));
    }
    // the period's 工作简报 (月总结, 季度总结), for the meeting the planner prepares (trial AF: only
    // on the command page; trial AY M2: a quarter had none)
    const quarterly = state.granularity === "quarter";
    const first = quarterly ? p.key.slice(0, 4) + "-" + String(Number(p.key.slice(5)) * 3 - 2).padStart(2, "0") : p.key;
    const brief = quarterly ? "季度总结" : "月总结";
    $("export-brief").href = "/api/command/" + code + "/brief.xlsx?period=" + (quarterly ? "quarter" : "month") + "&date=" + first + "-01";
    $("export-brief").title = (quarterly ? "本季度" : "本月") + "的工作简报（" + brief + "）：指标、环比同比、案件与预警清单，计全部案件，不按本页筛选";
    // the brief counts every case: said when the page counts fewer (trial AG)
    const filtered = Boolean(state.channel || state.origin || state.category);
    $("export-brief").textContent = "导出" + brief + (filtered ? "（全部案件，不按筛选）" : "");
    const started = early || {};
    Promise.all([loadKde(token, started.kde), loadCoverage(token, started.coverage)]).catch(function (err) {
      zz.toast(zz.errorText(err), "danger");
    });
  }

  // the exports carry the page's period, filter and 变化对比 length
  function exportLinks() {
    const extra = { months: state.months, period: period().key };
    $("export-xlsx").href = "/api/trends/" + code + "/report.xlsx?" + query(extra);
    $("export-html").href = "/api/trends/" + code + "/report.html?" + query(extra);
  }

  function breadcrumbs(unit) {
    $("zz-breadcrumbs").innerHTML = unit.path
      .map(function (p, i) {
        const last = i === unit.path.length - 1;
        return last
          ? '<li class="breadcrumb-item active" aria-current="page">' + zz.esc(p.name) + "</li>"
          : '<li class="breadcrumb-item"><a href="/trends/' + zz.esc(p.code) + '">' + zz.esc(p.name) + "</a></li>";
      })
      .join("");
    $("unit-name").textContent = unit.name + " · 研判分析";
    $("child-select").innerHTML =
      '<option value="">— 选择后查看 —</option>' +
      unit.children
        .map(function (c) {
          return '<option value="' + zz.esc(c.code) + '">' + zz.esc(c.label) + "</option>";
        })
        .join("");
    // a village has none to choose (trial AF: an empty list)
    $("child-choice").classList.toggle("d-none", unit.children.length === 0);
    const notice = $("unit-notice");
    notice.textContent = unit.notice || "";
    notice.classList.toggle("d-none", !unit.notice);
    if (unit.successor) {
      const link = document.createElement("a");
      link.href = "/trends/" + unit.successor.code;
      link.textContent = "查看" + unit.successor.name;
      link.className = "ms-1";
      notice.appendChild(link);
    }
  }

  // ---- window end and source filter ---------------------------------------------------------
  /**
   * The periods the emerging patterns were judged on: the window's from its first with a
   * located case (the API's patterns_from). Those before the records start are left out, no
   * longer counted as zeros (trial AY M3: 24 months gave 持续热点 25, 36 months 连续 46).
   */
  function patternsBasis() {
    const d = state.data;
    const from = Math.max(0, d.periods.findIndex((p) => p.key === d.patterns_from));
    const unit = state.granularity === "quarter" ? " 个季度" : " 个月";
    return (from ? "按有数据的 " : "按全部 ") + (d.periods.length - from) + unit;
  }

  // 统计期数: the planner chooses the window's length (the API takes 4 to 60 periods; the page
  // offered 24 months or 8 quarters only, trial AY M3), and the length that starts the window
  // at the unit's first period with cases is offered by name
  const PERIOD_CHOICES = { month: [6, 12, 18, 24, 36, 48, 60], quarter: [4, 5, 6, 7, 8, 10, 12, 16, 20] };
  function renderPeriodCount(data) {
    const n = data.periods.length;
    const last = data.periods[n - 1].key;
    const since = data.first_period && data.first_period <= last ? keysBefore(last, 60).indexOf(data.first_period) + 1 : 0;
    const unit = state.granularity === "quarter" ? "个季度" : "个月";
    const counts = PERIOD_CHOICES[state.granularity].slice();
    [n, since].forEach(function (k) {
      if (k >= 4 && k <= 60 && counts.indexOf(k) < 0) counts.push(k);
    });
    counts.sort((a, b) => a - b);
    $("period-count").innerHTML = counts
      .map(function (k) {
        const note = k === since ? "（自有案件起）" : "";
        return '<option value="' + k + '">' + k + unit + note + "</option>";
      })
      .join("");
    $("period-count").value = String(n);
  }

  function periodLabel(key) {
    if (key.indexOf("Q") > 0) return key.slice(0, 4) + "年第" + key.slice(5) + "季度";
    return key.slice(0, 4) + "年" + Number(key.slice(5)) + "月";
  }

  function keysBefore(latest, n) {
    const keys = [];
    let year = Number(latest.slice(0, 4));
    let step = latest.indexOf("Q") > 0 ? Number(latest.slice(5)) : Number(latest.slice(5, 7));
    const quarters = latest.indexOf("Q") > 0;
    for (let i = 0; i < n; i += 1) {
      keys.push(quarters ? year + "Q" + step : year + "-" + String(step).padStart(2, "0"));
      step -= 1;
      if (step === 0) {
        year -= 1;
        step = quarters ? 4 : 12;
      }
    }
    return keys;
  }

  // the same end in the other granularity: a quarter's last month; for a month, the last whole
  // quarter ending by it (as the API reads a month given for quarters)
  function convertEnd(key, granularity) {
    if (!key) return "";
    if (granularity === "month") return key.indexOf("Q") > 0 ? key.slice(0, 4) + "-" + String(3 * Number(key.slice(5))).padStart(2, "0") : key;
    if (key.indexOf("Q") > 0) return key;
    const year = Number(key.slice(0, 4));
    const quarter = Math.floor(Number(key.slice(5, 7)) / 3);
    return quarter === 0 ? year - 1 + "Q4" : year + "Q" + quarter;
  }

  function renderControls(data) {
    renderPeriodCount(data);
    const end = $("period-end");
    end.innerHTML =
      '<option value="">最新（' + zz.esc(periodLabel(data.latest_period)) + "）</option>" +
      keysBefore(data.latest_period, END_CHOICES[state.granularity]).slice(1)
        .filter(function (key) {
          return data.first_period !== null && key >= data.first_period; // periods with cases only
        })
        .map(function (key) {
          return '<option value="' + zz.esc(key) + '">' + zz.esc(periodLabel(key)) + "</option>";
        })
        .join("");
    end.value = state.end;
    const channel = $("source-channel");
    if (channel.options.length === 1) {
      data.filter.channels.forEach(function (c) {
        channel.add(new Option(c.label, c.code));
      });
      data.filter.origins.forEach(function (o) {
        $("source-origin").add(new Option(o.label, o.code));
      });
      (data.filter.categories || []).forEach(function (c) {
        $("source-category").add(new Option(c.label, c.code));
      });
    }
    channel.value = state.channel;
    $("source-origin").value = state.origin;
    $("source-category").value = state.category;
    $("window-range").textContent = "统计时段：" + data.window.label + " · 案件范围：" + data.filter.label;
    const warning = $("window-warning");
    const empty = periodsBeforeData(data);
    // the periods before the records start: zeros in the tables, left out of the patterns
    const before = empty
      ? "本统计时段始于 " + data.periods[0].label + "，而本辖区案件记录始于 " + periodLabel(data.first_period) +
        "：前 " + empty + " 期无数据（图表中记为 0）"
      : "";
    // too few periods judged: no pattern is told at all
    warning.textContent = data.patterns_note
      ? data.patterns_note + "。"
      : before || data.patterns_from_note
        ? [before, data.patterns_from_note].filter(Boolean).join("；") + "。"
        : firstPeriodPartial(data)
          ? "本统计时段的第一期（" + data.periods[0].label + "）只含 " + data.first_day +
            " 起的案件，不足半期，与其他各期不可比：新兴热点模式（连续、加剧等）可能失真。"
          : "";
    // the first period with cases holds part of its months only: said, and marked * (trial AT m5)
    const partial = partialPeriod(data);
    if (partial && !firstPeriodPartial(data)) {
      warning.textContent += partial.label + "（图表中标 *）" + partial.text +
        "的案件（本辖区案件记录始于 " + data.first_day + "），不是完整的一期，与其他各期不可比。";
    }
    warning.classList.toggle("d-none", !warning.textContent);
  }

  // whether the unit's history starts past the middle of the window's first period (a quarter
  // of December alone, counted as a whole one)
  function firstPeriodPartial(data) {
    const first = data.periods[0];
    if (!data.first_day || !first || first.key !== data.first_period) return false;
    const day = (iso) => Date.parse(iso + "T00:00:00Z") / 86400000;
    return day(data.first_day) - day(first.start) > (day(first.end) - day(first.start) + 1) / 2;
  }

  // how many periods of the window lie before the unit's earliest case (0 when none do)
  function periodsBeforeData(data) {
    if (!data.first_period) return 0;
    return data.periods.filter(function (p) {
      return p.key < data.first_period;
    }).length;
  }

  /** The period the page opens on: the one the address names, else the window's last. */
  function openingPeriod(data) {
    const asked = data.periods.findIndex((x) => x.key === state.askedPeriod);
    return asked >= 0 ? asked : data.periods.length - 1;
  }

  /** The period the page opens on, as far as it is known before the series: the one its
   * address names (if of the granularity's form; it may still lie outside the window, then the
   * window's last is shown and read anew), or none, which the API takes for the window's last. */
  function askedOpening() {
    const form = state.granularity === "quarter" ? /^\d{4}Q[1-4]$/ : /^\d{4}-\d{2}$/;
    return form.test(state.askedPeriod) ? { period: state.askedPeriod } : {};
  }

  // Every read starts before the page is drawn: the 走访 history with the series (s48), and the
  // opening period's density and uncovered hot spots beside the series too (s49), since the
  // server computes the analysis the three read once (layers.trends, one computation per
  // analysis in flight), not after the series has answered. Each is drawn where it was, once
  // the series is.
  async function load() {
    $("trend-loading").classList.add("show");
    const visitHistory = readVisitHistory();
    visitHistory.catch(() => {}); // said in its table (loadVisitHistory)
    const series = zz.api("/api/trends/" + code + "?" + query());
    const read = (what) => zz.api("/api/trends/" + code + "/" + what + "?" + query(askedOpening()));
    const early = { kde: read("kde"), coverage: read("coverage") };
    Object.values(early).forEach((r) => r.catch(() => {})); // read anew, which says it
    try {
      const [data, outlines, categories, children, visits, changes] = await Promise.all([
        series,
        zz.api("/api/trends/" + code + "/outlines"),
        zz.api("/api/trends/" + code + "/categories?" + query()),
        zz.api("/api/trends/" + code + "/children?" + query()),
        zz.api("/api/trends/" + code + "/visits"),
        zz.api("/api/trends/" + code + "/changes?" + query({ months: state.months })),
      ]);
      state.data = data;
      state.categories = categories;
      state.children = children;
      state.visits = visits;
      state.changes = changes;
      state.t = data.periods.length - 1;
      state.changesEnd = data.periods[state.t].key; // the window's last period, as loaded
      breadcrumbs(data.unit);
      renderControls(data);
      outlineLayer.clearLayers();
      outlineLayer.addData(outlines);
      outlineHits.clearLayers();
      outlineHits.addData(outlines);
      legend();
      buildCells();
      // a province's or city's figures are the counties this platform holds: said, and the map
      // opens on their cells rather than on the whole province or city
      const counties = data.counties || [];
      $("held-note").hidden = counties.length === 0;
      $("held-note").textContent = counties.length
        ? "本平台接入的县（市、区）：" + counties.map((c) => c.name).join("、") + "（" + counties.length + " 个）。" +
          "本页数字只含这些县（市、区）的数据，未接入的县（市、区）不在统计之内。"
        : "";
      const cellBounds = state.binPolys.length ? L.featureGroup(state.binPolys).getBounds() : null;
      const bounds = counties.length && cellBounds && cellBounds.isValid() ? cellBounds : outlineLayer.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, fitPadding());
      }
      const slider = $("period-slider");
      slider.max = data.periods.length - 1;
      slider.value = data.periods.length - 1;
      $("period-first").textContent = data.periods[0].label;
      $("period-last").textContent = data.periods[data.periods.length - 1].label;
      $("suppression-note").textContent = suppressionNote(data);
      renderVisits();
      loadVisitHistory(visitHistory);
      renderCategoryChart();
      renderChildren();
      renderChanges(false);
      renderPatterns();
      document.querySelector("#chart-categories").closest(".zz-card").querySelector(".zz-card-title").innerHTML =
        (state.granularity === "month" ? "各类案件数（按月）" : "各类案件数（按季度）") +
        ' <small class="text-muted fw-normal zz-no-repeats">' + NO_REPEATS + "</small>";
      // the period the address names, once (then the slider's)
      const t = openingPeriod(data);
      state.askedPeriod = "";
      slider.value = t;
      selectPeriod(t, early);
      document.body.dataset.ready = "1";
    } catch (err) {
      zz.toast(zz.errorText(err), "danger");
      $("period-label").textContent = zz.errorText(err);
    } finally {
      $("trend-loading").classList.remove("show");
    }
  }

  // ---- controls -----------------------------------------------------------------------------
  $("period-slider").addEventListener("input", function (event) {
    selectPeriod(Number(event.target.value));
  });
  $("period-play").addEventListener("click", function () {
    const button = $("period-play");
    if (state.timer) {
      clearInterval(state.timer);
      state.timer = null;
      button.textContent = "▶ 播放";
      return;
    }
    button.textContent = "❚❚ 暂停";
    state.timer = setInterval(function () {
      const next = (state.t + 1) % state.data.periods.length;
      $("period-slider").value = next;
      selectPeriod(next);
    }, 1500);
  });
  $("visit-history-unit").addEventListener("change", renderVisitHistory);
  const toggles = { "layer-bins": binLayer, "layer-patterns": patternLayer, "layer-uncovered": uncoveredLayer, "layer-visits": visitsLayer };
  Object.keys(toggles).forEach(function (id) {
    $(id).addEventListener("change", function (event) {
      if (event.target.checked) toggles[id].addTo(map);
      else map.removeLayer(toggles[id]);
    });
  });
  $("layer-kde").addEventListener("change", function (event) {
    if (!kdeOverlay) return;
    if (event.target.checked) kdeOverlay.addTo(map);
    else map.removeLayer(kdeOverlay);
  });
  function reload() {
    if (state.timer) $("period-play").click();
    document.body.dataset.ready = "";
    load();
  }
  $("granularity").addEventListener("change", function (event) {
    state.granularity = event.target.value;
    state.end = convertEnd(state.end, state.granularity);
    state.periods = 0; // months are no quarters: the new granularity's default length
    reload();
  });
  $("period-count").addEventListener("change", function (event) {
    state.periods = Number(event.target.value);
    reload();
  });
  $("period-end").addEventListener("change", function (event) {
    state.end = event.target.value;
    reload();
  });
  $("source-channel").addEventListener("change", function (event) {
    state.channel = event.target.value;
    reload();
  });
  $("source-origin").addEventListener("change", function (event) {
    state.origin = event.target.value;
    reload();
  });
  $("source-category").addEventListener("change", function (event) {
    state.category = event.target.value;
    reload();
  });
  $("change-months").addEventListener("change", function (event) {
    state.months = Number(event.target.value);
    if (state.data) {
      exportLinks();
      writeUrl();
    }
    loadChanges().catch(function (err) {
      zz.toast(zz.errorText(err), "danger");
    });
  });
  $("child-select").addEventListener("change", function (event) {
    if (event.target.value) window.location.assign("/trends/" + event.target.value);
  });

  load();
})();
