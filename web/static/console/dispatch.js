// 调度台 (/dispatch/{code}): the unit's queue → a case → its cameras and candidate workers →
// assign → acceptance and arrival followed live; registration of any channel (统一登记: walk-ins, calls, 12345 and 110 work orders) on the map.
// Besides the queue (待派单, 处置中) the desk lists the cases its level must still close
// (待结案: evaluate, visit, archive) and those of its area handled above it (已上报), and finds
// any case of its scope by code, title words or work-order number (查找案件). The map shows the
// villages and grids with their names (the command view's layers, web/maps.py).
// Beneath the ranked 推荐网格员 the desk lists the scope's workers with a platform account (or
// finds any of its workers by name, 查找网格员), each with why the ranking leaves him out (忙碌,
// 位置已过时 N 小时, 离岗 …), and an on-duty one is sent the case through the same dispatch.
// A grid worker comes here from 上报事件 on his 我的任务 (?new=1: the form opens at once): his
// report's channel is 网格员上报, 用我的位置 takes the phone's position as the case's point, and
// once registered he is taken to the case's page. On a phone, names that would overlap are hidden.
// 派单 asks first, naming the worker (his distance, his day's tasks) or the department and the
// case; a dispatch nobody has 受理'd yet is taken back with 撤回派单 (a reason asked). 上报 and
// 交办 are offered where the workflow allows them, with the case page's titles and notes.
// Everything comes from the API with the user's cookie; labels from the code tables.
"use strict";
(function () {
  const code = document.body.dataset.code;
  const LEVEL = Number(document.body.dataset.level);
  const LAYER_DEFS = JSON.parse(document.getElementById("zz-layers").textContent);
  const labels = JSON.parse(document.getElementById("zz-workflow-labels").textContent);
  const map = window.zzMap;
  const $ = (id) => document.getElementById(id);

  const WAITING = ["registered", "triaged", "escalated"];
  const ACTIVE = ["dispatched", "accepted", "on_site", "legal_route"];
  const STEPS = ["dispatched", "accepted", "on_site"];
  const CLOSING = ["resolved", "evaluated", "visited"];
  const CLOSING_ACTIONS = ["evaluate", "visit", "archive"];
  const LIST_LIMIT = 300;
  const SEARCH_LIMIT = 20;
  const GRID_LABEL_ZOOM = 15;
  const CASE_SURROUNDS_M = 500; // what the map shows around a case selected
  // the map's colours, as on the console map (command.js STATUS_COLOR): purple a camera online,
  // green a worker on duty, orange busy, grey offline or off duty (trial BB m7)
  const MAP_COLOUR = { online: "#6a3d9a", offline: "#969696", on_duty: "#1a9850", busy: "#fd8d3c", off_duty: "#969696", left: "#bdbdbd" };
  // the roles that may register a case (POST /api/cases: layers/workflow.py FIELD)
  const REGISTRARS = ["commander", "dispatcher", "grid_worker", "department"];
  const phone = window.matchMedia("(max-width: 768px)");
  const REASONS = {
    no_workers_in_scope: "辖区内没有登记的网格员，无法推荐。",
    all_busy: "辖区内的网格员均已离岗，或在办案件已达上限（每人最多同时办理 3 件）。",
    all_stale: "在岗网格员的定位均超过 30 分钟未更新，无法按位置推荐。",
    outside_radius: "在岗网格员均不在案件周边 {radius} 米范围内。",
  };

  const state = {
    cases: [], filter: "waiting", selected: null, picking: false, positions: {}, assignee: null,
    full: {}, searching: false, results: [], me: null,
    // 下级上报, 我督办的, 我交办的: the ids the API listed (trial AM M3), and what each
    // supervised case's handler did since the 督办
    marked: { from_below: new Set(), supervised: new Set(), handed_down: new Set(), under_supervision: new Set(), extension_pending: new Set() },
    actedSince: {},
  };
  /**
   * The tabs listed by the API itself: a superior's (the village has nobody below), and 被督办,
   * the superior's 督办 of this level's cases not answered yet (trial AQ M2; the province has
   * nobody above).
   */
  const MARKED = (LEVEL < 5 ? ["from_below", "supervised", "handed_down"] : []).concat(
    LEVEL > 1 ? ["under_supervision"] : [],
    // 待审延期: the 申请延期 this level decides, a level below's on its own case among them,
    // which the queue does not list (trial AX S5)
    ["extension_pending"]
  );
  // village outlines below the case markers, on a canvas of their own
  map.createPane("dz-units").style.zIndex = 350;
  // their names and the grids' above the outlines, below the markers (a case, the point picked)
  map.createPane("dz-names").style.zIndex = 390;
  const layers = {
    villages: L.layerGroup().addTo(map),
    grids: L.layerGroup().addTo(map),
    gridLabels: L.layerGroup().addTo(map),
    unit: L.layerGroup().addTo(map),
    queue: L.layerGroup().addTo(map),
    case: L.layerGroup().addTo(map),
    cameras: L.layerGroup().addTo(map),
    workers: L.layerGroup().addTo(map),
    pick: L.layerGroup().addTo(map),
  };

  // ------------------------------------------------------------------ the queue

  function deadlineHtml(c) {
    if (c.closed_at) return '<span class="text-muted">已办结</span>'; // no time left to count
    const cd = zz.countdown(c.deadline, c.deadline_warn_at);
    const cls = cd.overdue ? "dz-overdue" : cd.soon ? "dz-soon" : "";
    return '<span class="' + cls + '">' + zz.esc(cd.text) + "</span>";
  }

  function riskBadge(el, level) {
    el.textContent = zz.label("risk_level", level).replace(/（.*）/, "");
    el.style.background = zz.riskColor(level);
  }

  const OPEN = WAITING.concat(ACTIVE);

  /** The desk's list a case belongs to (waiting, active, closing, escalated), or null. */
  function stageOf(c) {
    if (c.handling_level === LEVEL) {
      if (WAITING.includes(c.state)) return "waiting";
      if (ACTIVE.includes(c.state)) return "active";
      if (CLOSING.includes(c.state)) return "closing";
      return null;
    }
    return c.handling_level < LEVEL && OPEN.includes(c.state) ? "escalated" : null;
  }

  function visible(c) {
    if (MARKED.includes(state.filter)) return state.marked[state.filter].has(c.id);
    const stage = stageOf(c);
    // 全部: the marked lists' open cases; those they keep once settled stay under their own tab
    if (state.filter === "all") return stage !== null || (OPEN.includes(c.state) && MARKED.some((m) => state.marked[m].has(c.id)));
    return stage === state.filter;
  }

  /**
   * 已销号：华宁县指挥中心值班员于 2026-12-06 19:30 销号（…）: who closed a case 下级上报, 我督办的 or
   * 我交办的 keep for 30 days once settled, and when (trial AU M2: the city never saw its order
   * carried out). Null for an open case.
   */
  function settledText(c) {
    if (OPEN.includes(c.state)) return null;
    const what = c.state === "archived" ? "已销号" : "已办结";
    const s = c.settled;
    if (!s) return what + (c.closed_at ? "（" + zz.fmtTime(c.closed_at) + "）" : "");
    return what + "：" + s.actor_name + "于 " + zz.fmtTime(s.at) + " " + s.label + (s.note ? "（" + s.note + "）" : "");
  }

  /**
   * 我督办的: the 督办时限 and whether the level handling the case has acted since, its 督办回复
   * first (trial AQ M2: the subordinate's answer).
   */
  function supervisedNote(c) {
    const since = state.actedSince[c.id];
    const replied = c.latest && c.latest.replied;
    const until = c.supervision_deadline ? "时限 " + zz.fmtTime(c.supervision_deadline) + " · " : "";
    const acted = replied
      ? replied.actor_name + "已回复（" + zz.fmtTime(replied.at) + "）：" + replied.note
      : since
        ? "督办后" + since.actor_name + "已" + since.label + "（" + zz.fmtTime(since.at) + "），尚未回复"
        : "督办后尚未办理";
    return '<span class="dz-supervised-note' + (since ? "" : " text-danger") + '" title="' + zz.esc(until + acted) + '">' +
      zz.esc(until + acted) + "</span>";
  }

  /**
   * Who issued a 督办: its unit (玉溪市, latest.supervised's payload.by_unit_name; a user trial:
   * the county's 被督办 did not say 云南省 or 玉溪市), else who did it (a 督办 kept no unit before).
   */
  function supervisor(sup) {
    return (sup.payload && sup.payload.by_unit_name) || sup.actor_name;
  }

  /** 被督办: who issued it, the 督办时限 and 督办意见, to answer with 督办回复 (trial AQ M2). */
  function underSupervisionNote(c) {
    const sup = c.latest && c.latest.supervised;
    const text = (sup ? supervisor(sup) + "督办 · " : "") + "督办时限 " + zz.fmtTime(c.supervision_deadline) +
      (sup && sup.note ? " · 督办意见：" + sup.note : "");
    return '<span class="dz-under-supervision-note text-danger" title="' + zz.esc(text) + '">' + zz.esc(text) + "</span>";
  }

  function levelText(level) {
    return zz.label("handling_level", level) + "办理";
  }

  /** The right-hand side of a list item's second line: what the dispatcher watches there. */
  function itemNote(c) {
    const settled = MARKED.includes(state.filter) ? settledText(c) : null;
    if (settled) return '<span class="dz-settled-note" title="' + zz.esc(settled) + '">' + zz.esc(settled) + "</span>";
    if (state.filter === "supervised" && state.marked.supervised.has(c.id)) return supervisedNote(c);
    if (state.filter === "under_supervision" && state.marked.under_supervision.has(c.id)) return underSupervisionNote(c);
    if (state.filter === "extension_pending" && c.extension) {
      const asked = c.extension.requested_by + " 申请延期至 " + zz.fmtTime(c.extension.requested);
      return '<span class="dz-extension-note" title="' + zz.esc(asked + "，理由：" + c.extension.reason) + '">' + zz.esc(asked) + "</span>";
    }
    if (c.handling_level !== LEVEL) {
      return '<span class="dz-level">' + zz.esc(levelText(c.handling_level)) + "</span>";
    }
    if (CLOSING.includes(c.state) || c.state === "archived") {
      return "<span>办结 " + zz.esc(zz.fmtTime(c.closed_at).slice(0, 10)) + "</span>";
    }
    return deadlineHtml(c);
  }

  /**
   * A case of the queue or the search: its code too (several 老堡村劳资欠薪 looked alike), 督办
   * when a superior pressed it (trial Z: the township's desk did not show it), and 催办.
   */
  function caseItem(c) {
    const li = document.createElement("li");
    li.className = "list-group-item dz-case-item";
    li.dataset.caseId = c.id;
    li.style.borderLeftColor = zz.riskColor(c.risk_level);
    if (state.selected && state.selected.id === c.id) li.classList.add("active");
    const reminded = zz.reminderMark(c.reminders);
    li.innerHTML =
      // the badges go under the title when both do not fit on one line (trial AU m2: five badges
      // cut 团结村… to 「团…」 at 1920×1080)
      '<div class="dz-item-head">' +
      '<span class="dz-item-title" title="' + zz.esc(c.title) + '">' + zz.esc(c.title) + "</span>" +
      '<span class="dz-item-badges">' +
      (c.supervision_deadline && !c.closed_at
        ? '<span class="badge text-bg-danger me-1 dz-supervised" title="督办时限：' +
          zz.esc(zz.fmtTime(c.supervision_deadline)) + '">督办</span>'
        : "") +
      (reminded && !c.closed_at
        ? '<span class="badge text-bg-warning me-1 dz-reminded" title="' + zz.esc(reminded.title) + '">' +
          zz.esc(reminded.text) + "</span>"
        : "") +
      // came up from below: still said once the state no longer says 已上报 (trial AM M3)
      (state.marked.from_below.has(c.id) && c.state !== "escalated"
        ? '<span class="badge text-bg-info me-1 dz-from-below" title="下级上报至本级的案件">下级上报</span>'
        : "") +
      dueMark(c) +
      urgencyMarks(c) +
      (returnedOf(c)
        ? '<span class="badge text-bg-warning me-1 dz-returned-mark" title="' +
          zz.esc("已退回：" + returnedText(returnedOf(c))) + '">已退回</span>'
        : "") +
      // the address names another township than the point's (trial AX M4)
      (c.address_mismatch && !c.closed_at
        ? '<span class="badge text-bg-danger me-1 dz-address-mark" title="' +
          zz.esc(c.address_mismatch.text) + '">地址与位置不符</span>'
        : "") +
      // its handler asked for more time: approved or refused on the case's page (trial AX S5)
      (c.extension && c.extension.status === "pending" && !c.closed_at
        ? '<span class="badge text-bg-warning me-1 dz-extension-mark" title="' +
          zz.esc(c.extension.requested_by + "申请延期至 " + zz.fmtTime(c.extension.requested) +
            "，理由：" + c.extension.reason + "；请在案件详情中批准或驳回") + '">待审延期</span>'
        : "") +
      '<span class="badge zz-state dz-state" data-state="' + zz.esc(c.state) + '">' +
      zz.esc(zz.label("case_state", c.state)) + "</span></span></div>" +
      '<div class="dz-item-code">' + zz.esc(c.code) +
      (c.external_no && !c.external_no_made ? " · 工单 " + zz.esc(c.external_no) : "") + "</div>" +
      '<div class="dz-item-meta"><span>' + zz.esc(zz.label("category", c.category)) + " · " +
      zz.esc(zz.label("channel", c.channel)) + "</span>" + itemNote(c) + "</div>";
    li.addEventListener("click", () => selectCase(c.id));
    return li;
  }

  const DUE_SOON_MS = 2 * 86400000; // 即将到期: the 办结时限 within two days

  /**
   * 已超期, or 即将到期 within two days, on an open case of this level (trial AS m5: a case with
   * 1天15小时 left sat ninth in 处置中, below yellow cases with 25 days left, and nothing marked it;
   * the order stays the queue's, risk first, as on 指挥调度).
   */
  function dueMark(c) {
    if (c.closed_at || !c.deadline || c.handling_level !== LEVEL || !OPEN.includes(c.state)) return "";
    const left = new Date(c.deadline).getTime() - Date.now();
    if (left >= DUE_SOON_MS) return "";
    const cd = zz.countdown(c.deadline);
    const text = left < 0 ? "已超期" : "即将到期";
    return '<span class="badge text-bg-danger me-1 dz-due" title="' + zz.esc("办结时限 " + zz.fmtTime(c.deadline) + "，" + cd.text) +
      '">' + text + "</span>";
  }

  /**
   * 已派单 N 分钟未受理 once a dispatch waits past its risk's limit for its 受理, and a 联系时限
   * less than a day away as a clock time (联系时限 03:40), on a case not settled (trial AZ M7: a
   * worker reached by phone sat at 已派单 with nothing to show it); redrawn each minute.
   */
  function urgencyMarks(c) {
    if (c.closed_at) return "";
    const awaiting = c.latest && c.latest.awaiting;
    const late = zz.awaitingText(awaiting);
    const due = zz.contactDue(c);
    return (
      (late
        ? '<span class="badge text-bg-danger me-1 dz-awaiting" title="' +
          zz.esc("派给 " + awaiting.assignee + "，" + zz.fmtTime(awaiting.since) + " 派单") + '">' + zz.esc(late) + "</span>"
        : "") +
      (due
        ? '<span class="badge me-1 dz-contact-soon ' + (due.past ? "text-bg-danger" : "text-bg-primary") +
          '" title="' + zz.esc(due.title) + '">' + zz.esc(due.text) + "</span>"
        : "")
    );
  }

  /** The 退回 standing on a case of the queue (sent back by its worker, not dispatched since). */
  function returnedOf(c) {
    return c.latest && c.latest.returned && c.state === "triaged" ? c.latest.returned : null;
  }

  /** 谢浩军于 12-06 04:30 退回：该处电线属供电所产权… (trial AH M3: the desk showed none of it). */
  function returnedText(r) {
    return r.actor_name + "于 " + zz.fmtTime(r.at) + " 退回" + (r.note ? "，原因：" + r.note : "");
  }

  function countText(stage) {
    const n = state.cases.filter((c) => stageOf(c) === stage).length;
    return state.full[stage] ? n + "+" : String(n);
  }

  function renderQueue() {
    const list = $("dz-queue-list");
    list.textContent = "";
    ["waiting", "active", "closing", "escalated"].forEach(function (stage) {
      $("dz-count-" + stage).textContent = countText(stage);
    });
    // 处置中 counts in red while a dispatch there waits past its limit for its 受理, whatever
    // tab is open (trial AZ M7: the desk sat on 待派单)
    const late = state.cases.filter((c) => stageOf(c) === "active" && zz.awaitingText(c.latest && c.latest.awaiting)).length;
    const active = $("dz-count-active");
    active.classList.toggle("text-bg-danger", late > 0);
    active.classList.toggle("text-bg-light", late === 0);
    active.parentNode.title = "已派出、正在处置的案件" + (late ? "；其中 " + late + " 件派单后超时未受理" : "");
    MARKED.forEach(function (stage) {
      // the open ones, as before the lists kept the settled (trial AU M2)
      const open = state.cases.filter((c) => state.marked[stage].has(c.id) && OPEN.includes(c.state)).length;
      $("dz-count-" + stage).textContent = open + (state.full[stage] ? "+" : "");
    });
    renderSupervisionNotice();
    const shown = state.cases.filter(visible);
    // a marked list's settled cases after its open ones, as the server lists them (trial AU M2)
    if (MARKED.includes(state.filter)) shown.sort((a, b) => Number(!OPEN.includes(a.state)) - Number(!OPEN.includes(b.state)));
    $("dz-queue-empty").hidden = shown.length > 0;
    shown.forEach((c) => list.appendChild(caseItem(c)));
    if (state.searching) renderResults();
    else drawQueue(shown);
  }

  /**
   * Above the tabs, whatever list is open: how many of this level's cases a superior 督办'd
   * and this level has not answered, the nearest 督办时限 (trial AQ M2: 盘溪镇 landed on 待派单
   * and saw nothing of the county's 督办).
   */
  function renderSupervisionNotice() {
    const box = $("dz-supervision-notice");
    const ids = state.marked.under_supervision;
    box.hidden = !MARKED.includes("under_supervision") || ids.size === 0;
    if (box.hidden) return;
    const until = state.cases
      .filter((c) => ids.has(c.id) && c.supervision_deadline)
      .map((c) => c.supervision_deadline)
      .sort((a, b) => new Date(a) - new Date(b))[0];
    $("dz-supervision-notice-text").textContent =
      "上级督办本级案件 " + ids.size + (state.full.under_supervision ? "+" : "") + " 件，尚未督办回复" +
      (until ? "；最近督办时限 " + zz.fmtTime(until) + passedText(until) : "");
  }

  /**
   * （已超期 30 天） after a time limit already passed, else nothing: the banner named a 督办时限
   * a month gone as if it were still ahead (trial AS m4). Redrawn each minute with the queue.
   */
  function passedText(iso) {
    const minutes = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
    return minutes > 0 ? "（已超期 " + zz.ageText(minutes) + "）" : "";
  }

  function drawQueue(shown) {
    layers.queue.clearLayers();
    shown.forEach(function (c) {
      if (c.lon === null || c.lat === null) return;
      L.circleMarker([c.lat, c.lon], {
        radius: 5,
        color: "#fff",
        weight: 1,
        fillColor: zz.riskColor(c.risk_level),
        fillOpacity: 0.9,
      })
        .bindTooltip(zz.esc(c.title) + "（" + zz.esc(zz.label("case_state", c.state)) + "）")
        .on("click", function (event) {
          L.DomEvent.stopPropagation(event);
          // while a spot is picked for 登记, a click on a case's dot sets the point as the map's
          // does (a repeat report at the same place was swallowed: no point, nothing said)
          if (state.picking) onMapClick(event);
          else selectCase(c.id);
        })
        .addTo(layers.queue);
    });
  }

  const STAGE_NAMES = {
    queue: "案件队列", closing: "待结案案件", escalated: "上报上级的案件",
    from_below: "下级上报的案件", supervised: "我督办的案件", handed_down: "我交办的案件",
    under_supervision: "上级督办的案件", extension_pending: "待审延期的案件",
  };

  // Reads of the queue may answer out of order: only the latest read is drawn.
  let queueReads = 0;
  const STAGES = ["queue", "closing", "escalated"].concat(MARKED);

  /** The desk's eight lists in one read (GET /api/cases/stages), not eight requests on each opening. */
  function readStages() {
    return zz.api("/api/cases/stages?code=" + code + "&limit=" + LIST_LIMIT + STAGES.map((s) => "&stage=" + s).join(""));
  }

  /** Read and draw the desk's lists (`early`: their read on opening, started beside /api/me). */
  async function loadQueue(early) {
    const read = ++queueReads;
    const stages = STAGES;
    let lists;
    try {
      const body = await (early || readStages());
      lists = stages.map((stage) => body[stage] || []);
    } catch (error) {
      if (read !== queueReads) return;
      // refused as no unit of the account's (a code in its range naming none): the refusal
      // card, as for another unit's code, not a toast (trial AS m3)
      if (error instanceof zz.ApiError && error.status === 404) {
        refused(zz.errorText(error));
        return;
      }
      zz.toast(STAGE_NAMES.queue + "加载失败：" + zz.errorText(error), "danger");
      lists = stages.map(() => []);
    }
    if (read !== queueReads) return;
    state.full = { closing: lists[1].length >= LIST_LIMIT, escalated: lists[2].length >= LIST_LIMIT };
    state.actedSince = {};
    MARKED.forEach(function (stage, i) {
      const listed = lists[3 + i];
      state.full[stage] = listed.length >= LIST_LIMIT;
      state.marked[stage] = new Set(listed.map((c) => c.id));
      listed.forEach(function (c) {
        if (stage === "supervised") state.actedSince[c.id] = c.acted_since || null;
      });
    });
    const seen = new Set();
    state.cases = [].concat(...lists).filter(function (c) {
      if (seen.has(c.id)) return false;
      seen.add(c.id);
      return true;
    });
    renderQueue();
  }

  function upsertCase(c) {
    const i = state.cases.findIndex((x) => x.id === c.id);
    if (i >= 0) state.cases[i] = c;
    else state.cases.unshift(c);
    const j = state.results.findIndex((x) => x.id === c.id);
    if (j >= 0) state.results[j] = c;
    renderQueue();
  }

  // ------------------------------------------------------------------ 查找案件

  let searches = 0;
  async function search(event) {
    event.preventDefault();
    const q = $("dz-search-input").value.trim();
    if (!q) {
      clearSearch();
      return;
    }
    const read = ++searches;
    let found;
    try {
      found = await zz.api(
        "/api/cases?code=" + code + "&q=" + encodeURIComponent(q) + "&limit=" + SEARCH_LIMIT
      );
    } catch (error) {
      if (read === searches) zz.toast("查找失败：" + zz.errorText(error), "danger");
      return;
    }
    if (read !== searches) return;
    state.searching = true;
    state.results = found;
    state.query = q;
    $("dz-queue-box").hidden = true;
    $("dz-search-box").hidden = false;
    renderResults();
    // one case found (a code or a work-order number typed): open it at once (trial AV m6)
    if (found.length === 1 && (!state.selected || state.selected.id !== found[0].id)) selectCase(found[0].id);
  }

  function renderResults() {
    const list = $("dz-search-list");
    list.textContent = "";
    const n = state.results.length;
    $("dz-search-summary").textContent = n
      ? "找到 " + n + " 件" + (n >= SEARCH_LIMIT ? "（只列出最新的 " + SEARCH_LIMIT + " 件，请输入更多内容）" : "") + "，按登记时间从新到旧"
      : "没有找到与“" + state.query + "”相符的案件";
    state.results.forEach((c) => list.appendChild(caseItem(c)));
    drawQueue(state.results);
  }

  function clearSearch() {
    searches++;
    state.searching = false;
    state.results = [];
    $("dz-search-input").value = "";
    $("dz-search-box").hidden = true;
    $("dz-queue-box").hidden = false;
    renderQueue();
  }

  // ------------------------------------------------------------------ the selected case

  function showPanel(which) {
    $("dz-placeholder").hidden = which !== "placeholder";
    $("dz-case").hidden = which !== "case";
    $("dz-register").hidden = which !== "register";
  }

  function renderCase(c) {
    const same = state.selected !== null && state.selected.id === c.id;
    state.selected = c;
    showPanel("case");
    riskBadge($("dz-case-risk"), c.risk_level);
    $("dz-case-title").textContent = c.title;
    $("dz-case-code").textContent = c.code;
    $("dz-case-category").textContent = zz.categoryLabel(c.category, c.subcategory);
    $("dz-case-channel").textContent = zz.label("channel", c.channel);
    $("dz-case-address").textContent =
      c.address || (c.lon !== null ? c.lon.toFixed(5) + ", " + c.lat.toFixed(5) : "未定位");
    // an order placed by its point in a township its address does not name (trial AX M4)
    const elsewhere = c.address_mismatch;
    document.querySelectorAll(".dz-address-mismatch").forEach((node) => (node.hidden = !elsewhere));
    $("dz-case-address-mismatch").textContent = elsewhere ? elsewhere.text + "，请核对地址或点位" : "";
    const cd = zz.countdown(c.deadline);
    $("dz-case-deadline").innerHTML =
      zz.esc(zz.fmtTime(c.deadline)) + "（" + deadlineHtml(c) + "）";
    $("dz-case-link").href = "/cases/" + c.id;
    $("dz-case-deadline").title = cd.text;
    // a 分流 form being filled in stays while the case is read again (a live notice, the
    // operator's own registration arriving); it goes with another case, or once triaged
    const mayTriage = c.allowed_actions.includes("triage") && c.state !== "triaged";
    const triaging = same && mayTriage && !$("dz-triage-form").hidden;
    $("dz-triage-form").hidden = !triaging;
    $("dz-triage").hidden = triaging || !mayTriage;
    $("dz-repeat").hidden = !c.duplicate_of;
    if (c.duplicate_of) {
      showOriginal($("dz-repeat"), "重复反映：本案与 ", c.duplicate_of, " 为同一事项。");
    }
    renderDeskActions(c);
    renderNext(c);
    updateState(c.state);
  }

  // The case code (一案一码) of an original case, read once per page (null: not readable here).
  const originalCodes = new Map();
  function originalCode(id) {
    const known = state.cases.find((x) => x.id === id);
    if (known) return Promise.resolve(known.code);
    if (!originalCodes.has(id)) {
      originalCodes.set(id, zz.api("/api/cases/" + id).then((o) => o.code, () => null));
    }
    return originalCodes.get(id);
  }

  /** `text before` <a href=/cases/{id}>its case code</a> `text after`, in `box`. */
  function showOriginal(box, before, id, after) {
    box.textContent = before;
    const link = document.createElement("a");
    link.href = "/cases/" + id;
    link.className = "dz-original";
    link.textContent = "原案件";
    box.appendChild(link);
    box.appendChild(document.createTextNode(after));
    originalCode(id).then(function (caseCode) {
      if (caseCode) link.textContent = caseCode;
    });
    return link;
  }

  /**
   * What is left for this desk on a case outside its queue: follow it, or close it. 已上报 and
   * 已交办 only after a real 上报 or 交办, naming from where to where (trial AH M1, M2: a county's
   * registration read 已交办 and a village's 已上报 though nobody had moved them).
   */
  function renderNext(c) {
    const box = $("dz-case-next");
    const moved = c.latest && c.latest.moved;
    // a 交办 names its unit (交办（张三，县级 → 华溪镇）, trial BC) where its event says it
    const move = (verb) =>
      verb + "（" + moved.actor_name + "，" + zz.label("handling_level", moved.payload.from_level) + " → " +
      (verb === "交办" && moved.payload.unit_name ? moved.payload.unit_name : zz.label("handling_level", moved.payload.to_level)) + "）";
    let text = "";
    if (c.handling_level < LEVEL && OPEN.includes(c.state)) {
      text = (moved && moved.action === "escalate" ? "本案已" + move("上报") + "，" : "本案") +
        "现由" + levelText(c.handling_level) + "；本级跟踪办理进度。";
    } else if (c.handling_level > LEVEL && OPEN.includes(c.state)) {
      text = (moved && moved.action === "hand_down" ? "本案已" + move("交办") + "，" : "本案") +
        "现由" + levelText(c.handling_level) + "。";
    } else if (CLOSING.includes(c.state)) {
      const todo = CLOSING_ACTIONS.filter((a) => c.allowed_actions.includes(a)).map((a) => zz.label("case_action", a));
      text = "案件已办结" + (todo.length ? "，待" + todo.join("、") + "。" : "。");
    } else if (c.state === "archived") {
      text = "案件已销号。";
    }
    box.textContent = text;
    box.hidden = !text;
    renderFacts(c);
    renderClosingActions(c);
  }

  /** One line of the facts box: a bold head, then text (escaped). */
  function factHtml(head, parts) {
    // a note ending in 。 is not followed by ；(trial AK: 。；)
    const said = parts.filter(Boolean).map((p) => String(p).replace(/[。；;.]+$/, ""));
    return "<strong>" + zz.esc(head) + "</strong>" + zz.esc(said.join("；"));
  }

  /**
   * A long note folds after a few lines (.dz-fold) with 展开全文 under it (trial AQ m2: a 1,710-
   * character 上报 reason pushed 派单 and 推荐网格员 screens down); a short one shows whole.
   */
  function foldLong(box) {
    const body = box.querySelector(".dz-fold");
    const unfold = box.querySelector(".dz-unfold");
    unfold.onclick = function () {
      body.classList.remove("dz-fold");
      unfold.hidden = true;
    };
    requestAnimationFrame(function () {
      unfold.hidden = body.scrollHeight <= body.clientHeight + 1;
    });
  }

  /**
   * What the desk reads before it acts (trial AH M3, M5, M6): who sent the case back and why,
   * the 督办意见 and 督办时限 of a standing 督办, the worker's 办结结果 and note before 评价、回访、
   * 销号 or 重新办理, and why a case was sent back to be redone.
   */
  function renderFacts(c) {
    const facts = c.latest || {};
    // a case 上报 or 交办 to this desk says who sent it and why (trial AK M1: a bare badge)
    const moved = facts.moved;
    const here = moved && OPEN.includes(c.state) && c.handling_level === LEVEL && moved.payload.to_level === LEVEL ? moved : null;
    $("dz-moved-here").hidden = !here;
    if (here) {
      const verb = here.action === "escalate" ? "上报" : "交办";
      $("dz-moved-here").innerHTML = '<div class="dz-fold">' + factHtml(verb + "来：", [
        here.actor_name + "于 " + zz.fmtTime(here.at) + " " + verb + "（" + zz.label("handling_level", here.payload.from_level) + " → " + zz.label("handling_level", here.payload.to_level) + "）",
        here.note ? "说明：" + here.note : "未写说明",
      ]) + '</div><button class="btn btn-link btn-sm p-0 dz-unfold" type="button" hidden>展开全文</button>';
      foldLong($("dz-moved-here"));
    }
    const returned = returnedOf(c);
    $("dz-returned").hidden = !returned;
    if (returned) $("dz-returned").innerHTML = factHtml("已退回：", [returnedText(returned)]);
    const sup = OPEN.includes(c.state) ? facts.supervised : null;
    $("dz-supervision").hidden = !sup;
    if (sup) {
      const replied = facts.replied;
      $("dz-supervision").innerHTML = factHtml(supervisor(sup) + "督办：", [
        "督办时限 " + zz.fmtTime(sup.payload.deadline || c.supervision_deadline),
        sup.note ? "督办意见：" + sup.note : "",
        sup.actor_name + "于 " + zz.fmtTime(sup.at) + " 督办",
      ]) + '<div class="dz-supervision-reply">' + (replied
        ? factHtml("督办回复：", [replied.note, replied.actor_name + "于 " + zz.fmtTime(replied.at) + " 回复"])
        : zz.esc(c.allowed_actions.includes("supervision_reply")
          ? "尚未回复：请用“督办回复”报送办理情况，上级“我督办的”即显示。"
          : "下级尚未督办回复。")) + "</div>";
    }
    // the 催办 standing on it, with what was said, by whom and when, until answered (trial AZ
    // S1: it was only the queue badge's tooltip)
    const reminders = OPEN.includes(c.state) ? c.reminders || [] : [];
    $("dz-reminders").hidden = !reminders.length;
    $("dz-reminders").innerHTML = reminders.map((r) => "<div>" + factHtml("催办：", [
      r.note ? "催办意见：" + r.note : "未写说明",
      r.by + "于 " + zz.fmtTime(r.at) + " 催办",
    ]) + "</div>").join("");
    const done = CLOSING.includes(c.state) || c.state === "archived" ? facts.resolved : null;
    $("dz-resolved").hidden = !done;
    if (done) {
      $("dz-resolved").innerHTML = factHtml("办结结果：", [
        labels.outcome[done.payload.outcome] || done.payload.outcome,
        "办结说明：" + (done.note || "（未填写）"),
        done.actor_name + "于 " + zz.fmtTime(done.at) + " 办结",
      ]);
    }
    const again = OPEN.includes(c.state) ? facts.reopened : null;
    $("dz-reopened").hidden = !again;
    if (again) {
      $("dz-reopened").innerHTML = factHtml("重新办理：", [
        again.note,
        again.actor_name + "于 " + zz.fmtTime(again.at) + "，时限不变",
      ]);
    }
  }

  // ------------------------------------------------------------------ 评价、回访、销号

  /** The buttons of the closing steps the desk may take now (none outside 待结案). */
  function renderClosingActions(c) {
    const box = $("dz-closing-actions");
    box.textContent = "";
    // and 重新办理 beside them: a party not satisfied at 回访 is not to be archived (trial Z)
    const actions = CLOSING.includes(c.state)
      ? CLOSING_ACTIONS.concat(["reopen"]).filter((a) => c.allowed_actions.includes(a))
      : [];
    actions.forEach(function (action) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm " + (action === "reopen" ? "btn-outline-danger" : "btn-outline-primary");
      b.dataset.closing = action;
      b.textContent = zz.label("case_action", action) + "…";
      b.addEventListener("click", function () {
        openClosing(action);
      });
      box.appendChild(b);
    });
    box.hidden = actions.length === 0;
    const form = $("dz-closing-form");
    if (!form.hidden && (form.dataset.caseId !== String(c.id) || !actions.includes(form.dataset.action))) {
      form.hidden = true; // another case, or the step was taken meanwhile
    }
  }

  function openClosing(action) {
    const c = state.selected;
    const form = $("dz-closing-form");
    form.dataset.action = action;
    form.dataset.caseId = String(c.id);
    $("dz-closing-title").textContent = zz.label("case_action", action) + "：" + c.code;
    $("dz-closing-satisfaction-box").hidden = action === "archive" || action === "reopen";
    $("dz-closing-satisfaction").value = "";
    unsatisfiedChoice(); // hidden until a 回访's 不满意 (trial BA M3)
    $("dz-closing-note").value = "";
    // 重新办理 says why (the worker it goes to next reads it) and keeps the registration's
    // time limits: a case past them is overdue at once (trial AH S2, M4)
    const reopen = action === "reopen";
    // 回访 says what it learned, a 销号 without 回访 why none was made (trial AS M5)
    const required = reopen ? "重新办理原因"
      : action === "archive" ? (c.state === "visited" ? "" : "不回访的原因")
      : zz.tables.note_required[action] || "";
    $("dz-closing-note-label").textContent = required ? required + "（必填）" : "说明（可不填）";
    $("dz-closing-note").required = Boolean(required);
    const lead = $("dz-closing-lead");
    lead.hidden = !reopen;
    if (reopen) {
      const late = c.deadline && zz.countdown(c.deadline).overdue;
      lead.textContent = "时限不变：办结时限仍为 " + (c.deadline ? zz.fmtTime(c.deadline) : "登记时的时限") +
        (late ? "，重新办理后即为超期" : "") + "；原因将随下次派单告知网格员。";
    }
    $("dz-closing-error").hidden = true;
    form.hidden = false;
  }

  /**
   * A 回访's 不满意 or 不太满意 asks what follows, as on the case page (trial BA M3): 重新办理
   * (the 回访's note is the reason; the case goes back to whoever handled it) or 销号 with its
   * reason. Built here once, under the 满意度, and shown and required only then.
   */
  function unsatisfiedChoice() {
    let box = $("dz-closing-unsatisfied");
    if (!box) {
      box = document.createElement("div");
      box.className = "col-12";
      box.id = "dz-closing-unsatisfied";
      box.innerHTML = '<label class="form-label mb-0 text-danger" for="dz-closing-then">回访不满意：请选择重新办理，或说明原因后销号</label>' +
        '<select class="form-select form-select-sm" id="dz-closing-then"><option value="">请选择处理方式</option>' +
        '<option value="reopen">重新办理（以回访情况为原因，交原承办单位重新处置）</option><option value="archive">说明原因后销号</option></select>' +
        '<input class="form-control form-control-sm mt-1" id="dz-closing-reason" maxlength="2000" placeholder="销号原因（必填）">';
      $("dz-closing-satisfaction-box").after(box);
      $("dz-closing-satisfaction").addEventListener("change", unsatisfiedChoice);
      box.querySelector("select").addEventListener("change", unsatisfiedChoice);
    }
    const low = $("dz-closing-form").dataset.action === "visit" && ["1", "2"].includes($("dz-closing-satisfaction").value);
    box.hidden = !low;
    $("dz-closing-then").required = low;
    if (!low) $("dz-closing-then").value = "";
    const archive = low && $("dz-closing-then").value === "archive";
    $("dz-closing-reason").hidden = !archive;
    $("dz-closing-reason").required = archive;
  }

  async function submitClosing(event) {
    event.preventDefault();
    const form = $("dz-closing-form");
    const c = state.selected;
    const action = form.dataset.action;
    if (!c || form.dataset.caseId !== String(c.id)) return;
    const params = {};
    const satisfaction = $("dz-closing-satisfaction").value;
    if (["evaluate", "visit"].includes(action) && satisfaction) params.satisfaction = Number(satisfaction);
    if (action === "visit" && ["1", "2"].includes(satisfaction)) {
      params.then = $("dz-closing-then").value;
      if (params.then === "archive") params.reason = $("dz-closing-reason").value.trim();
    }
    try {
      const updated = await zz.api("/api/cases/" + c.id + "/actions/" + action, {
        method: "POST",
        json: { version: c.version, note: $("dz-closing-note").value.trim() || null, params: params },
      });
      form.hidden = true;
      zz.toast(zz.label("case_action_done", action), "success"); // what happened (trial AQ m3)
      upsertCase(updated);
      renderCase(updated);
      // the pane below follows the new state (trial AH M4: 案件已办结，无需派单 stayed after 重新办理)
      await loadCandidates(updated);
    } catch (error) {
      $("dz-closing-error").textContent = zz.errorText(error);
      $("dz-closing-error").hidden = false;
    }
  }

  function updateState(stateCode) {
    zz.stateBadge($("dz-state"), stateCode);
    const reached = STEPS.indexOf(stateCode);
    document.querySelectorAll("#dz-steps li").forEach(function (li, i) {
      li.classList.toggle("done", reached >= i || ["resolved", "evaluated", "visited", "archived"].includes(stateCode));
    });
  }

  function drawCase(c) {
    layers.case.clearLayers();
    if (c.lon === null || c.lat === null) return;
    L.circleMarker([c.lat, c.lon], {
      radius: 9,
      color: "#fff",
      weight: 2,
      fillColor: zz.riskColor(c.risk_level),
      fillOpacity: 1,
    })
      .bindTooltip(zz.esc(c.title), { permanent: false })
      .addTo(layers.case);
    // about 500 m each way, the grids' outlines and names around (trial AQ m5: zoom 17 showed a
    // dot and one grid line at 100 m, nothing to place the case by)
    map.fitBounds(L.latLng(c.lat, c.lon).toBounds(2 * CASE_SURROUNDS_M), { maxZoom: 16 });
  }

  // The case's cameras come after its workers, folded to CAMERAS_SHOWN (those seeing the spot
  // always shown), 更多点位 unfolding the rest (trial AZ m2: ten cameras above 推荐网格员 made
  // every dispatch at 1366×768 a scroll)
  const CAMERAS_SHOWN = 3;

  /** Fold or unfold the camera list beyond its first CAMERAS_SHOWN (or all that see the spot). */
  function foldCameras(open) {
    const more = $("dz-cameras-more");
    const extra = $("dz-cameras").querySelectorAll(".dz-camera-extra");
    extra.forEach((li) => { li.hidden = !open; });
    more.hidden = extra.length === 0;
    more.setAttribute("aria-expanded", open ? "true" : "false");
    more.textContent = open ? "收起" : "更多点位（另 " + extra.length + " 个）";
  }

  async function loadCameras(c) {
    const list = $("dz-cameras");
    layers.cameras.clearLayers();
    $("dz-cameras-more").hidden = true;
    if (c.lon === null) {
      // no place to look from (the API would refuse it): say so without asking
      list.innerHTML = '<li class="text-muted">该案件没有位置，无法查找周边摄像机。</li>';
      return;
    }
    list.innerHTML = '<li class="text-muted">正在查询…</li>';
    let body;
    try {
      body = await zz.api("/api/cases/" + c.id + "/cameras");
    } catch (error) {
      list.innerHTML = '<li class="text-danger">' + zz.esc(zz.errorText(error)) + "</li>";
      return;
    }
    if (state.selected === null || state.selected.id !== c.id) return;
    list.textContent = "";
    layers.cameras.clearLayers();
    // no ONLINE camera sees the spot: say so even when offline ones would (trial BB M3: a dead
    // camera listed first as 可见 hid that no live video exists)
    if (!body.seeing_online) {
      const li = document.createElement("li");
      li.className = "text-muted";
      li.textContent = body.cameras.length
        ? "没有摄像头覆盖该位置" + (body.seeing ? "：可见该位置的摄像头均离线" : "") +
          "；以下为最近的视频点位（含 " + body.radius_m + " 米以外的；离线的已注明）。"
        : "没有在用的视频点位。";
      list.appendChild(li);
    }
    const shown = Math.max(CAMERAS_SHOWN, body.cameras.filter((cam) => cam.sees).length);
    body.cameras.forEach(function (cam, i) {
      // the console map's colours (command.js STATUS_COLOR): purple online, grey and hollow
      // offline; one that does not see the case fainter (trial BB m7: grey was 周边摄像头 here,
      // online or not, and an offline camera there)
      const online = cam.status === "online";
      const colour = online ? MAP_COLOUR.online : MAP_COLOUR.offline;
      if (cam.cone.length) {
        L.polygon(
          cam.cone.map((p) => [p[1], p[0]]),
          { color: colour, weight: 1, opacity: cam.sees ? 1 : 0.5, fillColor: colour, fillOpacity: cam.sees ? 0.25 : 0.08 }
        ).addTo(layers.cameras);
      }
      L.circleMarker([cam.lat, cam.lon], {
        radius: 5,
        color: online ? "#fff" : colour,
        weight: online ? 1 : 2,
        opacity: cam.sees ? 1 : 0.6,
        fillColor: online ? colour : "#fff",
        fillOpacity: cam.sees ? 1 : 0.5,
      })
        .bindTooltip(zz.esc(cam.name) + "（" + zz.esc(zz.label("video_status", cam.status)) + "）")
        .addTo(layers.cameras);
      const li = document.createElement("li");
      // 可见 only an online camera that sees the spot; an offline one that would is listed after
      // them as 离线（可见范围内） with its last heartbeat (trial BB M3)
      const live = cam.sees && cam.status === "online";
      const dark = cam.sees && !live;
      li.className = "dz-camera" + (live ? " dz-camera-sees" : "") + (dark ? " dz-camera-dark" : "") +
        (i >= shown && !cam.sees ? " dz-camera-extra" : "");
      li.dataset.deviceId = cam.device_id;
      li.innerHTML =
        (live ? "◉ " : dark ? "◌ " : "○ ") + zz.esc(cam.name) +
        ' <span class="text-muted fw-normal">' + fmtDistance(cam.distance_m) + " · " +
        // another unit's camera near the case (trial BB M5): 「宁州街道的点位」
        (cam.other_unit ? zz.esc(cam.other_unit) + "的点位 · " : "") +
        zz.esc(zz.label("ptz_type", cam.ptz_type)) + " · " +
        (cam.azimuth_source === "direction" ? "朝向按监视方位 · " : "") +
        (dark
          ? "离线（可见范围内）" + (cam.last_heartbeat ? " · 最后在线 " + zz.esc(zz.fmtTime(cam.last_heartbeat)) : "")
          : zz.esc(zz.label("video_status", cam.status))) + "</span>";
      list.appendChild(li);
    });
    foldCameras(false);
  }

  /**
   * A worker's load: the cases he holds now (在办 N 件, however old) and, beneath, those sent to
   * him in the last 24 hours (trial AZ M3: a busy worker read 「0 件」 under 「24小时任务」).
   */
  function loadCell(w) {
    return "在办 " + (w.open_cases || 0) + ' 件<div class="text-muted">24小时 ' + w.workload + " 件</div>";
  }

  function fmtDistance(m) {
    return m >= 1000 ? (m / 1000).toFixed(2) + " 公里" : Math.round(m) + " 米";
  }

  async function loadCandidates(c) {
    const table = $("dz-candidates");
    const tbody = table.querySelector("tbody");
    const none = $("dz-no-candidates");
    const note = $("dz-candidates-note");
    layers.workers.clearLayers();
    tbody.textContent = "";
    table.hidden = true;
    none.hidden = true;
    $("dz-assigned").hidden = true;
    hidePicks();
    if (c.state !== "triaged" || c.handling_level !== LEVEL) {
      note.textContent =
        c.handling_level !== LEVEL && OPEN.includes(c.state)
          ? "本案不由本级办理，本级不派单。"
          : c.state === "registered" || c.state === "escalated"
            ? "案件需先分流，再派单。"
            : CLOSING.includes(c.state) || c.state === "archived"
              ? "案件已办结，无需派单。"
              : "案件已派出，处置进度见上方。";
      loadAssignee(c);
      return;
    }
    if (c.lon === null) {
      note.textContent = "案件未定位，无法按位置推荐网格员；可在下方选派网格员。";
      loadPicks(c, []);
      return;
    }
    note.textContent = "正在计算…";
    let body;
    try {
      body = await zz.api("/api/cases/" + c.id + "/candidates");
    } catch (error) {
      note.textContent = zz.errorText(error);
      loadPicks(c, []);
      return;
    }
    if (state.selected === null || state.selected.id !== c.id) return;
    loadPicks(c, body.candidates.map((w) => w.worker_id));
    // another load of the same case (a live event during the triage) may have answered first
    tbody.textContent = "";
    layers.workers.clearLayers();
    // a worker holding one or two cases is offered too, after an idle one as near (trial AZ M3)
    note.textContent = "按距离、在办件数、近24小时派单量及是否本网格综合排序（" + body.radius_m + " 米内，定位 30 分钟内）；“在办”为其手上未办结的案件数（每人最多同时办理 3 件），“24小时”为近24小时派给他的案件数。" +
      (body.candidates.some((w) => w.account_sees_case === null)
        ? "标明“需电话通知”的网格员不能在平台接收派单；有平台账号的网格员见下方“选派其他网格员”。"
        : "");
    if (!body.candidates.length) {
      const counts = body.counts || {};
      none.hidden = false;
      none.textContent =
        (REASONS[body.reason] || "没有可推荐的网格员。").replace("{radius}", body.radius_m) +
        "（辖区网格员 " + (counts.in_scope || 0) + " 人，可接单 " + (counts.on_duty || 0) +
        " 人，定位有效 " + (counts.fresh || 0) + " 人）";
      return;
    }
    table.hidden = false;
    body.candidates.forEach(function (w, i) {
      state.positions[w.worker_id] = { lat: w.lat, lon: w.lon, name: w.name };
      const tr = document.createElement("tr");
      tr.dataset.workerId = w.worker_id;
      // one who sent this case back is ranked after the others by the server (trial AS M6)
      if (returnedIt(w)) tr.className = "dz-candidate-returned";
      tr.innerHTML =
        "<td>" + (i + 1) + "</td><td>" + zz.esc(w.name) +
        '<div class="text-muted">' + zz.esc(zz.label("worker_role", w.role)) +
        (w.own_grid ? " · 本网格" : "") + accountNote(w) + withdrawnMark(w) + "</div></td><td>" + fmtDistance(w.distance_m) +
        "</td><td>" + loadCell(w) + "</td><td>" + (accountBlind(w)
          ? '<button class="btn btn-sm btn-light text-muted text-nowrap dz-pick-refused" type="button" disabled>暂不可派</button>'
          : '<button class="btn btn-sm btn-success dz-assign" type="button">派单</button>') + "</td>";
      if (!accountBlind(w)) tr.querySelector("button").addEventListener("click", () => confirmAssign(tr, c, w));
      tbody.appendChild(tr);
      L.circleMarker([w.lat, w.lon], {
        workerId: w.worker_id,
        radius: 6,
        color: "#fff",
        weight: 1,
        fillColor: MAP_COLOUR.on_duty,
        fillOpacity: 1,
      })
        .bindTooltip((i + 1) + ". " + zz.esc(w.name) + " · " + fmtDistance(w.distance_m) + (returnedIt(w) ? " · 已退回本案" : ""))
        .addTo(layers.workers);
    });
  }

  // ------------------------------------------------------------------ 选派网格员 (by hand)

  const PICK_LIMIT = 50;
  const picks = { reads: 0, query: "", ranked: [] };

  /** The section beneath the ranked list, built once (the template stays as it is). */
  function picksBox() {
    let box = $("dz-picks");
    if (box) return box;
    box = document.createElement("div");
    box.id = "dz-picks";
    box.className = "mt-2";
    box.hidden = true;
    box.innerHTML =
      '<h3 class="dz-section">选派其他网格员</h3>' +
      '<form class="d-flex gap-1 mb-1" id="dz-pick-search" role="search">' +
      '<input class="form-control form-control-sm" id="dz-pick-q" type="search" maxlength="20" ' +
      'placeholder="输入网格员姓名" aria-label="网格员姓名">' +
      '<button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">查找网格员</button>' +
      '<button class="btn btn-sm btn-outline-secondary text-nowrap" id="dz-pick-accounts" type="button" hidden>有账号的</button>' +
      "</form>" +
      '<p class="small text-muted mb-1" id="dz-picks-note"></p>' +
      '<table class="table table-sm table-hover small mb-0" id="dz-picks-table" hidden>' +
      "<thead><tr><th>姓名</th><th>状态</th><th>位置</th><th>在办</th><th></th></tr></thead>" +
      "<tbody></tbody></table>" +
      // a matter for a department (住建、司法 …) goes there instead, as from the command view
      '<h3 class="dz-section mt-2">派往职能部门</h3>' +
      '<p class="small mb-1" id="dz-department-suggested" hidden></p>' + // the 12345 承办单位
      '<form class="d-flex gap-1 align-items-start" id="dz-department-form"><div class="flex-grow-1">' +
      '<input class="form-control form-control-sm" id="dz-department" maxlength="100" required ' +
      'placeholder="如：县住建局" aria-label="职能部门名称"></div>' + // the names offered go below it
      '<button class="btn btn-sm btn-outline-primary text-nowrap dz-assign" type="submit">派往部门</button>' +
      "</form>" +
      // the departments of the level handling the case (a city-level case: the city's own,
      // trial AM M1), read per case; or why there are none
      '<div class="zz-departments d-flex flex-wrap gap-1 mt-1" id="dz-department-choices" aria-label="常用部门"></div>' +
      '<p class="small text-muted mb-0 mt-1" id="dz-department-note" hidden></p>';
    const anchor = $("dz-assigned");
    anchor.parentNode.insertBefore(box, anchor);
    $("dz-department-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const name = $("dz-department").value.trim();
      if (state.selected && name) confirmAssign($("dz-department-form"), state.selected, null, false, name);
    });
    $("dz-pick-search").addEventListener("submit", function (event) {
      event.preventDefault();
      if (state.selected) {
        picks.query = $("dz-pick-q").value.trim();
        loadPicks(state.selected, picks.ranked);
      }
    });
    $("dz-pick-accounts").addEventListener("click", function () {
      $("dz-pick-q").value = "";
      picks.query = "";
      if (state.selected) loadPicks(state.selected, picks.ranked);
    });
    return box;
  }

  function hidePicks() {
    picks.reads++;
    const box = $("dz-picks");
    if (box) box.hidden = true;
  }

  /** Why the ranking leaves the worker out, or where it placed him, in the desk's words. */
  function pickNotes(w, body, rank) {
    if (rank >= 0) return ["已在上方推荐第 " + (rank + 1) + " 位"];
    const notes = [];
    w.left_out.forEach(function (why) {
      if (why === "busy") {
        // a worker holds up to open_cases_cap cases at once (trial AZ M3): this one holds them all
        notes.push("忙碌：在办 " + w.open_cases + " 件，已达上限（每人最多同时办理 " + w.open_cases_cap + " 件）" +
          (w.busy_case_code ? "，最近一件为案件 " + w.busy_case_code : "") + "；办结或退回后才能再派");
      } else if (why === "off_duty") {
        notes.push("离岗：须本人在“我的任务”中点“上岗”后才能派单");
      } else if (why === "no_position") {
        notes.push("从未上报位置");
      } else if (why === "stale") {
        notes.push("位置已过时 " + zz.ageText(w.position_age_minutes));
      } else if (why === "position_ahead") {
        notes.push("定位时间晚于当前时间（手机时钟可能不准）");
      } else if (why === "outside_radius") {
        notes.push("距案件 " + fmtDistance(w.distance_m) + "，超出推荐范围 " + body.radius_m + " 米");
      }
    });
    if (!notes.length) notes.push(returnedIt(w) ? "已退回本案，排在推荐名单之后" : "未进入推荐前 10 名");
    return notes;
  }

  /** Offer the departments of the level handling `c` under 派往职能部门, or say there are none. */
  async function loadDepartments(c) {
    const choices = $("dz-department-choices");
    const note = $("dz-department-note");
    choices.textContent = "";
    note.hidden = true;
    let body;
    try {
      body = await zz.api("/api/departments?case=" + c.id);
    } catch (error) {
      body = { departments: [], note: "职能部门名单加载失败：" + zz.errorText(error) };
    }
    if (state.selected === null || state.selected.id !== c.id) return;
    choices.textContent = "";
    const input = $("dz-department");
    input.placeholder = body.departments.length ? "如：" + body.departments[0] : "输入职能部门名称";
    body.departments.forEach(function (name) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm btn-outline-secondary py-0 px-1 zz-department";
      b.textContent = name;
      b.addEventListener("click", function () {
        input.value = name;
        input.dispatchEvent(new Event("input"));
      });
      choices.appendChild(b);
    });
    note.textContent = body.note || "";
    note.hidden = !body.note;
    // the department the 12345 platform sent the order to (承办单位, trial AX S4): preselected
    // when the platform knows it, else shown as text to check; another case's is not kept
    const suggested = $("dz-department-suggested");
    suggested.hidden = !body.suggested;
    suggested.textContent = body.suggested
      ? "12345工单承办单位：" + body.suggested +
        (body.suggested_known ? "（已预先选中，可改选）" : "（本平台无此职能部门，请核对后选择或填写）")
      : "";
    if (input.dataset.suggested && input.value === input.dataset.suggested) input.value = "";
    input.dataset.suggested = body.suggested_known ? body.suggested : "";
    if (body.suggested_known) input.value = body.suggested;
  }

  async function loadPicks(c, ranked) {
    const box = picksBox();
    const level = c.id + ":" + c.handling_level; // 分流 to another level changes the list
    if (box.dataset.departmentsOf !== level) {
      box.dataset.departmentsOf = level;
      loadDepartments(c);
    }
    picks.ranked = ranked;
    const read = ++picks.reads;
    const query = picks.query;
    $("dz-pick-q").value = query;
    $("dz-pick-accounts").hidden = !query;
    const table = $("dz-picks-table");
    const note = $("dz-picks-note");
    box.hidden = false;
    note.textContent = "正在查询…";
    let body;
    try {
      body = await zz.api(
        "/api/cases/" + c.id + "/workers?limit=" + PICK_LIMIT + (query ? "&q=" + encodeURIComponent(query) : "")
      );
    } catch (error) {
      if (read === picks.reads) {
        note.textContent = "网格员名单加载失败：" + zz.errorText(error);
        table.hidden = true;
      }
      return;
    }
    if (read !== picks.reads || state.selected === null || state.selected.id !== c.id) return;
    const n = body.workers.length;
    const more = body.total > n ? "（共 " + body.total + " 人，只列出前 " + n + " 人，请输入姓名查找）" : "";
    note.textContent = query
      ? n
        ? "姓名含“" + query + "”的网格员 " + body.total + " 人" + more + "，在岗的在前。"
        : "辖区内没有姓名含“" + query + "”的网格员。"
      : n
        ? "辖区内有平台账号的网格员 " + body.total + " 人" + more + "（可在“我的任务”中接收和办理派单），在岗的在前；不在推荐名单的原因见各人说明。"
        : "辖区内没有开通平台账号的网格员；可输入姓名查找其他网格员。";
    const tbody = table.querySelector("tbody");
    tbody.textContent = "";
    table.hidden = n === 0;
    body.workers.forEach(function (w) {
      const rank = ranked.indexOf(w.worker_id);
      const tr = document.createElement("tr");
      tr.dataset.workerId = w.worker_id;
      tr.className = "dz-pick";
      const refused = w.left_out.filter((why) => why === "busy" || why === "off_duty").length > 0;
      const notes = pickNotes(w, body, rank);
      tr.innerHTML =
        "<td>" + zz.esc(w.name) + '<div class="text-muted">' + zz.esc(zz.label("worker_role", w.role)) +
        accountNote(w) + withdrawnMark(w) + "</div>" +
        '<div class="dz-pick-why ' + (refused ? "text-danger" : rank >= 0 ? "text-muted" : "text-warning-emphasis") + '">' +
        notes.map(zz.esc).join("；") + "</div></td>" +
        "<td>" + zz.esc(zz.label("worker_status", w.status)) + "</td>" +
        "<td>" + (w.last_seen_at
          ? zz.esc(zz.ageText(w.position_age_minutes)) + "前" + (w.distance_m !== null ? '<div class="text-muted">距 ' + fmtDistance(w.distance_m) + "</div>" : "")
          : "未上报") + "</td>" +
        "<td>" + loadCell(w) + "</td><td></td>";
      const button = document.createElement("button");
      button.type = "button";
      if (w.pickable && !accountBlind(w)) {
        button.textContent = "派单";
        button.className = "btn btn-sm btn-success text-nowrap dz-assign dz-pick-assign";
        button.addEventListener("click", () => confirmAssign(tr, c, w, true));
      } else {
        // no 派单 that looks like one on a busy or off-duty worker's row (trial AS M7): it says
        // he cannot be sent the case now, and why in its title
        button.textContent = "暂不可派";
        button.className = "btn btn-sm btn-light text-muted text-nowrap dz-pick-refused";
        button.disabled = true;
        button.title = notes.join("；");
      }
      tr.lastChild.appendChild(button);
      tbody.appendChild(tr);
      if (w.lat !== null && w.lon !== null) state.positions[w.worker_id] = { lat: w.lat, lon: w.lon, name: w.name };
      if (rank < 0 && w.lat !== null && w.lon !== null) {
        // by his status in the console map's colours, fainter than the recommended (trial BB m7:
        // grey here was anybody not recommended, there a worker off duty)
        const colour = MAP_COLOUR[w.status] || MAP_COLOUR.off_duty;
        const hollow = w.status === "off_duty" || w.status === "left";
        L.circleMarker([w.lat, w.lon], {
          workerId: w.worker_id,
          radius: 5,
          color: hollow ? colour : "#fff",
          weight: hollow ? 2 : 1,
          fillColor: hollow ? "#fff" : colour,
          fillOpacity: 0.6,
        })
          .bindTooltip(zz.esc(w.name) + " · " + zz.esc(notes.join("；")))
          .addTo(layers.workers);
      }
    });
  }

  /**
   * 原承办人（已退回：<原因>）: the worker whose dispatch of this case his own 退回, the desk's
   * 撤回派单 (已撤回) or a 上报 (已上报) took back, offered again (trial AH M3; trial AQ M4: the
   * village escalated the case because his mediation failed, and the township sent it straight
   * back to him). The server says which ending it was (trial AS M6: a 退回 read 已撤回).
   */
  function withdrawnText(w) {
    const d = w.withdrawn;
    return d ? "原承办人（" + (d.ended || d.label) + "：" + (d.reason || "未写原因") + "）" : "";
  }

  /** Whether the worker sent this case back himself (退回): he said it is not his to handle. */
  function returnedIt(w) {
    return Boolean(w && w.withdrawn && w.withdrawn.action === "return");
  }

  function withdrawnMark(w) {
    const d = w.withdrawn;
    if (!d) return "";
    const how = d.by + "于 " + zz.fmtTime(d.at) + " " + d.label;
    return ' · <span class="dz-withdrawn text-danger" title="' + zz.esc(how) + '">' + zz.esc(withdrawnText(w)) + "</span>";
  }

  /**
   * Whether the worker can follow the case in the platform (我的任务), or must be phoned: one
   * without an account, or whose account does not see the case, is told by phone, and the desk
   * registers his 受理、到场、办结 on the case page (trial AO M9: the list said 无平台账号 and
   * no more, and the confirmation spoke of his 受理 as if he could take it in the app).
   */
  function accountNote(w) {
    if (followsInApp(w)) return "";
    // the server refuses a dispatch his account could not open (trial BA m9)
    if (accountBlind(w)) return ' · <span class="dz-no-account">其账号看不到本案件，不能派给他</span>';
    return ' · <span class="dz-no-account">无平台账号，需电话通知</span>' + phoneLink(w);
  }

  /** Whether the worker has an account that cannot open the case: he is not sent it. */
  function accountBlind(w) {
    return w.account_sees_case === false;
  }

  function followsInApp(w) {
    return w.account_sees_case === true;
  }

  /** The worker's work phone as the roster gives it, to call him from the desk (tel: on a phone). */
  function phoneLink(w) {
    if (!w.phone) return ' <span class="dz-phone">（名册未登记电话）</span>';
    return ' <a class="dz-phone" href="tel:' + encodeURIComponent(w.phone.replace(/[^0-9+]/g, "")) + '">电话 ' +
      zz.esc(w.phone) + "</a>";
  }

  /** What a 派单 to a worker who cannot take it in the app asks of the dispatcher. */
  function phoneDuty(w) {
    const who = w.account_sees_case === null ? "该网格员无平台账号" : "该网格员的账号看不到本案件";
    return who + "，不能在平台接收派单：派单后请电话通知（" + (w.phone ? "电话 " + w.phone : "名册未登记电话") +
      "），其受理、到场、办结由调度员在案件详情页代为登记。";
  }

  function drawAssignee() {
    const a = state.assignee;
    if (!a || !state.positions[a.worker_id]) return;
    const p = state.positions[a.worker_id];
    L.circleMarker([p.lat, p.lon], {
      workerId: a.worker_id,
      radius: 7,
      color: "#fff",
      weight: 2,
      fillColor: MAP_COLOUR.on_duty,
      fillOpacity: 1,
    })
      .bindTooltip("已派：" + zz.esc(a.assignee_name), { permanent: true, direction: "right" })
      .addTo(layers.workers);
  }

  async function loadAssignee(c) {
    state.assignee = null;
    let detail;
    try {
      detail = await zz.api("/api/cases/" + c.id + "/detail");
    } catch (error) {
      return;
    }
    if (state.selected === null || state.selected.id !== c.id) return;
    const active = zz.activeDispatches(detail.dispatches);
    if (!active.length) return;
    const d = active[active.length - 1];
    state.assignee = d;
    const el = $("dz-assigned");
    el.hidden = false;
    el.innerHTML =
      "已派给：<strong>" + zz.esc(d.assignee_name) + "</strong>（" +
      zz.esc(zz.label("dispatch_status", d.status)) + "，派单时间 " + zz.esc(zz.fmtTime(d.assigned_at)) + "）";
    layers.workers.clearLayers();
    drawAssignee();
  }

  async function selectCase(id) {
    hideMessage();
    stopPicking();
    let c;
    try {
      c = await zz.api("/api/cases/" + id);
    } catch (error) {
      zz.toast(zz.errorText(error), "danger");
      return;
    }
    upsertCase(c);
    renderCase(c);
    drawCase(c);
    renderQueue();
    await Promise.all([loadCameras(c), loadCandidates(c)]);
  }

  function showMessage(text, kind) {
    const box = $("dz-message");
    box.className = "alert alert-" + (kind || "warning") + " py-1 px-2 small";
    box.textContent = text;
    box.hidden = false;
  }

  function hideMessage() {
    $("dz-message").hidden = true;
  }

  // ------------------------------------------------------------------ 派单, confirmed

  /** Whom a 派单 goes to, as the desk shows him: a worker with his distance and his day's tasks. */
  function assigneeText(worker, department) {
    if (department) return "职能部门“" + department + "”";
    const facts = [];
    if (worker.distance_m !== null && worker.distance_m !== undefined) facts.push("距案件 " + fmtDistance(worker.distance_m));
    if (worker.open_cases !== undefined) facts.push("在办 " + worker.open_cases + " 件");
    if (worker.workload !== undefined) facts.push("近24小时任务 " + worker.workload + " 件");
    return "网格员 " + worker.name + (facts.length ? "（" + facts.join("，") + "）" : "");
  }

  function closeConfirm() {
    const open = $("dz-confirm");
    if (open) open.remove();
  }

  /**
   * 派单 asks before it sends (trial M11: one click sent it, and nothing took it back): whom, how
   * far, which case. The question stands beneath the row (or the department's form) clicked;
   * 确定派单 sends it, 取消 leaves the case as it was.
   */
  function confirmAssign(anchor, c, worker, picked, department) {
    closeConfirm();
    hideMessage();
    // one who sent this case back said it is not his to handle: asked again, in warning colours,
    // and the button says what it does (trial AS M6)
    const again = returnedIt(worker);
    const box = document.createElement("div");
    box.className = "dz-confirm alert " + (again ? "alert-warning dz-confirm-returned" : "alert-primary") + " py-1 px-2 small my-1";
    box.setAttribute("role", "alertdialog");
    box.innerHTML =
      '<div class="dz-confirm-text"></div><div class="d-flex gap-2 mt-1">' +
      '<button class="btn btn-sm ' + (again ? "btn-warning" : "btn-success") + '" id="dz-confirm-assign" type="button">' +
      (again ? "仍派给原承办人" : "确定派单") + "</button>" +
      '<button class="btn btn-sm btn-outline-secondary" id="dz-confirm-cancel" type="button">取消</button></div>';
    box.querySelector(".dz-confirm-text").textContent =
      "确认派单：将案件 " + c.code + "「" + c.title + "」派给" + assigneeText(worker, department) + "？" +
      (again
        ? "注意：该网格员为" + withdrawnText(worker) + "，已于 " + zz.fmtTime(worker.withdrawn.at) +
          " 退回本案；请确认确需再派给该网格员。"
        : worker && worker.withdrawn ? "注意：该网格员为" + withdrawnText(worker) + "。" : "") +
      (worker && !followsInApp(worker) ? phoneDuty(worker) + "受理登记前可撤回派单。" : "对方受理前可撤回派单。");
    let holder = box;
    if (anchor.tagName === "TR") {
      holder = document.createElement("tr");
      holder.className = "dz-confirm-row";
      const cell = document.createElement("td");
      cell.colSpan = anchor.children.length;
      cell.appendChild(box);
      holder.appendChild(cell);
    }
    holder.id = "dz-confirm";
    anchor.after(holder);
    $("dz-confirm-cancel").addEventListener("click", closeConfirm);
    $("dz-confirm-assign").addEventListener("click", function () {
      closeConfirm();
      // the case as read now (a live notice may have come meanwhile): its version goes with it
      const now = state.selected && state.selected.id === c.id ? state.selected : c;
      assign(now, worker, picked, department);
    });
    $("dz-confirm-assign").focus();
  }

  // ------------------------------------------------------------------ 上报、交办、撤回派单

  const DESK_ACTIONS = ["escalate", "hand_down", "recall", "supervision_reply"];

  /** The buttons of 上报、交办、撤回派单 where the workflow allows them now (trial AK M2). */
  function renderDeskActions(c) {
    document.querySelectorAll("[data-act]").forEach(function (b) {
      b.hidden = !c.allowed_actions.includes(b.dataset.act);
    });
    const form = $("dz-act-form");
    if (!form.hidden && (form.dataset.caseId !== String(c.id) || !c.allowed_actions.includes(form.dataset.action))) {
      form.hidden = true; // another case, or the step was taken meanwhile
    }
  }

  /**
   * As the case page titles it: 上报至市级, 交办至华溪镇 (the unit it goes to, trial BC: 交办至乡镇（街道）级
   * named no township while the note said another), 撤回派单.
   */
  function actTitle(action, toLevel, toUnit) {
    const name = zz.label("case_action", action);
    if (action === "hand_down" && toUnit && toUnit.name) return name + "至" + toUnit.name;
    return toLevel && (action === "escalate" || action === "hand_down") ? name + "至" + zz.label("handling_level", toLevel) : name;
  }

  /** What the dialog says first: where the case goes, or what a 撤回派单 undoes. */
  function actLead(action, c, toLevel, toUnit) {
    if (action === "escalate" && toLevel) {
      return "上报后由" + zz.label("handling_level", toLevel) + "办理（现由" + zz.label("handling_level", c.handling_level) + "办理），本级跟踪办理进度。";
    }
    if (action === "hand_down" && toLevel) {
      const level = zz.label("handling_level", toLevel);
      return "交办后由" + (toUnit && toUnit.name ? toUnit.name + "（" + level + "）" : level) + "办理。";
    }
    if (action === "supervision_reply") {
      const sup = c.latest && c.latest.supervised;
      return "回复" + (sup ? supervisor(sup) + "的督办（督办时限 " + zz.fmtTime(c.supervision_deadline) + "）" : "上级督办") +
        "：写明已办理的情况和办结安排，上级“我督办的”将显示本回复。";
    }
    if (action === "recall") {
      const a = state.assignee;
      return "撤回" + (a ? "派给 " + a.assignee_name + " 的派单（派单时间 " + zz.fmtTime(a.assigned_at) + "）" : "本案的派单") +
        "：案件回到“已分流”，可重新派单，对方的任务列表不再显示本案。对方受理后不能撤回。";
    }
    return "";
  }

  /**
   * The message after an action: where a 上报 or 交办 sent the case (trial AN M6: 「上报：已完成」
   * named no destination), as the command page's toasts say it.
   */
  function actDone(action, c) {
    const level = zz.label("handling_level", c.handling_level);
    if (action === "escalate") return "已上报至" + level + "：" + c.title;
    if (action === "hand_down") {
      // the unit of that level the case lies in: its code's first 6 (county) or 9 (township) digits
      const digits = { 3: 6, 4: 9 }[c.handling_level];
      const unit = digits ? childNames.get(c.area_code.slice(0, digits).padEnd(12, "0")) : null;
      return "已交办给" + (unit || level) + "：" + c.title;
    }
    if (action === "recall") return "已撤回派单：" + c.title;
    return zz.label("case_action_done", action) + "：" + c.title; // 督办回复已报送：… (trial AQ m3)
  }

  // example text of the required notes, as on the case page (case.js NOTE_HINTS; trial AN N1)
  const NOTE_HINTS = {
    escalate: "如：涉及多个部门，本级协调不了，请上级统筹",
    hand_down: "如：请牵头组织调处，限期报送办理结果",
    recall: "如：改派本网格专职网格员",
    supervision_reply: "如：已约谈用工方，12月8日前兑付欠薪后报结",
  };

  /** Open the dialog of `action` with the note the API asks for (note_required) and its target. */
  async function openAct(action) {
    const c = state.selected;
    if (!c) return;
    hideMessage();
    let offered;
    let detail = null;
    try {
      const [allowed, read] = await Promise.all([
        zz.api("/api/cases/" + c.id + "/allowed"),
        action === "escalate" ? zz.api("/api/cases/" + c.id + "/detail") : Promise.resolve(null),
      ]);
      offered = allowed.allowed.find((a) => a.action === action);
      detail = read;
    } catch (error) {
      showMessage(zz.errorText(error), "danger");
      return;
    }
    if (state.selected === null || state.selected.id !== c.id) return;
    if (!offered) {
      showMessage("案件状态已变化，不能再" + zz.label("case_action", action) + "，已刷新。");
      await refreshSelected();
      return;
    }
    const form = $("dz-act-form");
    form.dataset.action = action;
    form.dataset.caseId = String(c.id);
    $("dz-act-title").textContent = actTitle(action, offered.to_level, offered.to_unit);
    const lead = actLead(action, c, offered.to_level, offered.to_unit);
    $("dz-act-lead").textContent = lead;
    $("dz-act-lead").hidden = !lead;
    const warning = detail ? zz.escalationWarning(detail.dispatches) : "";
    $("dz-act-warning").textContent = warning;
    $("dz-act-warning").hidden = !warning;
    // a note the action needs (上报原因, 撤回原因 …): the field says so and the browser asks first
    $("dz-act-note-label").textContent = offered.note_required ? offered.note_required + "（必填）" : "办理说明（选填）";
    $("dz-act-note").required = Boolean(offered.note_required);
    $("dz-act-note").value = "";
    $("dz-act-note").placeholder = NOTE_HINTS[action] || "";
    $("dz-act-error").hidden = true;
    $("dz-act-submit").disabled = false;
    $("dz-triage-form").hidden = true;
    form.hidden = false;
    $("dz-act-note").focus();
  }

  async function submitAct(event) {
    event.preventDefault();
    const form = $("dz-act-form");
    const c = state.selected;
    const action = form.dataset.action;
    if (!c || form.dataset.caseId !== String(c.id)) return;
    const submit = $("dz-act-submit");
    submit.disabled = true;
    try {
      const updated = await zz.api("/api/cases/" + c.id + "/actions/" + action, {
        method: "POST",
        json: { version: c.version, note: $("dz-act-note").value.trim() || null, params: {} },
      });
      form.hidden = true;
      submit.disabled = false;
      zz.toast(actDone(action, updated), "success");
      upsertCase(updated);
      renderCase(updated);
      // 上报, 交办, 督办 and 督办回复 move a case in or out of 下级上报, 我交办的, 我督办的, 被督办
      if (MARKED.length) loadQueue();
      await loadCandidates(updated);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof zz.ApiError && error.status === 409) {
        // 受理'd meanwhile, or changed by another operator: the desk shows the case as it is, and
        // the refusal stays in the dialog (its 确定 off when the step is no longer possible)
        await refreshSelected();
        form.hidden = false;
        submit.disabled = !state.selected.allowed_actions.includes(action);
      }
      $("dz-act-error").textContent = zz.errorText(error);
      $("dz-act-error").hidden = false;
    }
  }

  /** Read the selected case again and draw it (after a refusal that says it changed). */
  async function refreshSelected() {
    const c = state.selected;
    if (!c) return;
    let fresh;
    try {
      fresh = await zz.api("/api/cases/" + c.id);
    } catch (error) {
      return;
    }
    upsertCase(fresh);
    renderCase(fresh);
    await loadCandidates(fresh);
  }

  /**
   * 派单 to a worker (ranked, or picked beneath the ranking) or, with `department` given, to a
   * department instead of a worker.
   */
  async function assign(c, worker, picked, department) {
    hideMessage();
    document.querySelectorAll(".dz-assign").forEach((b) => (b.disabled = true));
    try {
      const target = department ? { department: department } : { worker_id: worker.worker_id };
      const updated = await zz.api("/api/cases/" + c.id + "/dispatch", {
        method: "POST",
        json: Object.assign(target, { version: c.version }),
      });
      if (department) $("dz-department").value = "";
      upsertCase(updated);
      renderCase(updated);
      await loadCandidates(updated);
      if (worker && !followsInApp(worker)) showMessage("已派给网格员 " + worker.name + "。" + phoneDuty(worker));
    } catch (error) {
      if (error instanceof zz.ApiError && error.status === 409) {
        const fresh = await zz.api("/api/cases/" + c.id);
        upsertCase(fresh);
        renderCase(fresh);
        await loadCandidates(fresh);
        showMessage(
          fresh.state !== "triaged"
            ? "该案件刚被其他调度员处理（当前状态：" + zz.label("case_state", fresh.state) + "）。"
            : department
              ? department + "：" + zz.errorText(error)
              : // another operator sent him his third case meanwhile (在办 3 件，已达上限, trial AZ
                // M3), or he went off duty: the server says which
                (zz.errorText(error).includes(worker.name) ? "" : "网格员 " + worker.name + "：") +
                zz.errorText(error) + (picked ? "。名单已刷新。" : "。推荐名单已刷新。")
        );
      } else {
        showMessage(zz.errorText(error), "danger");
        document.querySelectorAll(".dz-assign").forEach((b) => (b.disabled = false));
      }
    }
  }

  /** 分流…: the risk level (as registered) and the level that handles it (this one, or below). */
  function openTriage() {
    const c = state.selected;
    if (!c) return;
    fillSelect($("dz-triage-risk"), "risk_level");
    $("dz-triage-risk").value = String(c.risk_level);
    const levels = $("dz-triage-level");
    levels.textContent = "";
    for (let l = LEVEL; l <= 5; l += 1) {
      const o = document.createElement("option");
      o.value = String(l);
      o.textContent = zz.label("handling_level", l) + "办理" + (l === LEVEL ? "（本级）" : "");
      levels.appendChild(o);
    }
    levels.value = String(Math.max(LEVEL, c.handling_level));
    $("dz-act-form").hidden = true;
    $("dz-triage-form").hidden = false;
    $("dz-triage").hidden = true;
  }

  function closeTriage() {
    $("dz-triage-form").hidden = true;
    const c = state.selected;
    $("dz-triage").hidden = !c || !c.allowed_actions.includes("triage") || c.state === "triaged";
  }

  async function triage(event) {
    event.preventDefault();
    const c = state.selected;
    if (!c) return;
    const level = Number($("dz-triage-level").value);
    try {
      const updated = await zz.api("/api/cases/" + c.id + "/actions/triage", {
        method: "POST",
        json: {
          version: c.version,
          note: "分流至" + zz.label("handling_level", level) + "办理",
          params: { risk_level: Number($("dz-triage-risk").value), handling_level: level },
        },
      });
      upsertCase(updated);
      renderCase(updated);
      closeTriage();
      await loadCandidates(updated);
    } catch (error) {
      showMessage(zz.errorText(error), "danger");
    }
  }

  // ------------------------------------------------------------------ live updates

  function onImport(e) {
    const news = zz.importNews(e);
    if (news) zz.toast(news, "info");
    loadQueue();
  }

  /**
   * A 催办 of a case on this desk says so at once, until read (trial AZ S1: it keeps the state,
   * so nothing showed); one a colleague here sent a worker is no superior's, and one's own none.
   */
  function remindedToast(e, c) {
    if (state.me && e.actor_name === state.me.display_name) return;
    const superior = !IN_HANDS.includes(c.state) || c.handling_level !== LEVEL;
    zz.toast(
      (superior ? "上级催办" : "催办") + "：案件 " + c.code + "「" + c.title + "」" + (e.note ? "：" + e.note : "") +
        "（" + e.actor_name + "）",
      "warning",
      { sticky: true }
    );
  }
  const IN_HANDS = ["dispatched", "accepted", "on_site"];

  // A notice may arrive after a later change was already shown (its row is read when it is
  // sent), so the case is read again rather than trusting the notice's states.
  async function onCaseEvent(e) {
    const selected = state.selected !== null && state.selected.id === e.case_id;
    const known = state.cases.some((c) => c.id === e.case_id) || state.results.some((c) => c.id === e.case_id);
    if (!known && !selected && e.action !== "register") return;
    let c;
    try {
      c = await zz.api("/api/cases/" + e.case_id);
    } catch (error) {
      return; // left the scope or the queue: nothing to show
    }
    upsertCase(c);
    if (e.action === "remind" && known) remindedToast(e, c);
    if (state.selected === null || state.selected.id !== c.id) return;
    const before = state.selected.state;
    const version = state.selected.version;
    if (c.version < version) return;
    renderCase(c);
    if (before !== c.state) {
      zz.toast(
        "案件 " + c.code + "：" + zz.label("case_state", c.state) + "（" + (labels.action[e.action] || e.action) +
          "，" + e.actor_name + "）",
        "info"
      );
      loadCandidates(c);
    }
  }

  function onWorker(w) {
    if (w.lat === null || w.lon === null) return;
    if (state.positions[w.id]) {
      state.positions[w.id].lat = w.lat;
      state.positions[w.id].lon = w.lon;
    }
    let moved = false;
    layers.workers.eachLayer(function (layer) {
      if (layer.options && layer.options.workerId === w.id) {
        layer.setLatLng([w.lat, w.lon]);
        moved = true;
      }
    });
    if (!moved && state.assignee && state.assignee.worker_id === w.id) {
      state.positions[w.id] = { lat: w.lat, lon: w.lon, name: w.name };
      drawAssignee();
    }
  }

  // ------------------------------------------------------------------ walk-in registration

  /** A grid worker reports what he found himself (网格员上报); a desk registers a walk-in. */
  /** What a grid worker's report may come through: found on his round, in person, by phone. */
  const WORKER_CHANNELS = ["grid_worker", "walk_in", "phone"];

  function defaultChannel() {
    return isWorker() ? "grid_worker" : "walk_in";
  }

  function isWorker() {
    return state.me !== null && state.me.role === "grid_worker";
  }

  const touch = window.matchMedia("(pointer: coarse)");

  /**
   * 用我的位置 where the user may stand at the spot: a grid worker's form, or any on a phone or
   * tablet. A desk's computer is not where the walk-in's matter happened (and its network
   * position is kilometres off).
   */
  function offerLocate() {
    const shown = isWorker() || touch.matches;
    document.querySelectorAll(".dz-locate-part").forEach((el) => (el.hidden = !shown));
  }

  function fillSelect(select, table, options) {
    select.textContent = "";
    if (options && options.blank) {
      const o = document.createElement("option");
      o.value = "";
      o.textContent = options.blank;
      select.appendChild(o);
    }
    Object.entries(zz.tables[table] || {}).forEach(function ([value, text]) {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = text;
      select.appendChild(o);
    });
  }

  function syncSubcategory() {
    const sub = $("dz-subcategory");
    const table = zz.subtypeTable($("dz-category").value);
    if (table) {
      // no type unless chosen (trial AH: a 井盖缺失 went in as 消防安全隐患, the first entry)
      fillSelect(sub, table, { blank: "请选择（可不选）" });
      sub.value = "";
      sub.disabled = false;
    } else {
      sub.textContent = "";
      const o = document.createElement("option");
      o.value = "";
      o.textContent = "（无）";
      sub.appendChild(o);
      sub.disabled = true;
    }
  }

  function startRegister() {
    if (reported) clearRegisterForm(); // a registered case's photos left unsent are not the next one's
    state.selected = null;
    layers.case.clearLayers();
    layers.cameras.clearLayers();
    layers.workers.clearLayers();
    renderQueue();
    showPanel("register");
    $("dz-register-error").hidden = true;
    locateError("");
    $("dz-locate-note").textContent = "";
    offerLocate();
    state.picking = true;
    $("dz-map-hint").hidden = false;
    map.getContainer().style.cursor = "crosshair";
  }

  // ---- the registration's draft (trial AZ M5) ----
  // What is typed in the form is kept in this tab (sessionStorage) until it is registered or
  // cancelled: a login that ended on 登记 (the login page, and back here) or a reload lost it.
  const DRAFT_FIELDS = ["dz-channel", "dz-external-no", "dz-category", "dz-subcategory", "dz-risk", "dz-title",
    "dz-lon", "dz-lat", "dz-address", "dz-reporter", "dz-phone", "dz-description"];
  const DRAFT_TYPED = ["dz-external-no", "dz-title", "dz-lon", "dz-lat", "dz-address", "dz-reporter", "dz-phone", "dz-description"];

  function registerDraft(values) {
    const key = "zz-draft-register-" + code;
    try {
      if (values === undefined) return JSON.parse(sessionStorage.getItem(key) || "null");
      if (values) sessionStorage.setItem(key, JSON.stringify(values));
      else sessionStorage.removeItem(key);
    } catch (error) {
      // storage refused (a private window): the form is just not kept
    }
    return null;
  }

  /** Keep the form as it is now (nothing typed yet: nothing kept). */
  function keepRegisterDraft() {
    const values = {};
    DRAFT_FIELDS.forEach((id) => (values[id] = $(id).value));
    registerDraft(DRAFT_TYPED.some((id) => values[id].trim()) ? values : null);
  }

  /** The form opened again as it was left, if a draft is kept; whether one was. */
  function restoreRegisterDraft() {
    const values = registerDraft();
    if (!values || typeof values !== "object") return false;
    startRegister();
    $("dz-category").value = values["dz-category"] || $("dz-category").value;
    syncSubcategory();
    DRAFT_FIELDS.forEach(function (id) {
      if (id !== "dz-category" && typeof values[id] === "string") $(id).value = values[id];
    });
    if (!$("dz-channel").value) $("dz-channel").value = defaultChannel(); // a channel not offered
    const lon = readCoordinate("dz-lon", -180, 180);
    const lat = readCoordinate("dz-lat", -90, 90);
    if (lon !== null && lat !== null) {
      setPick(lat, lon);
      map.setView([lat, lon], Math.max(map.getZoom(), 16));
    }
    $("dz-locate-note").textContent = "已恢复未提交的登记内容，请核对后点“登记”";
    checkAddress();
    return true;
  }

  // ---- 地址与位置不符 before 登记 (trial BC) ----
  // The county registered 「盘溪镇老堡村工业园区大门口」 at a point of 华溪镇南河村 and was told nothing.
  // The address and the point are checked as the case will be (POST /api/cases/address-check,
  // the rule of the mark the case gets), when either changes and again at 登记: a mismatch is
  // said with the choice to move the point or to register as is (the case is then marked).
  const addressCheck = { key: "", asked: null, mismatch: null, kept: false, timer: 0 };

  function addressKey() {
    return [$("dz-address").value.trim(), $("dz-lon").value.trim(), $("dz-lat").value.trim()].join("|");
  }

  function showAddressWarning(mismatch) {
    $("dz-address-warning").hidden = !mismatch;
    $("dz-address-warning-text").textContent = mismatch ? "地址写的是" + mismatch.named + "，位置在" + mismatch.placed : "";
  }

  /** The check of the address and point as they are now (asked once per value): its mismatch or null. */
  function checkAddress() {
    clearTimeout(addressCheck.timer);
    const key = addressKey();
    if (key === addressCheck.key && addressCheck.asked) return addressCheck.asked;
    addressCheck.key = key;
    addressCheck.kept = false;
    addressCheck.mismatch = null;
    const address = $("dz-address").value.trim();
    const lon = readCoordinate("dz-lon", -180, 180);
    const lat = readCoordinate("dz-lat", -90, 90);
    if (!address || lon === null || lat === null) {
      showAddressWarning(null);
      addressCheck.asked = Promise.resolve(null);
      return addressCheck.asked;
    }
    addressCheck.asked = zz.api("/api/cases/address-check", { method: "POST", json: { address: address, lon: lon, lat: lat } })
      .then((answer) => answer.address_mismatch, () => null) // no answer: 登记 is not held up by it
      .then(function (mismatch) {
        if (addressCheck.key === key) {
          addressCheck.mismatch = mismatch;
          showAddressWarning(mismatch);
        }
        return mismatch;
      });
    return addressCheck.asked;
  }

  /** Check again once the typing pauses. */
  function checkAddressSoon() {
    clearTimeout(addressCheck.timer);
    addressCheck.timer = setTimeout(checkAddress, 400);
  }

  /** 重新点选位置: the map takes the next click as the point (the check follows it). */
  function moveThePoint() {
    state.picking = true;
    $("dz-map-hint").hidden = false;
    map.getContainer().style.cursor = "crosshair";
    $("dz-register-error").hidden = true;
    $("dz-locate-note").textContent = "请在地图上点选事发位置";
    const lon = readCoordinate("dz-lon", -180, 180);
    const lat = readCoordinate("dz-lat", -90, 90);
    if (lon !== null && lat !== null) map.setView([lat, lon], Math.max(map.getZoom(), 15));
  }

  /** 按现位置登记: registered where it is, marked 地址与位置不符. */
  function keepThePoint() {
    addressCheck.kept = true;
    $("dz-register").requestSubmit();
  }

  /** The registration form empty again: its point, fields and notes, the channel the desk's. */
  function clearRegisterForm() {
    registerDraft(null);
    layers.pick.clearLayers();
    clearTimeout(addressCheck.timer);
    addressCheck.key = "";
    addressCheck.asked = null;
    showAddressWarning(null);
    $("dz-register").reset();
    $("dz-channel").value = defaultChannel();
    $("dz-locate-note").textContent = "";
    $("dz-register-error").hidden = true;
    syncSubcategory();
    offerReportPhotos();
  }

  // 现场照片 of a 上报 (s49: a worker reporting a hazard could not send its photo): the case is
  // registered as JSON, its photos sent right after it (POST /api/cases/{id}/report-photos), kept
  // with its 上报. A photo refused or a link lost keeps the case and its text: the form says so,
  // and its button sends the photos again, not the case.
  let reportPhotos = [];
  let reported = null; // the case registered whose photos were not kept

  /** The form's 现场照片 field, empty (before its error line). */
  function offerReportPhotos() {
    let host = $("dz-photos-host");
    if (!host) {
      host = document.createElement("div");
      host.id = "dz-photos-host";
      host.className = "mt-2";
      $("dz-register-error").before(host);
    }
    host.textContent = "";
    reportPhotos = zz.photoField(host, "dz-photos", "dz-picked");
    reported = null;
    $("dz-register-submit").textContent = "登记";
  }

  /** Send the photos of the 上报 `created`, their progress on 登记; false (said) if not kept. */
  async function sentReportPhotos(created) {
    const form = new FormData();
    reportPhotos.forEach((file) => form.append("photos", file, file.name));
    try {
      await zz.sendPhotos("/api/cases/" + created.id + "/report-photos", form, $("dz-register-submit"));
      reported = null;
      return true;
    } catch (err) {
      reported = created;
      const error = $("dz-register-error");
      error.textContent = "";
      error.append(
        "已上报（" + created.code + "），但照片未上传：" + zz.errorText(err) +
          (err instanceof zz.ApiError ? "。可移除或更换照片后点“上传照片”，或" : "。网络恢复后请点“上传照片”，或")
      );
      const open = document.createElement("a");
      open.href = "/cases/" + created.id;
      open.id = "dz-reported-link";
      open.textContent = "不附照片，查看案件";
      error.append(open);
      error.hidden = false;
      $("dz-register-submit").textContent = "上传照片";
      return false;
    }
  }

  function stopPicking() {
    state.picking = false;
    $("dz-map-hint").hidden = true;
    map.getContainer().style.cursor = "";
  }

  function setPick(lat, lon) {
    layers.pick.clearLayers();
    L.circleMarker([lat, lon], {
      radius: 8,
      color: "#0d6efd",
      weight: 3,
      fillColor: "#fff",
      fillOpacity: 0.9,
    }).addTo(layers.pick);
  }

  /** The form's point: its coordinates typed in for the user, and its marker on the map. */
  function setPoint(lat, lon) {
    $("dz-lon").value = lon.toFixed(6);
    $("dz-lat").value = lat.toFixed(6);
    setPick(lat, lon);
    keepRegisterDraft();
    checkAddress();
  }

  function onMapClick(event) {
    if (!state.picking) return;
    setPoint(event.latlng.lat, event.latlng.lng);
  }

  function locateError(text) {
    $("dz-locate-error").textContent = text || "";
    $("dz-locate-error").hidden = !text;
  }

  /**
   * 用我的位置: the browser's position as the case's point, the way 上报位置 on the command view
   * sends it. A phone gives WGS84, which the platform takes as CGCS2000 unchanged (geo/crs.py
   * to_cgcs2000: a few centimetres apart; the map draws in CGCS2000 too), so no conversion.
   */
  function locateMe() {
    locateError("");
    $("dz-locate-note").textContent = "";
    zz.currentPosition($("dz-locate"), function (position) {
      const lat = position.coords.latitude;
      const lon = position.coords.longitude;
      setPoint(lat, lon);
      map.setView([lat, lon], Math.max(map.getZoom(), 16));
      const accuracy = Math.round(position.coords.accuracy || 0);
      // a coarse fix (a desktop's network position, indoors) may put the case in the next grid
      $("dz-locate-note").textContent = accuracy > 500
        ? "已取得您的位置，但精度较低（约 " + accuracy + " 米），请在地图上核对或点选事发位置"
        : "已取得您的位置" + (accuracy ? "（精度约 " + accuracy + " 米）" : "");
    }, locateError, "在地图上点选事发位置");
  }

  function readCoordinate(id, lo, hi) {
    const value = Number(String($(id).value).trim());
    return $(id).value.trim() !== "" && Number.isFinite(value) && value >= lo && value <= hi ? value : null;
  }

  async function submitRegister(event) {
    event.preventDefault();
    const error = $("dz-register-error");
    if (reported) {
      // the case is registered: its photos only, again
      $("dz-register-submit").disabled = true;
      const created = reported;
      if (!reportPhotos.length || (await sentReportPhotos(created))) await registered(created);
      else $("dz-register-submit").disabled = false;
      return;
    }
    error.hidden = true;
    const lon = readCoordinate("dz-lon", -180, 180);
    const lat = readCoordinate("dz-lat", -90, 90);
    const title = $("dz-title").value.trim();
    const problems = [];
    if (lon === null || lat === null) problems.push("请在地图上点选位置或输入有效的经纬度");
    if (!title) problems.push("请填写事项标题");
    if (problems.length) {
      error.textContent = problems.join("；");
      error.hidden = false;
      return;
    }
    $("dz-register-submit").disabled = true;
    const mismatch = await checkAddress();
    $("dz-register-submit").disabled = false;
    if (mismatch && !addressCheck.kept) {
      // said before, not after: the operator chooses (trial BC)
      error.textContent = "地址与位置不符：请重新点选位置，或点“按现位置登记”";
      error.hidden = false;
      // the warning with its choice in view: focusing the button alone scrolled it under a
      // phone's map (sticky on top; the warning's scroll margin clears it, dispatch.css)
      $("dz-address-warning").scrollIntoView({ block: "nearest" });
      $("dz-address-keep").focus({ preventScroll: true });
      return;
    }
    const body = {
      channel: $("dz-channel").value,
      external_no: $("dz-external-no").value.trim() || null,
      category: $("dz-category").value,
      subcategory: $("dz-subcategory").value || null,
      title: title,
      lon: lon,
      lat: lat,
      risk_level: Number($("dz-risk").value),
      address: $("dz-address").value.trim() || null,
      reporter_name: $("dz-reporter").value.trim() || null,
      reporter_phone: $("dz-phone").value.trim() || null,
      description: $("dz-description").value.trim() || null,
    };
    $("dz-register-submit").disabled = true;
    let leaving = false;
    try {
      const created = await zz.api("/api/cases", { method: "POST", json: body });
      if (reportPhotos.length && !(await sentReportPhotos(created))) return; // the case kept, said
      leaving = await registered(created);
    } catch (err) {
      error.textContent =
        err instanceof zz.ApiError && err.status === 422
          ? "登记失败：位置不在任何辖区内或输入有误，请检查。"
          : err instanceof zz.ApiError && err.status === 403
            ? "登记失败：该位置不在您的辖区内。"
            : !(err instanceof zz.ApiError) // no answer: the network (trial AZ m6)
              ? "网络未连接：已填写的内容已保留，恢复网络后请再点“登记”"
              : "登记失败：" + zz.errorText(err);
      error.hidden = false;
    } finally {
      $("dz-register-submit").disabled = leaving;
    }
  }

  /** After `created` is registered (with its photos): true when the page is left for it. */
  async function registered(created) {
    const photos = reportPhotos.length;
    if (isWorker()) {
      // the desk is not his page: he follows his report on its own page (its code to give the
      // reporter, its state, its photos, the way back to 我的任务 in its breadcrumb); no second
      // tap meanwhile
      registerDraft(null);
      window.location.assign("/cases/" + created.id);
      return true;
    }
    stopPicking();
    clearRegisterForm();
    upsertCase(created);
    zz.toast("已登记：" + created.code + (photos ? "（附现场照片 " + photos + " 张）" : ""), "success");
    await selectCase(created.id);
    if (created.linked_to) {
      const box = $("dz-repeat");
      box.hidden = false;
      showOriginal(box, "系统判定为重复反映，已关联原案件 ", created.linked_to, "，原案件风险等级已上调。").id =
        "dz-repeat-link";
    }
    return false;
  }

  function onCoordinatesTyped() {
    const lon = readCoordinate("dz-lon", -180, 180);
    const lat = readCoordinate("dz-lat", -90, 90);
    if (lon !== null && lat !== null) {
      setPick(lat, lon);
      map.setView([lat, lon], Math.max(map.getZoom(), 16));
    }
    checkAddress();
  }

  // ------------------------------------------------------------------ start

  // ------------------------------------------------------------------ the map's units and grids

  // the names of the unit's children by code (a county's townships): whom a 交办 went to
  const childNames = new Map();

  /** The unit's outline and its children: villages, or a village's grids. */
  function readOutline() {
    return zz.api("/api/console/" + code + "/outline");
  }

  /** The unit's outline (dashed) and its villages (行政区划) with their names (`early`: its read
   * on opening, started beside /api/me). */
  async function fitUnit(early) {
    let fc;
    try {
      fc = await (early || readOutline());
    } catch (error) {
      return; // the outlines are a convenience: the queue works without them
    }
    const unit = fc.features.filter((f) => f.properties.role === "unit");
    const kids = fc.features.filter((f) => f.properties.role === "child");
    grid.named = new Set(kids.filter((f) => f.properties.kind === "grid").map((f) => f.properties.code));
    kids.forEach((f) => childNames.set(f.properties.code, f.properties.name));
    if (unit.length) $("dz-unit-name").textContent = unit[0].properties.name;
    const villages = L.geoJSON({ type: "FeatureCollection", features: kids }, {
      pane: "dz-units",
      style: { color: "#3a6ea5", weight: 1.5, opacity: 0.9, fill: false },
      interactive: false,
    });
    layers.villages.addLayer(villages);
    layers.villages.addLayer(zz.nameLabels(villages, "dz-label dz-label-village", "dz-names"));
    declutterLabels();
    const outline = L.geoJSON({ type: "FeatureCollection", features: unit }, {
      pane: "dz-units",
      style: { color: "#3a6ea5", weight: 2.5, dashArray: "6 4", fill: true, fillOpacity: 0.03 },
      interactive: false,
    }).addTo(layers.unit);
    if (!state.selected && unit.length) map.fitBounds(outline.getBounds());
  }

  // named: the grids already named as the unit's children (a village's), not named twice
  const grid = { def: LAYER_DEFS.find((d) => d.id === "grids"), tiles: null, labels: false, reads: 0, named: new Set() };

  function bboxParam(bounds) {
    return [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((v) => v.toFixed(5))
      .join(",");
  }

  /** The grids as vector tiles in their zoom range; their names from a zoom on, in view. */
  async function updateGrids() {
    const def = grid.def;
    if (!def) return;
    const z = map.getZoom();
    const inRange = z >= def.min_zoom && z <= def.max_zoom;
    if (inRange && !grid.tiles) {
      grid.tiles = zz.vectorTiles(def, false);
      layers.grids.addLayer(grid.tiles);
    } else if (!inRange && grid.tiles) {
      layers.grids.clearLayers();
      grid.tiles = null;
    }
    const read = ++grid.reads;
    if (!grid.labels || z < GRID_LABEL_ZOOM) {
      layers.gridLabels.clearLayers();
      return;
    }
    let fc;
    try {
      fc = await zz.api(def.items + "?limit=500&bbox=" + bboxParam(map.getBounds().pad(0.2)));
    } catch (error) {
      return; // names are a convenience: the outlines stay
    }
    if (read !== grid.reads) return;
    layers.gridLabels.clearLayers();
    const unnamed = fc.features.filter((f) => !grid.named.has(f.properties.code));
    layers.gridLabels.addLayer(zz.nameLabels(L.geoJSON({ type: "FeatureCollection", features: unnamed }), "dz-label dz-label-grid", "dz-names"));
    declutterLabels();
  }

  const LABEL_GAP = 2; // px between two names a phone shows

  /**
   * On a phone the unit fits the map a zoom lower than on a desktop and its names (a village's
   * grids, a township's villages, the grids from zoom 15) run into one another, the trial's
   * 复安第5网格 over 复安第6网格. There each name that would overlap one already shown (the
   * units' first, then the grids', in the order drawn) is hidden until a zoom where it fits. Only
   * the names in view count: one outside the map hides nothing. A desktop keeps every name.
   */
  function declutterLabels() {
    const spans = Array.from(map.getContainer().querySelectorAll(".dz-label-village span"))
      .concat(Array.from(map.getContainer().querySelectorAll(".dz-label-grid span")));
    spans.forEach((span) => span.classList.remove("dz-label-hidden"));
    if (!phone.matches) return;
    const view = map.getContainer().getBoundingClientRect();
    const shown = [];
    spans.forEach(function (span) {
      const r = span.getBoundingClientRect();
      const inView = r.width > 0 && r.right > view.left && r.left < view.right && r.bottom > view.top && r.top < view.bottom;
      if (!inView) return;
      const collides = shown.some(
        (o) => r.left < o.right + LABEL_GAP && o.left < r.right + LABEL_GAP && r.top < o.bottom + LABEL_GAP && o.top < r.bottom + LABEL_GAP
      );
      if (collides) span.classList.add("dz-label-hidden");
      else shown.push(r);
    });
  }

  async function setupGrids() {
    const def = grid.def;
    if (!def) return;
    let me;
    try {
      me = await zz.me();
    } catch (error) {
      return;
    }
    if (!def.feature_roles.includes(me.role) && !def.aggregate_roles.includes(me.role)) return;
    grid.labels = def.feature_roles.includes(me.role);
    let timer = null;
    map.on("zoomend moveend", function () {
      clearTimeout(timer);
      timer = setTimeout(updateGrids, 250);
    });
    L.control
      .layers(null, { "村（社区）界线与名称": layers.villages, "网格界线与名称": layers.grids }, { collapsed: false, position: "bottomright" })
      .addTo(map);
    map.on("overlayadd overlayremove", function (event) {
      if (event.layer === layers.grids) {
        if (event.type === "overlayadd") layers.gridLabels.addTo(map);
        else map.removeLayer(layers.gridLabels);
      }
    });
    updateGrids();
  }

  /**
   * Another unit than the account's: the refusal card alone, with its link back (trial AQ m6),
   * and nothing of the desk's reads (trial AS m3: seven red 加载失败 toasts stacked over the card,
   * and the breadcrumb said 本级 of a unit that is not the account's). The desk's lists and the
   * unit's outline are asked beside /api/me (s49), not once it has answered: drawn once the
   * account's scope holds the unit, dropped otherwise (the API refuses them too, unsaid).
   */
  async function init() {
    const early = { stages: readStages(), outline: readOutline() };
    Object.values(early).forEach((r) => r.catch(() => {})); // said where drawn (loadQueue, fitUnit)
    if (!(await zz.guardUnit(code))) {
      refused();
      return;
    }
    start(early);
  }

  function refused(message) {
    if (message) zz.guardUnit(code, message);
    const crumb = $("dz-unit-name");
    if (crumb) crumb.closest("li").remove();
  }

  function start(early) {
    // the unit fitted in quarter zoom steps, as on 指挥调度: a village fills a phone's map
    map.options.zoomSnap = 0.25;
    map.options.zoomDelta = 0.5;
    document.querySelectorAll("[data-filter]").forEach(function (button) {
      if (button.dataset.marked !== undefined && !MARKED.includes(button.dataset.filter)) button.hidden = true;
      button.addEventListener("click", function () {
        document.querySelectorAll("[data-filter]").forEach((b) => b.classList.remove("active"));
        button.classList.add("active");
        state.filter = button.dataset.filter;
        renderQueue();
      });
    });
    // 统一登记: a walk-in by default (a grid worker's own report once his account is read), or a
    // call, a 12345 or 110 work order (with its number) …
    fillSelect($("dz-channel"), "channel");
    $("dz-channel").value = defaultChannel();
    fillSelect($("dz-category"), "category");
    $("dz-category").value = "dispute";
    syncSubcategory();
    $("dz-category").addEventListener("change", syncSubcategory);
    fillSelect($("dz-risk"), "risk_level");
    $("dz-risk").value = "4";
    $("dz-new").addEventListener("click", startRegister);
    $("dz-register").addEventListener("submit", submitRegister);
    offerReportPhotos();
    $("dz-register").addEventListener("input", keepRegisterDraft);
    $("dz-register").addEventListener("change", keepRegisterDraft);
    $("dz-register-cancel").addEventListener("click", cancelRegister);
    $("dz-locate").addEventListener("click", locateMe);
    $("dz-lon").addEventListener("change", onCoordinatesTyped);
    $("dz-lat").addEventListener("change", onCoordinatesTyped);
    $("dz-address").addEventListener("input", checkAddressSoon);
    $("dz-address").addEventListener("change", checkAddress);
    $("dz-address-move").addEventListener("click", moveThePoint);
    $("dz-address-keep").addEventListener("click", keepThePoint);
    $("dz-triage").addEventListener("click", openTriage);
    $("dz-triage-form").addEventListener("submit", triage);
    $("dz-triage-cancel").addEventListener("click", closeTriage);
    $("dz-cameras-more").addEventListener("click", function () {
      foldCameras($("dz-cameras-more").getAttribute("aria-expanded") !== "true");
    });
    document.querySelectorAll("[data-act]").forEach(function (b) {
      b.addEventListener("click", () => openAct(b.dataset.act));
    });
    $("dz-act-form").addEventListener("submit", submitAct);
    $("dz-act-cancel").addEventListener("click", function () {
      $("dz-act-form").hidden = true;
    });
    const satisfaction = $("dz-closing-satisfaction");
    satisfaction.add(new Option("未评（不填）", ""));
    Object.entries(zz.tables.satisfaction).reverse().forEach(function ([value, text]) {
      satisfaction.add(new Option(text, value));
    });
    $("dz-closing-form").addEventListener("submit", submitClosing);
    $("dz-closing-cancel").addEventListener("click", function () {
      $("dz-closing-form").hidden = true;
    });
    map.on("click", onMapClick);
    // names placed anew after each zoom or pan (a resize moves the map too): their collisions too
    map.on("moveend", declutterLabels);
    phone.addEventListener("change", declutterLabels);
    map.on("overlayadd", () => setTimeout(declutterLabels, 0)); // after the grids' names follow
    setInterval(renderQueue, 60000);
    window.zzDispatchLive = zz.live({ case_event: onCaseEvent, worker: onWorker, import: onImport });
    $("dz-search").addEventListener("submit", search);
    $("dz-search-clear").addEventListener("click", clearSearch);
    $("dz-supervision-notice-open").addEventListener("click", function () {
      if (state.searching) clearSearch();
      document.querySelector('[data-filter="under_supervision"]').click();
    });
    $("dz-search-input").addEventListener("search", function () {
      if (!$("dz-search-input").value.trim() && state.searching) clearSearch();
    });
    fitUnit(early.outline).then(setupGrids); // the grids' names once the unit's own are known
    const params = new URLSearchParams(window.location.search);
    const wanted = Number(params.get("case"));
    Promise.all([loadQueue(early.stages), readMe()]).then(function () {
      if (restoreRegisterDraft()) return; // what was being registered comes first (trial AZ M5)
      if (wanted > 0) selectCase(wanted);
      else if (params.get("q")) {
        // 数据导入's 查看导入的案件: the search filled in and run
        $("dz-search-input").value = params.get("q");
        $("dz-search").requestSubmit();
      } else if (params.get("new") === "1" && state.me && REGISTRARS.includes(state.me.role)) {
        // 上报事件 on a grid worker's 我的任务: the form at once
        startRegister();
      }
    });
  }

  /** 外辖区登记尝试 on the persons here (trial AW M7, layers/cross_scope.py): counted on the
   *  特殊人群走访 link, listed over the 走访 tab it opens. */
  async function markCrossScope() {
    let body;
    try {
      body = await zz.api("/api/persons/cross-scope-notices");
    } catch (error) {
      return; // the 走访 tab reads them again
    }
    if (!body.total) return;
    const badge = document.createElement("span");
    badge.className = "badge text-bg-danger ms-1";
    badge.id = "dz-cross-scope-count";
    badge.textContent = "外辖区登记 " + body.total;
    $("dz-visits-link").title = "近 30 日其他辖区登记本辖区在册人员的尝试 " + body.total + " 次";
    $("dz-visits-link").appendChild(badge);
  }

  /** The account: a grid worker's form says 上报事件 and defaults to 网格员上报. */
  async function readMe() {
    try {
      state.me = await zz.me();
    } catch (error) {
      return; // the top bar says why; the form keeps its desk defaults
    }
    offerLocate();
    // the township's desk follows its persons' visits on the command page (trial AG: no way there)
    $("dz-visits-link").hidden = !state.me.sees_persons || isWorker();
    if (!$("dz-visits-link").hidden) markCrossScope();
    // 研判分析 and 大屏模式 as on 指挥调度 (trial AM N12), not a grid worker's tools there either
    $("zz-trends-link").hidden = isWorker();
    $("zz-screen-link").hidden = isWorker();
    if (!isWorker()) return;
    // his own channels only (layers/workflow.py WORKER_CHANNELS; trial AW m4: 上级交办 was offered)
    Array.from($("dz-channel").options).forEach(function (o) {
      if (!WORKER_CHANNELS.includes(o.value)) o.remove();
    });
    $("dz-channel").value = defaultChannel();
    $("dz-register-title").textContent = "上报事件（来源：网格员上报）";
  }

  /** 取消: a grid worker sent here by 上报事件 goes back to 我的任务; a desk to its queue. */
  function cancelRegister() {
    stopPicking();
    clearRegisterForm(); // a draft cancelled is not the next registration's (trial Z: a 来信 took
    // the cancelled 12345 order's point, 子类 and number, and was linked as its repeat)
    if (isWorker() && new URLSearchParams(window.location.search).get("new") === "1") {
      window.location.assign("/console/" + code);
      return;
    }
    showPanel("placeholder");
  }

  // 批量交办 (bulk_handover.js, trial AZ M9) boxes the queue's rows from the desk's cases
  window.zzDispatchDesk = {
    level: LEVEL,
    cases: () => state.cases,
    filter: () => state.filter,
    selected: () => state.selected,
    childNames: () => childNames,
    reload: loadQueue,
    refreshSelected: refreshSelected,
  };
  init();
})();
