// 案件详情 (/cases/{id}): the case (一案一码), its event timeline, the reporter (masked by the
// server), repeats, dispatches and the legal route, and the actions its state allows now.
"use strict";
(function () {
  const caseId = Number(document.body.dataset.caseId);
  const labels = JSON.parse(document.getElementById("zz-workflow-labels").textContent);
  const $ = (id) => document.getElementById(id);
  const SATISFACTION = zz.tables.satisfaction;
  const page = { case: null, me: null, action: null };

  const actionLabel = (a) => labels.action[a] || a;
  /** An import's own note (stored in English) in Chinese; an operator's note as written. */
  const noteText = (n) => (n && labels.note[n]) || n;

  /** Level of a 12-digit division code: 1 province … 5 village. */
  function levelOf(code) {
    const ends = [2, 4, 6, 9];
    for (let i = 0; i < ends.length; i += 1) {
      if (/^0+$/.test(code.slice(ends[i]))) return i + 1;
    }
    return 5;
  }

  function fail(text) {
    const box = $("cz-error");
    box.textContent = text;
    box.hidden = false;
  }

  function deadlineText(iso, open) {
    if (!iso) return "—";
    if (!open) return zz.esc(zz.fmtTime(iso));
    const cd = zz.countdown(iso);
    return zz.esc(zz.fmtTime(iso)) + '（<span class="' + (cd.overdue ? "cz-overdue" : "") + '">' +
      zz.esc(cd.text) + "</span>）";
  }

  const CONTACTED = ["accepted", "on_site", "resolved", "legal_route", "evaluated", "visited", "archived"];

  /**
   * 联系时限: a countdown until the handler takes the case (受理) or is on site, then when that was.
   * A case sent back (退回, 撤回派单, 上报) after a 受理 was contacted all the same: it says when
   * and that it went back, not 超期 (trial AQ M3: 超期 9小时57分 though 县住建局 受理'd in time).
   */
  function contactText(c, events) {
    const times = (acts) => events.filter((e) => acts.includes(e.action)).map((e) => Date.parse(e.at));
    if (!CONTACTED.includes(c.state)) {
      const first = times(["accept", "arrive"]).sort((a, b) => a - b)[0];
      if (first === undefined || !c.contact_deadline) return deadlineText(c.contact_deadline, !c.closed_at);
      const back = events.filter((e) => ["return", "recall", "escalate", "hand_down"].includes(e.action) && Date.parse(e.at) >= first).pop();
      return contactMet(c, first, back ? "；" + zz.label("case_action_done", back.action) : "");
    }
    const sent = Math.max(0, ...times(["dispatch"])); // the latest dispatch: a returned one starts again
    const met = times(["accept", "arrive"]).filter((t) => t >= sent).sort((a, b) => a - b)[0];
    if (met === undefined || !c.contact_deadline) return deadlineText(c.contact_deadline, false);
    return contactMet(c, met, "");
  }

  /** 2026-12-06 03:17（已于 2026-12-05 08:28 受理，按时；已退回）. */
  function contactMet(c, met, after) {
    const late = met > Date.parse(c.contact_deadline);
    return zz.esc(zz.fmtTime(c.contact_deadline)) + '（<span class="' + (late ? "cz-overdue" : "") + '">' +
      zz.esc("已于 " + zz.fmtTime(new Date(met).toISOString()) + " 受理，" + (late ? "超过时限" : "按时") + after) + "</span>）";
  }

  function renderCase(c) {
    page.case = c;
    document.title = c.code + " · 案件详情";
    const risk = $("cz-risk");
    risk.textContent = zz.label("risk_level", c.risk_level);
    risk.style.background = zz.riskColor(c.risk_level);
    $("cz-title").textContent = c.title;
    $("cz-code").textContent = c.code;
    zz.stateBadge($("cz-state"), c.state);
    $("cz-category").textContent = zz.categoryLabel(c.category, c.subcategory);
    $("cz-channel").textContent = zz.label("channel", c.channel) + (c.external_no && !c.external_no_made ? "（" + c.external_no + "）" : "");
    $("cz-level").textContent = zz.label("handling_level", c.handling_level);
    $("cz-reported").textContent = zz.fmtTime(c.reported_at);
    const open = !c.closed_at;
    $("cz-deadline").innerHTML = c.deadline || c.state !== "legal_route"
      ? deadlineText(c.deadline, open)
      : '<span class="text-muted">法治化途径中，不计办理时限</span>';
    const extension = extensionText(c.extension);
    if (extension) $("cz-deadline").insertAdjacentHTML("beforeend", '<div class="small" id="cz-extension">' + zz.esc(extension) + "</div>");
    document.querySelectorAll(".cz-supervised").forEach((node) => (node.hidden = !c.supervision_deadline));
    $("cz-supervision").innerHTML = deadlineText(c.supervision_deadline, open);
    $("cz-address").textContent = c.address || "地址未登记"; // and where, once the detail is read
    $("cz-location").textContent = c.lon !== null ? c.lon.toFixed(6) + ", " + c.lat.toFixed(6) : "未定位";
    // the address names another township than the point's (trial AX M4): one of them is wrong
    const elsewhere = c.address_mismatch;
    document.querySelectorAll(".cz-address-mismatch").forEach((node) => (node.hidden = !elsewhere));
    $("cz-address-mismatch").textContent = elsewhere ? elsewhere.text + "，请核对地址或点位" : "";
    renderReminders(c);
    renderSupervision(c);
    $("cz-description").textContent = c.description || "—";
    // read in clear on this page already (audited): kept while the reader may still read it
    const clear = page.clear || { reporter_name: c.reporter_name, reporter_phone: c.reporter_phone };
    $("cz-reporter-name").textContent = clear.reporter_name || "（未留）";
    $("cz-reporter-phone").textContent = clear.reporter_phone || "（未留）";
    $("cz-reporter-name").dataset.masked = String(!page.clear);
    // nothing to unmask without a reporter: no word of masking, no unmask form (trial AH N4)
    page.noReporter = !c.reporter_name && !c.reporter_phone;
    if (page.noReporter) {
      $("cz-masked-note").hidden = true;
      $("cz-unmask").hidden = true;
    }
  }

  /**
   * The 催办 standing on an open case, each with what was said, by whom and when, as the desk's
   * case panel lists them (the API gave them; the page did not show them).
   */
  function renderReminders(c) {
    const reminders = !c.closed_at ? c.reminders || [] : [];
    const box = $("cz-reminders");
    box.hidden = !reminders.length;
    box.replaceChildren(...reminders.map(function (r) {
      const div = document.createElement("div");
      div.className = "cz-reminder";
      const head = document.createElement("strong");
      head.textContent = "催办：";
      div.append(head, [r.note ? "催办意见：" + r.note : "未写说明", r.by + "于 " + zz.fmtTime(r.at) + " 催办"].join("；"));
      return div;
    }));
  }

  /**
   * 督办: a superior's 督办 standing on the open case — the 督办时限, the 督办意见, who and when —
   * and the 督办回复 sent since, or that one is awaited, as the township's desk shows it; a
   * department holding the case's open dispatch reads it here too, where it replies (closing
   * s44 p1: only its desk said so).
   */
  function renderSupervision(c) {
    const sup = !c.closed_at && c.latest ? c.latest.supervised : null;
    const box = $("cz-supervision-banner");
    box.hidden = !sup;
    if (!sup) {
      box.replaceChildren();
      return;
    }
    const head = document.createElement("strong");
    head.textContent = "督办：";
    const said = document.createElement("div");
    said.className = "cz-supervision-said";
    said.append(head, [
      "督办时限 " + zz.fmtTime((sup.payload && sup.payload.deadline) || c.supervision_deadline),
      sup.note ? "督办意见：" + sup.note : "未写督办意见",
      sup.actor_name + "于 " + zz.fmtTime(sup.at) + " 督办",
    ].join("；"));
    const replied = c.latest.replied;
    const reply = document.createElement("div");
    reply.className = "cz-supervision-reply";
    reply.textContent = replied
      ? "督办回复：" + (replied.note || "") + "；" + replied.actor_name + "于 " + zz.fmtTime(replied.at) + " 回复"
      : (c.allowed_actions || []).includes("supervision_reply")
        ? "尚未回复：请办理后用“督办回复”报送办理情况。"
        : "尚未督办回复。";
    box.replaceChildren(said, reply);
  }

  /**
   * The 申请延期 of the case's current round under its 办结时限 (trial AX S5): 待审延期 while it
   * waits, then whether it was approved or refused; "" without one.
   */
  function extensionText(x) {
    if (!x) return "";
    const asked = x.requested_by + " 申请延期至 " + zz.fmtTime(x.requested) + "，理由：" + x.reason;
    if (x.status === "pending") return "待审延期：" + asked;
    if (x.status === "approved") return zz.approvedExtension(x);
    return "延期申请已驳回（" + x.decided_by + "）：" + (x.note || "");
  }

  /** What a 延期 event says in the timeline (申请延期至 …，理由 …; 已批准延期至 …; 驳回延期：…). */
  function extensionEvent(e) {
    const p = e.payload || {};
    if (e.action === "extension_request") return ["申请延期至 " + zz.fmtTime(p.deadline) + "，理由：" + (e.note || "")];
    if (e.action === "extension_approve") return ["已批准延期至 " + zz.fmtTime(p.deadline) + "（原办结时限 " + zz.fmtTime(p.previous) + "）", e.note];
    return ["驳回延期：" + (e.note || "")];
  }

  /**
   * Each time limit an event moved, with its time before and after and why (trial BA M4):
   * 「办结时限 2026-12-08 15:44 → 2026-12-20 18:00（来源系统的办理时限有变）」.
   */
  function limitChanges(p) {
    const LIMITS = { contact_deadline: "联系时限", deadline: "办结时限" };
    const shown = (iso) => (iso ? zz.fmtTime(iso) : "无");
    return (p.deadline_changes || []).map((c) => (LIMITS[c.limit] || c.limit) + " " + shown(c.from) + " → " + shown(c.to) + "（" + c.why + "）");
  }

  /** 乡镇（街道）级 → 县级: where a 上报 or a 交办 moved the case (trial AH S1). */
  function moveText(p) {
    if (!p.from_level || !p.to_level) return "";
    // a 交办 names the unit it went to (县级 → 华溪镇（乡镇（街道）级）, trial BC), where its event says it
    const to = zz.label("handling_level", p.to_level);
    const said = zz.label("handling_level", p.from_level) + " → " + (p.unit_name ? p.unit_name + "（" + to + "）" : to);
    // the level that acted, when above the one that held the case (the county's 上报 of a township's case)
    return p.by_level && p.by_level !== p.from_level ? said + "（由" + zz.label("handling_level", p.by_level) + "发起）" : said;
  }

  /**
   * What a 到场 says of where it was registered (trial AZ M4): 「到场位置距案件 35 米」 from the
   * phone's fix, 「未获取位置」 without one; nothing for an arrival recorded before.
   */
  function arrivalText(e) {
    const p = e.payload || {};
    if (e.action !== "arrive" || p.located === undefined) return "";
    if (!p.located) return "未获取位置";
    if (p.distance_m === null || p.distance_m === undefined) return "已记录到场位置";
    const far = p.distance_m >= 1000 ? (p.distance_m / 1000).toFixed(1) + " 公里" : p.distance_m + " 米";
    return "到场位置距案件 " + far;
  }


  function renderTimeline(events, photos) {
    const tbody = $("cz-timeline").querySelector("tbody");
    tbody.textContent = "";
    events.forEach(function (e) {
      const tr = document.createElement("tr");
      tr.dataset.action = e.action;
      const change =
        e.from_state && e.to_state && e.from_state !== e.to_state
          ? zz.esc(zz.label("case_state", e.from_state)) + " → " + zz.esc(zz.label("case_state", e.to_state))
          : e.to_state
            ? zz.esc(zz.label("case_state", e.to_state))
            : "";
      const extra = [];
      const p = e.payload || {};
      if (e.action === "escalate" || e.action === "hand_down") extra.push(moveText(p));
      // a superior giving it to a bureau handles it from then on (trial AX S1)
      if (e.action === "dispatch" && p.to_level) extra.push("改由" + zz.label("handling_level", p.to_level) + "办理（" + moveText(p) + "）");
      // for whom (trial AP m4): the worker sent to, and a 受理 a dispatcher registered for him
      if (e.assignee_name) extra.push("派单至" + e.assignee_name);
      if (e.on_behalf_of) extra.push("代" + e.on_behalf_of + "登记");
      extra.push(arrivalText(e));
      if (p.outcome) extra.push(labels.outcome[p.outcome] || p.outcome);
      if (p.route) extra.push("途径：" + (labels.legal_route[p.route] || p.route));
      // each department with what the 吹哨 asked of it, where it was asked (trial AZ m7)
      if (p.departments) extra.push("吹哨部门：" + p.departments.map((d) => (p.asks && p.asks[d] ? d + "（" + p.asks[d] + "）" : d)).join("、"));
      // the department the source (a 12345 platform) sent it to (trial AX S4)
      if (e.action === "import" && p.department) extra.push("来源承办单位：" + p.department);
      // the 办结时限 an imported order came with (trial BA M4); a later file's change says its own
      if (e.action === "import" && p.time_limit && !p.deadline_changes && !p.deadline_from) extra.push("办结时限 " + zz.fmtTime(p.time_limit) + "（来源系统的办理时限）");
      // the 督办时限 set with it, not only in the header (trial AU m6)
      if (e.action === "supervise" && p.deadline) extra.push("督办时限：" + zz.fmtTime(p.deadline));
      if (p.satisfaction) extra.push("满意度：" + (SATISFACTION[p.satisfaction] || p.satisfaction));
      extra.push(...limitChanges(p));
      if (p.risk_from && p.risk_to && p.risk_from !== p.risk_to) {
        const short = (level) => zz.label("risk_level", level).replace(/（.*）/, "");
        extra.push("风险等级：" + short(p.risk_from) + " → " + short(p.risk_to));
      }
      // a 延期 says its dates with its reason (trial AX S5)
      const said = e.action.startsWith("extension_") ? extensionEvent(e) : [noteText(e.note)].concat(extra);
      tr.innerHTML =
        "<td>" + zz.esc(zz.fmtTime(e.at)) + "</td><td>" + zz.esc(actionLabel(e.action)) + "</td><td>" +
        zz.esc(e.actor_name) + "</td><td>" + change + "</td><td>" +
        zz.esc(joinClauses(said)) + "</td>";
      const shown = (photos || []).filter((ph) => ph.event_id === e.id);
      if (shown.length) tr.lastElementChild.appendChild(photoStrip(shown));
      tbody.appendChild(tr);
    });
  }

  // ------------------------------------------------------------------ 现场照片 (trial AO M8)
  // 受理, 处置反馈 and 办结 take up to six photos (the phone's camera, or its album), sent with the
  // action itself (…/with-photos): a photo refused leaves the case as it was. The server keeps
  // each re-encoded without its EXIF (the phone's GPS); the timeline shows them under the event.

  const PHOTO_ACTIONS = zz.PHOTO_ACTIONS;
  let picked = []; // the photos chosen for the open form

  /** An event's photos: thumbnails, each opening the photo. */
  function photoStrip(shown) {
    const strip = document.createElement("div");
    strip.className = "cz-photos d-flex flex-wrap gap-1 mt-1";
    shown.forEach(function (ph, i) {
      const link = document.createElement("a");
      link.href = "/api/cases/" + caseId + "/photos/" + ph.id;
      link.target = "_blank";
      link.rel = "noopener";
      link.title = "现场照片 " + (i + 1) + "（" + ph.width + "×" + ph.height + "）";
      const img = document.createElement("img");
      img.className = "cz-photo";
      img.src = link.href + "?thumbnail=true";
      img.alt = "现场照片 " + (i + 1);
      img.loading = "lazy";
      img.style.cssText = "width:72px;height:72px;object-fit:cover;border-radius:4px;border:1px solid #ccc";
      link.appendChild(img);
      strip.appendChild(link);
    });
    return strip;
  }

  /** Offer the photos on 受理, 处置反馈 and 办结: a camera shot or several at a time, added up. */
  function offerPhotos(action) {
    picked = PHOTO_ACTIONS.includes(action) ? zz.photoField($("cz-action-params"), "cz-p-photos", "cz-picked") : [];
  }

  /** Send the action with its photos (multipart, its progress on 提交); the case's JSON as the action's own answer. */
  function sendWithPhotos(action, note) {
    return zz.sendCaseAction(caseId, action, { version: page.case.version, note: note, params: params(action), photos: picked, button: $("cz-action-submit") });
  }

  /** "调解不成。" and "调解成功" read "调解不成；调解成功": one mark between clauses, not "。；". */
  function joinClauses(parts) {
    const said = parts.filter(Boolean);
    return said.map((t, i) => (i < said.length - 1 ? t.replace(/[。；;，,.\s]+$/, "") : t)).join("；");
  }

  function related(r) {
    // a department reads the repeats of its case, not opens them (trial AX S2)
    const code = r.openable === false ? zz.esc(r.code) : '<a href="/cases/' + r.id + '">' + zz.esc(r.code) + "</a>";
    return code + " " + zz.esc(r.title) +
      '<span class="text-muted">（' + zz.esc(zz.label("channel", r.channel)) + "，" +
      zz.esc(zz.label("case_state", r.state)) + "，" + zz.esc(zz.fmtTime(r.reported_at)) + "）</span>";
  }

  /** The case's own unit and grid (after 位置), named even when a re-division retired them. */
  function renderUnits(d) {
    if (!$("cz-area")) {
      const anchor = $("cz-location");
      [["所属辖区", "cz-area"], ["所属网格", "cz-grid"]].reverse().forEach(function ([term, id]) {
        const dd = document.createElement("dd");
        dd.id = id;
        const dt = document.createElement("dt");
        dt.textContent = term;
        anchor.after(dt, dd);
      });
    }
    const show = (unit) => (unit ? unit.label : "—");
    $("cz-area").textContent = show(d.area);
    $("cz-grid").textContent = show(d.grid);
    $("cz-area").dataset.retired = String(Boolean(d.area && d.area.retired_on));
    $("cz-grid").dataset.retired = String(Boolean(d.grid && d.grid.retired_on));
  }

  /**
   * Who may read the reporter's clear contact, as the server says (can_reveal_reporter): the
   * unmask right, or the case's own work without it — the grid worker it is dispatched to, the
   * operators of the level handling it, who must phone the reporter (联系时限, 回访; trial AS
   * M2). Each read gives a reason and is audited.
   */
  function renderReporterAccess(d) {
    if (page.noReporter || !page.me) return;
    const note = $("cz-masked-note");
    const form = $("cz-unmask");
    if (page.clear && d.can_reveal_reporter) {
      note.textContent = "已显示完整信息，本次查看已记入审计日志。";
      form.hidden = true;
      return;
    }
    if (page.clear) {
      // no longer the reader's to read (办结, 销号, another worker): masked again
      page.clear = null;
      $("cz-reporter-name").textContent = page.case.reporter_name || "（未留）";
      $("cz-reporter-phone").textContent = page.case.reporter_phone || "（未留）";
      $("cz-reporter-name").dataset.masked = "true";
    }
    const handles = ["commander", "dispatcher", "grid_worker", "department"].includes(page.me.role);
    form.hidden = !(handles && d.can_reveal_reporter);
    const byWork = d.can_reveal_reporter && !page.me.can_unmask;
    // the reason box is named as its button (a user trial: 「查看完整信息的事由」 over 「查看反映人联系方式」)
    const asked = byWork ? "查看反映人联系方式" : "查看完整信息";
    $("cz-unmask-submit").textContent = asked;
    form.querySelector("label[for='cz-unmask-reason']").textContent = asked + "的事由（将记入审计日志）";
    if (!handles) {
      note.textContent = "个人信息已脱敏显示。";
    } else if (byWork) {
      // a department holds the order, not a level (closing s44 p1: it was told 本级负责办理)
      const who = {
        grid_worker: "本案件派给您办理，需联系反映人时",
        department: "本案件已派给本部门（" + page.me.display_name + "）办理，需联系或回访反映人时",
      }[page.me.role] || "本级负责办理本案件，需联系或回访反映人时";
      note.textContent = "个人信息已脱敏显示。" + who + "可查看其联系方式（须填写事由，记入审计日志）。";
    } else if (d.can_reveal_reporter) {
      note.textContent = "个人信息已脱敏显示。";
    } else if (page.me.role === "grid_worker" && d.reporter_refusal) {
      note.textContent = "个人信息已脱敏显示：" + d.reporter_refusal + "。";
    } else if (page.me.unmask_refusal && ["commander", "dispatcher"].includes(page.me.role)) {
      // a city's operators can never be given the right, yet read the reporter of a case their
      // level handles: say what holds for this case, not 「市级账号不能查看个人信息明文」 (trial AU m3)
      note.textContent = operatorNote(page.case.handling_level);
    } else if (page.me.unmask_refusal) {
      // a city's account can never be given the right: say so, rather than send it to an admin
      note.textContent = "个人信息已脱敏显示：" + page.me.unmask_refusal + "。";
    } else {
      note.textContent = page.me.can_unmask
        ? "个人信息已脱敏显示。"
        : "个人信息已脱敏显示。查看完整信息需由管理员授予查看明文权限。";
    }
  }

  /**
   * Why an operator whose account cannot hold the unmask right (province, city) reads no reporter
   * here: the contact is read by the level handling the case, his own included (trial AU m3).
   */
  function operatorNote(handlingLevel) {
    const own = zz.label("handling_level", page.meLevel);
    if (handlingLevel === page.meLevel) {
      return "个人信息已脱敏显示：本案件已销号，不再查看反映人联系方式。";
    }
    return (
      "个人信息已脱敏显示：本案件由" + zz.label("handling_level", handlingLevel) +
      "办理，反映人联系方式由办理层级查看；" + own + "办理的案件，本级需联系或回访反映人时可查看（须填写事由，记入审计日志）。"
    );
  }

  function renderDetail(d) {
    page.detail = d;
    renderUnits(d);
    renderReporterAccess(d);
    const repeats = $("cz-repeats");
    const parts = [];
    if (page.unlinked) parts.push('<p class="alert alert-success py-1 px-2 mb-2" id="cz-unlink-result" role="status">' + zz.esc(page.unlinked) + "</p>");
    if (d.original) {
      // 解除关联 beside the link: an operator who finds it another matter undoes it (trial AK M4)
      const unlink = d.can_unlink
        ? ' <button type="button" class="btn btn-sm btn-outline-danger py-0 ms-1" id="cz-unlink">解除关联</button>'
        : "";
      parts.push('<p class="mb-2" id="cz-original">本案为重复反映，原案件：' + related(d.original) + unlink + "</p>");
    }
    if (d.repeats.length) {
      parts.push('<p class="mb-1">同一事项的重复反映 ' + d.repeats.length + " 次：</p><ul class=\"mb-0 ps-3\">" +
        d.repeats.map((r) => "<li>" + related(r) + "</li>").join("") + "</ul>");
    }
    if (page.suspectDone && !page.unlinked) parts.push('<p class="alert alert-success py-1 px-2 mb-2" id="cz-suspect-result" role="status">' + zz.esc(page.suspectDone) + "</p>");
    if (d.suspected.length) parts.push(suspectedHtml(d));
    if (d.settled_nearby.length) {
      // a matter settled already and reported again: the operator judges, nothing is linked
      parts.push('<p class="mb-1" id="cz-settled">近 30 天已办结的同类事项（200 米内），可能为再次反映：</p><ul class="mb-0 ps-3">' +
        d.settled_nearby.map((s) => '<li><a href="/cases/' + s.id + '">' + zz.esc(s.code) + "</a> " + zz.esc(s.title) +
          '<span class="text-muted">（' + zz.esc(zz.label("case_state", s.state)) + "，" + zz.esc(zz.fmtTime(s.closed_at)) +
          " 办结，相距 " + s.distance_m + " 米）</span></li>").join("") + "</ul>");
    }
    repeats.innerHTML = parts.length ? parts.join("") : '<span class="text-muted">无重复反映记录。</span>';
    if ($("cz-unlink")) $("cz-unlink").addEventListener("click", () => openUnlink(d.original));
    bindSuspected(d);

    const tbody = $("cz-dispatches").querySelector("tbody");
    tbody.textContent = "";
    $("cz-no-dispatches").hidden = d.dispatches.length > 0;
    d.dispatches.forEach(function (x) {
      const tr = document.createElement("tr");
      const kinds = { worker: "网格员", unit: "下级单位", department: "职能部门" };
      // the times carry their column's name: a phone shows each dispatch as a block (case.css)
      const times = [["派单", x.assigned_at], ["受理", x.accepted_at], ["到场", x.arrived_at], ["结束", x.finished_at]];
      tr.innerHTML =
        "<td>" + zz.esc(x.assignee_name) + "</td><td>" + zz.esc(kinds[x.assignee_kind] || x.assignee_kind) +
        "</td><td>" + zz.esc(zz.label("dispatch_status", x.status)) + "</td>" +
        times.map(([name, at]) => '<td data-label="' + name + '">' + zz.esc(zz.fmtTime(at)) + "</td>").join("");
      tbody.appendChild(tr);
    });

    const legal = $("cz-legal");
    if (!d.legal_route.length) {
      legal.innerHTML = '<span class="text-muted">本案未进入法治化途径（调解→仲裁、行政复议、诉讼）。</span>';
    } else {
      legal.innerHTML = d.legal_route
        .map(function (s) {
          return '<div class="cz-legal-step"><strong>' +
            zz.esc(s.route ? labels.legal_route[s.route] || s.route : labels.outcome[s.outcome] || s.outcome) +
            "</strong> · " + zz.esc(labels.outcome[s.outcome] || s.outcome) + '<div class="text-muted">' +
            zz.esc(zz.fmtTime(s.at)) + " " + zz.esc(s.actor_name) + "</div>" +
            (s.note ? "<div>" + zz.esc(s.note) + "</div>" : "") + "</div>";
        })
        .join("");
    }
  }

  // ------------------------------------------------------------------ 案件位置 (trial AO M7)

  // The worker going to the place read only 「地址 —」 and the coordinates: a small map of the
  // point and its grid, 导航 to 高德地图 or 百度地图 (the API gives the point in GCJ-02 and in
  // BD-09, converted on the server by geo.crs), and on a phone 定位, his own position and how
  // far the case is.
  const map = window.zzMap;
  const placeLayer = L.featureGroup().addTo(map);
  const meLayer = L.featureGroup().addTo(map);

  /** 地址 as registered, else 地址未登记 with the village and grid the point lies in. */
  function addressText(c, d) {
    if (c.address) return c.address;
    const names = [d.area, d.grid].filter(Boolean).map((u) => u.label);
    return "地址未登记" + (names.length ? "（位于" + names.join(" ") + "）" : "");
  }

  /** What 高德地图 names the spot: the address, else the grid or village (never the case's text). */
  function placeName(c, d) {
    if (c.address) return c.address;
    const unit = d.grid || d.area;
    return unit ? unit.name + "（案件位置）" : "案件位置";
  }

  /** 高德地图's marker page (the app when installed) at the point in GCJ-02. */
  function navigationUrl(c, d) {
    const p = d.place;
    return "https://uri.amap.com/marker?position=" + p.nav_lon + "," + p.nav_lat +
      "&name=" + encodeURIComponent(placeName(c, d)) + "&src=zongzhi&coordinate=gaode&callnative=1";
  }

  /** 百度地图's marker page at the point in BD-09 (converted on the server, layers.case_place):
   * titled by the address or the grid, never by the case's text. */
  function baiduUrl(c, d) {
    const p = d.place;
    const name = encodeURIComponent(placeName(c, d));
    return "https://api.map.baidu.com/marker?location=" + p.bd_lat + "," + p.bd_lon +
      "&title=" + name + "&content=" + name + "&output=html&coord_type=bd09ll&src=zongzhi";
  }

  function fmtDistance(m) {
    return m < 1000 ? Math.round(m) + " 米" : (m / 1000).toFixed(2) + " 公里";
  }

  function renderPlace(c, d) {
    $("cz-address").textContent = addressText(c, d);
    const p = d.place;
    $("cz-place").hidden = !p;
    placeLayer.clearLayers();
    if (!p) {
      page.place = null;
      return;
    }
    const moved = !page.place || page.place.lon !== p.lon || page.place.lat !== p.lat;
    page.place = p;
    map.invalidateSize(); // the map was drawn while the page was hidden
    let grid = null;
    const gridName = d.grid ? d.grid.label : "";
    if (p.grid_outline) {
      grid = L.geoJSON(p.grid_outline, {
        interactive: false,
        style: { color: "#2b83ba", weight: 3, fillColor: "#2b83ba", fillOpacity: 0.08, dashArray: "6 4" },
      }).addTo(placeLayer);
    }
    // the case a pin in its risk colour, 我的位置 a white-ringed green dot (case.css): green is
    // no risk level's colour, so a 蓝色 case's pin is not taken for it (trial AP M2)
    const pin = L.marker([p.lat, p.lon], {
      icon: L.divIcon({
        className: "cz-case-pin",
        html: '<span class="cz-case-pin-head" style="background:' + zz.riskColor(c.risk_level) + '"></span>',
        iconSize: [24, 32],
        iconAnchor: [12, 32],
        tooltipAnchor: [0, -30],
      }),
      title: "案件位置",
      keyboard: false,
    })
      .bindTooltip("案件位置：" + zz.esc(c.title))
      .addTo(placeLayer);
    pin.setZIndexOffset(1000);
    showLegend(gridName, c.risk_level);
    $("cz-navigate").href = navigationUrl(c, d);
    $("cz-navigate-baidu").href = baiduUrl(c, d);
    if (!moved) return;
    fitPlace();
    if (asksCameras()) loadCameras();
  }

  // 附近视频: the cameras the 调度台 lists for the case (same API, the online ones that see the
  // spot first), so the operator need not open the 调度台 to learn which camera to pull up in
  // the 雪亮 platform, its 国标编码 given (trial BB M2)
  const CAMERAS_SHOWN = 5;
  const cameraLayer = L.featureGroup().addTo(map);

  function camerasBox() {
    let box = $("cz-cameras");
    if (!box) {
      box = document.createElement("div");
      box.id = "cz-cameras";
      box.className = "cz-cameras small mt-2";
      box.innerHTML = '<h3 class="h6 mb-1">附近视频</h3><ul class="list-unstyled mb-0" id="cz-camera-list"></ul>';
      $("cz-place").appendChild(box);
    }
    return box;
  }

  /** Whether the reader is asked the cameras: the API refuses them to the analyst and to a county
   * department (api.app's DEPARTMENT_REFUSED), so no refused request is made. */
  function asksCameras() {
    return !["analyst", "department"].includes(page.me.role);
  }

  function readCameras() {
    return zz.api("/api/cases/" + caseId + "/cameras?limit=" + CAMERAS_SHOWN);
  }

  async function loadCameras() {
    const box = camerasBox();
    const list = $("cz-camera-list");
    cameraLayer.clearLayers();
    // on opening, the read started as soon as the account and the case had answered (load)
    const early = page.camerasRead;
    page.camerasRead = null;
    let body;
    try {
      body = (early && (await early)) || (await readCameras());
    } catch (error) {
      box.hidden = true; // no cameras to pull up where the API refuses them
      return;
    }
    box.hidden = false;
    list.textContent = "";
    if (!body.seeing_online) {
      const li = document.createElement("li");
      li.className = "text-muted";
      li.textContent = body.cameras.length
        ? "没有摄像头覆盖该位置" + (body.seeing ? "：可见该位置的摄像头均离线" : "") + "；以下为最近的视频点位。"
        : "没有在用的视频点位。";
      list.appendChild(li);
    }
    body.cameras.forEach(function (cam) {
      const live = cam.sees && cam.status === "online";
      const dark = cam.sees && !live;
      const online = cam.status === "online";
      L.circleMarker([cam.lat, cam.lon], {
        radius: 5,
        color: online ? "#fff" : "#969696",
        weight: online ? 1 : 2,
        fillColor: online ? "#6a3d9a" : "#fff",
        fillOpacity: cam.sees ? 1 : 0.5,
      })
        .bindTooltip(zz.esc(cam.name) + "（" + zz.esc(zz.label("video_status", cam.status)) + "）")
        .addTo(cameraLayer);
      const li = document.createElement("li");
      li.className = "cz-camera" + (live ? " cz-camera-sees" : "") + (dark ? " cz-camera-dark" : "");
      li.innerHTML =
        (live ? "◉ " : dark ? "◌ " : "○ ") + "<strong>" + zz.esc(cam.name) + "</strong>" +
        ' <span class="text-muted">' + fmtDistance(cam.distance_m) + " · " +
        (cam.other_unit ? zz.esc(cam.other_unit) + "的点位 · " : "") + // another unit's (trial BB M5)
        zz.esc(zz.label("ptz_type", cam.ptz_type)) + " · " +
        (live ? "可见 · 在线" : dark
          ? "离线（可见范围内）" + (cam.last_heartbeat ? " · 最后在线 " + zz.esc(zz.fmtTime(cam.last_heartbeat)) : "")
          : zz.esc(zz.label("video_status", cam.status))) +
        " · 国标编码 " + zz.esc(cam.device_id) + "</span>";
      list.appendChild(li);
    });
  }

  /** The grid's whole outline with the case (and, after 定位, the reader): a grid drawn in
   * full, large, even where no base map is served at that zoom (trial AP M2). */
  function fitPlace() {
    const p = page.place;
    if (!p) return;
    const bounds = L.latLngBounds([[p.lat, p.lon]]);
    placeLayer.eachLayer((l) => l.getBounds && bounds.extend(l.getBounds()));
    meLayer.eachLayer((l) => l.getLatLng && bounds.extend(l.getLatLng()));
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) map.setView([p.lat, p.lon], 16);
    else map.fitBounds(bounds, { padding: [28, 28], maxZoom: 17 });
  }

  let legend = null;

  /** The map's caption: the grid's name, and what the pin and (after 定位) the dot are. */
  function showLegend(gridName, risk) {
    if (!legend) {
      legend = L.control({ position: "bottomleft" });
      legend.onAdd = function () {
        const box = L.DomUtil.create("div", "cz-legend");
        box.id = "cz-legend";
        L.DomEvent.disableClickPropagation(box);
        return box;
      };
      legend.addTo(map);
    }
    const box = $("cz-legend");
    box.innerHTML =
      (gridName ? '<div class="cz-legend-grid" id="cz-legend-grid"><span class="cz-legend-line"></span>' + zz.esc(gridName) + "</div>" : "") +
      '<div id="cz-legend-case"><span class="cz-legend-pin" style="background:' + zz.riskColor(risk) + '"></span>案件位置</div>' +
      '<div id="cz-legend-me"' + (meLayer.getLayers().length ? "" : " hidden") + '><span class="cz-legend-me"></span>我的位置</div>';
  }

  /** 定位: the reader's own position (the phone's, WGS84 as the map's), and the distance. */
  function locate() {
    const out = $("cz-distance");
    if (!navigator.geolocation || !window.isSecureContext) {
      out.textContent = "浏览器只在 https 访问时允许定位，请用“导航”在高德地图中查看。";
      return;
    }
    out.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        const p = page.place;
        if (!p) return;
        const me = L.latLng(pos.coords.latitude, pos.coords.longitude);
        meLayer.clearLayers();
        L.marker(me, {
          icon: L.divIcon({ className: "cz-me-pin", iconSize: [16, 16] }),
          title: "我的位置",
          keyboard: false,
        })
          .bindTooltip("我的位置")
          .addTo(meLayer);
        if ($("cz-legend-me")) $("cz-legend-me").hidden = false;
        const accuracy = pos.coords.accuracy ? "（定位精度约 ±" + Math.round(pos.coords.accuracy) + " 米）" : "";
        out.textContent = "您距案件约 " + fmtDistance(map.distance(me, [p.lat, p.lon])) + accuracy;
        fitPlace();
      },
      function (err) {
        out.textContent =
          err.code === 1
            ? "未能定位：浏览器未允许本网站获取位置，请在浏览器设置中允许后再点“定位”。"
            : err.code === 3
              ? "未能定位：定位超时，请到开阔处再试。"
              : "未能定位：暂时收不到位置信号，请稍后再试。";
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  }

  // ------------------------------------------------------------------ 解除关联

  /** The confirmation of 解除关联: what it undoes, and the reason it asks for. */
  function openUnlink(original) {
    $("cz-unlink-lead").textContent =
      "确认本案与案件 " + original.code + " 不是同一事项？解除后本案单独计入热点与趋势分析，" +
      "原案件的重复反映次数减 1，因本案关联而提高的风险等级随之恢复（人工定级的除外）；" +
      "以后导入或重新判断重复反映时，也不会再把两案关联。";
    $("cz-unlink-error").hidden = true;
    $("cz-unlink-dialog").showModal();
    $("cz-unlink-reason").focus();
  }

  async function submitUnlink(event) {
    event.preventDefault();
    const error = $("cz-unlink-error");
    const reason = $("cz-unlink-reason").value.trim();
    if (!reason) {
      error.textContent = "请填写解除关联原因：为何不是同一事项。";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    try {
      const done = await zz.api("/api/cases/" + caseId + "/unlink-repeat", {
        method: "POST",
        json: { reason: reason, version: page.case.version },
      });
      $("cz-unlink-dialog").close();
      $("cz-unlink-reason").value = "";
      page.unlinked = done.message;
      zz.toast(done.message, "success");
      await load();
    } catch (err) {
      error.textContent = zz.errorText(err); // the API's own Chinese refusal
      error.hidden = false;
    }
  }

  // ------------------------------------------------------------------ 疑似重复

  /**
   * 疑似重复 (trial BA S4): the open cases of this one's type, place and time it may repeat, though
   * address and caller differ: nothing is linked or raised until an operator (can_merge) merges
   * one as 重复反映 or finds it 不是同一事项, each after a confirmation (closing note s44, p3).
   */
  function suspectedHtml(d) {
    const own = page.case && page.case.address;
    return '<div class="cz-suspected" id="cz-suspected"><p class="mb-1">疑似重复（同类、相距较近、时间相近，但地址不同、来电号码不同或未留，未关联、未提升风险）：</p><ul class="mb-0 ps-3">' +
      d.suspected.map(function (s) {
        const code = s.openable === false ? zz.esc(s.code) : '<a href="/cases/' + s.id + '">' + zz.esc(s.code) + "</a>";
        const facts = [zz.label("channel", s.channel), zz.label("case_state", s.state), zz.fmtTime(s.reported_at)];
        if (s.distance_m !== null) facts.push("相距约 " + s.distance_m + " 米");
        const where = "地址：" + (s.address || "未登记") + "；本案地址：" + (own || "未登记");
        const buttons = d.can_merge
          ? '<div class="cz-suspect-actions"><button type="button" class="btn btn-sm btn-outline-primary py-0" data-merge="' + s.id + '">合并为重复反映</button>' +
            '<button type="button" class="btn btn-sm btn-outline-secondary py-0" data-dismiss="' + s.id + '">不是同一事项</button></div>'
          : "";
        return '<li class="cz-suspect" data-id="' + s.id + '">' + code + " " + zz.esc(s.title) +
          '<span class="text-muted">（' + zz.esc(facts.join("，")) + "）</span>" +
          '<div class="cz-suspect-diff">' + zz.esc(where) + "</div>" + buttons + "</li>";
      }).join("") + "</ul></div>";
  }

  function bindSuspected(d) {
    d.suspected.forEach(function (s) {
      const merge = document.querySelector('#cz-suspected [data-merge="' + s.id + '"]');
      const dismiss = document.querySelector('#cz-suspected [data-dismiss="' + s.id + '"]');
      if (merge) merge.addEventListener("click", () => openSuspect("merge", s));
      if (dismiss) dismiss.addEventListener("click", () => openSuspect("dismiss", s));
    });
  }

  const SUSPECT_STEPS = {
    merge: {
      title: "合并为重复反映",
      path: "/merge-repeat",
      lead: (s) => "确认本案与案件 " + s.code + " 是同一事项，合并为它的重复反映？合并后本案不再单独计入热点与趋势分析，" +
        "原案件的重复反映次数加 1、风险等级提高一级，办理时限随之提前；如有误，可再“解除关联”。",
      submit: "确认合并",
    },
    dismiss: {
      title: "不是同一事项",
      path: "/dismiss-suspected",
      lead: (s) => "确认本案与案件 " + s.code + " 不是同一事项？确认后不再列为疑似重复，以后导入也不再提示或关联；" +
        "两案的风险等级和办理时限都不变，办理过程记下由您确认。",
      submit: "确认不是同一事项",
    },
  };

  /** The confirmation of 合并为重复反映 or 不是同一事项 (made once, like 解除关联's in the page). */
  function suspectDialog() {
    if ($("cz-suspect-dialog")) return $("cz-suspect-dialog");
    const dialog = document.createElement("dialog");
    dialog.className = "zz-dialog";
    dialog.id = "cz-suspect-dialog";
    dialog.setAttribute("aria-labelledby", "cz-suspect-title");
    dialog.innerHTML = '<form method="dialog" id="cz-suspect-form" class="small"><h2 class="h6" id="cz-suspect-title"></h2>' +
      '<p class="mb-2" id="cz-suspect-lead"></p><div class="alert alert-warning py-1 px-2 mt-2 mb-0" id="cz-suspect-error" role="alert" hidden></div>' +
      '<div class="text-end mt-2"><button class="btn btn-sm btn-outline-secondary" type="button" id="cz-suspect-cancel">取消</button> ' +
      '<button class="btn btn-sm btn-primary" type="submit" id="cz-suspect-submit"></button></div></form>';
    document.body.appendChild(dialog);
    $("cz-suspect-cancel").addEventListener("click", () => dialog.close());
    $("cz-suspect-form").addEventListener("submit", submitSuspect);
    return dialog;
  }

  function openSuspect(step, s) {
    const dialog = suspectDialog();
    const said = SUSPECT_STEPS[step];
    page.suspect = { step: step, original: s };
    $("cz-suspect-title").textContent = said.title + "：案件 " + s.code;
    $("cz-suspect-lead").textContent = said.lead(s);
    $("cz-suspect-submit").textContent = said.submit;
    $("cz-suspect-error").hidden = true;
    dialog.showModal();
  }

  async function submitSuspect(event) {
    event.preventDefault();
    const submit = $("cz-suspect-submit");
    if (submit.disabled || !page.suspect) return;
    const error = $("cz-suspect-error");
    const { step, original } = page.suspect;
    submit.disabled = true;
    try {
      const done = await zz.api("/api/cases/" + caseId + SUSPECT_STEPS[step].path, {
        method: "POST",
        json: { original_id: original.id, version: page.case.version },
      });
      $("cz-suspect-dialog").close();
      page.suspectDone = done.message;
      zz.toast(done.message, "success");
      await load();
    } catch (err) {
      error.textContent = zz.errorText(err); // the API's own Chinese refusal
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  }

  // ------------------------------------------------------------------ actions

  function select(id, options) {
    return '<select class="form-select form-select-sm" id="' + id + '">' +
      Object.entries(options).map(([v, t]) => '<option value="' + zz.esc(v) + '">' + zz.esc(t) + "</option>").join("") +
      "</select>";
  }

  /** A select the operator must choose in: no option preselected, required (trial AQ m4). */
  function choose(id, options, prompt) {
    return select(id, Object.assign({ "": prompt }, options)).replace("<select ", "<select required ");
  }

  function field(labelText, id, control) {
    return '<div class="mb-2"><label class="form-label mb-0" for="' + id + '">' + labelText + "</label>" + control + "</div>";
  }

  const FORMS = {
    triage: function (c) {
      const levels = {};
      for (let l = Math.max(1, page.meLevel); l <= 5; l += 1) levels[l] = zz.label("handling_level", l);
      return field("风险等级", "cz-p-risk", select("cz-p-risk", zz.tables.risk_level)) +
        field("办理层级", "cz-p-level", select("cz-p-level", levels));
    },
    resolve: function (c) {
      const outcomes = Object.assign({}, labels.outcome);
      if (c.state === "legal_route") {
        delete outcomes.mediation_failed;
      } else {
        delete outcomes.legal_concluded;
      }
      // chosen each time: a preselected 调解成功 was recorded unless changed, inflating the
      // mediation figures (trial AQ m4)
      return field("办结结果", "cz-p-outcome", choose("cz-p-outcome", outcomes, "请选择办结结果")) +
        '<div id="cz-p-route-box" hidden>' + field("法治化途径", "cz-p-route", select("cz-p-route", labels.legal_route)) + "</div>";
    },
    evaluate: () => field("满意度", "cz-p-satisfaction", select("cz-p-satisfaction", SATISFACTION)),
    // chosen each time (the first option, 不满意, was sent unless changed); 不满意 and 不太满意
    // ask what follows: 重新办理, or 销号 with its reason (trial BA M3)
    visit: () => field("满意度", "cz-p-satisfaction", '<select required class="form-select form-select-sm" id="cz-p-satisfaction"><option value="">请选择满意度</option>' +
      ["5", "4", "3", "2", "1"].map((k) => '<option value="' + k + '">' + zz.esc(SATISFACTION[k]) + "</option>").join("") + "</select>") +
      '<div id="cz-p-unsatisfied-box" hidden><p class="text-danger mb-1">回访不满意：请选择重新办理，或说明原因后销号。</p>' +
      field("处理方式", "cz-p-then", select("cz-p-then", { "": "请选择处理方式", reopen: "重新办理（以回访情况为原因，交原承办单位重新处置）", archive: "说明原因后销号" })) +
      '<div id="cz-p-reason-box" hidden>' + field("销号原因（必填）", "cz-p-reason", '<textarea class="form-control form-control-sm" id="cz-p-reason" rows="2" placeholder="如：诉求超出政策规定，已向反映人解释"></textarea>') + "</div></div>",
    // 督办时限, three days on unless changed, as on the command page (and required: the API asks it)
    supervise: () => field("督办时限", "cz-p-deadline", '<input class="form-control form-control-sm" type="datetime-local" id="cz-p-deadline" required value="' +
      zz.inputTime(new Date(Date.now() + 3 * 86400000)) + '">'),
    // 申请延期: the date asked, a week after the current 办结时限 unless changed (trial AX S5)
    extension_request: (c) => field("延期后的办结时限", "cz-p-extend", '<input class="form-control form-control-sm" type="datetime-local" id="cz-p-extend" required value="' +
      zz.inputTime(new Date(Math.max(Date.parse(c.deadline), Date.now()) + 7 * 86400000)) + '">'),
    // 批准延期: the date asked unless the approver sets another
    extension_approve: (c) => field("批准的办结时限", "cz-p-extend", '<input class="form-control form-control-sm" type="datetime-local" id="cz-p-extend" required value="' +
      zz.inputTime(new Date(c.extension.requested)) + '" data-asked="' + zz.inputTime(new Date(c.extension.requested)) + '">'),
    // picked from the list; a name outside it only with 新增部门名称 ticked (trial AQ S3)
    summon: () => field("吹哨部门（从下方列表选择，以顿号或逗号分隔）", "cz-p-departments", '<input class="form-control form-control-sm" id="cz-p-departments">') +
      '<div class="form-check small"><input class="form-check-input" type="checkbox" id="cz-p-new-departments">' +
      '<label class="form-check-label" for="cz-p-new-departments">新增部门名称（列表中没有的部门）</label></div>',
  };

  function params(action) {
    const v = (id) => ($(id) ? $(id).value : "");
    if (action === "triage") return { risk_level: Number(v("cz-p-risk")), handling_level: Number(v("cz-p-level")) };
    if (action === "resolve") {
      const p = { outcome: v("cz-p-outcome") };
      if (p.outcome === "mediation_failed") p.route = v("cz-p-route");
      return p;
    }
    if (action === "evaluate") return { satisfaction: Number(v("cz-p-satisfaction")) };
    if (action === "visit") {
      const p = { satisfaction: Number(v("cz-p-satisfaction")) };
      if (p.satisfaction === 1 || p.satisfaction === 2) p.then = v("cz-p-then");
      if (p.then === "archive") p.reason = v("cz-p-reason").trim();
      return p;
    }
    if (action === "supervise") return { deadline: zz.fromInputTime(v("cz-p-deadline")) };
    if (action === "extension_request") return { deadline: zz.fromInputTime(v("cz-p-extend")) };
    if (action === "extension_approve") {
      // the date asked, exactly as asked, unless the approver changed it
      return v("cz-p-extend") === $("cz-p-extend").dataset.asked ? {} : { deadline: zz.fromInputTime(v("cz-p-extend")) };
    }
    if (action === "summon") return { departments: zz.departmentNames(v("cz-p-departments")), new_departments: $("cz-p-new-departments").checked };
    return {};
  }

  // a 回访's 不满意 or 不太满意 shows the choice, and 销号 its reason, both then required (BA M3)
  document.addEventListener("change", function (e) {
    if (!["cz-p-satisfaction", "cz-p-then"].includes(e.target.id) || !$("cz-p-unsatisfied-box")) return;
    const low = ["1", "2"].includes($("cz-p-satisfaction").value);
    $("cz-p-unsatisfied-box").hidden = !low;
    $("cz-p-then").required = low;
    const archive = low && $("cz-p-then").value === "archive";
    $("cz-p-reason-box").hidden = !archive;
    $("cz-p-reason").required = archive;
  });

  /**
   * The dialog's title: 上报 names the level it sends the case to (上报至市级, trial AH S1), 交办 the
   * unit (交办至华溪镇, trial BC), or its level when the unit is not read.
   */
  function actionTitle(action, toLevel, toUnit) {
    if (takingUp(action)) return "提级办理：改由" + zz.label("handling_level", toLevel) + "办理";
    if (action === "hand_down" && toUnit && toUnit.name) return actionLabel(action) + "至" + toUnit.name;
    if (toLevel && (action === "escalate" || action === "hand_down")) {
      return actionLabel(action) + "至" + zz.label("handling_level", toLevel);
    }
    return actionLabel(action);
  }

  /** What the dialog says first: where the case goes, or that 重新办理 keeps the time limits. */
  function actionLead(action, c, toLevel, toUnit) {
    if (takingUp(action) && toLevel) {
      return "提级后由" + zz.label("handling_level", toLevel) + "办理（现由" + zz.label("handling_level", c.handling_level) + "办理），原办理层级的派单将撤回。";
    }
    if (action === "escalate" && toLevel) {
      return "上报后由" + zz.label("handling_level", toLevel) + "办理（现由" + zz.label("handling_level", c.handling_level) + "办理），本级跟踪办理进度。";
    }
    if (action === "hand_down" && toLevel) {
      const level = zz.label("handling_level", toLevel);
      return "交办后由" + (toUnit && toUnit.name ? toUnit.name + "（" + level + "）" : level) + "办理。";
    }
    if (action === "archive" && c.state !== "visited") {
      return "本案尚未回访：销号须说明不回访的原因。";
    }
    if (action === "visit") {
      return "回访由承办人以外的人员进行，请写明回访对象和了解到的情况。";
    }
    if (action === "extension_request" && c.deadline) {
      return "现办结时限 " + zz.fmtTime(c.deadline) + "；延期最多30天，须经派单单位审批，批准前仍按现时限计算。";
    }
    if ((action === "extension_approve" || action === "extension_refuse") && c.extension) {
      return extensionText(c.extension) + "（现办结时限 " + zz.fmtTime(c.deadline) + "）";
    }
    if (action === "reopen") {
      // the registration's limits stay: a case past them is overdue at once (trial AH S2)
      const cd = c.deadline ? zz.countdown(c.deadline) : null;
      return "时限不变：办结时限仍为 " + (c.deadline ? zz.fmtTime(c.deadline) + (cd.overdue ? "，重新办理后即为超期" : "") : "登记时的时限") + "。";
    }
    return "";
  }

  /** What a required note is asked to say, by example (the 上报原因 the level above reads, the
   * 办结说明 of what was done beside the 办结结果 chosen). */
  const NOTE_HINTS = {
    escalate: "如：涉及多个部门，本级协调不了，请上级统筹",
    hand_down: "如：请县级牵头组织调处，限期报送办理结果",
    resolve: "如：已组织双方调解，签订调解协议",
    // what the 回访 learned, and why a case never visited is archived (trial AS M5)
    visit: "如：电话回访反映人，对调解结果满意，无新的诉求",
    archive: "如：反映人匿名，无法回访",
    extension_request: "如：需调取用工单位工资台账，预计15日内办结",
    extension_refuse: "如：事实清楚，请按原时限办结",
  };

  /** A 上报 offered to a level above the case's: it takes the case up (提级办理, trial AM N10). */
  function takingUp(action) {
    return action === "escalate" && Boolean(page.meLevel) && Boolean(page.case) && page.meLevel < page.case.handling_level;
  }

  function openAction(action, noteRequired, toLevel, toUnit) {
    const c = page.case;
    if (action === "dispatch") {
      window.location.assign("/dispatch/" + page.me.scope_code + "?case=" + c.id);
      return;
    }
    page.action = action;
    const behalf = behalfOf(action);
    $("cz-action-title").textContent = behalf ? "代 " + behalf + " 登记" + actionLabel(action) : actionTitle(action, toLevel, toUnit);
    // 交办并督办: the level's own case handed down and 督办'd there at once (trial AZ m8)
    const both = action === "hand_down_supervise";
    const below = both ? (toUnit && toUnit.name) || zz.label("handling_level", toLevel) : "";
    if (both) $("cz-action-title").textContent = "交办并督办：交办至" + below + "，同时督办";
    // 退回 must say why: the field says so and the browser asks before the server refuses
    $("cz-action-note-label").textContent = noteRequired ? noteRequired + "（必填）" : "办理说明（选填）";
    $("cz-action-note").required = Boolean(noteRequired);
    $("cz-action-note").placeholder = both ? "如：请于明日8时前报送处置情况" : (noteRequired && NOTE_HINTS[action]) || "";
    // what was typed and not sent survives a reload of the tab (trial W's worker lost his note)
    $("cz-action-note").value = sessionStorage.getItem(draftKey(action)) || "";
    zz.recountNotes($("cz-action-form"));
    $("cz-action-params").innerHTML = FORMS[both ? "supervise" : action] ? FORMS[both ? "supervise" : action](c) : "";
    offerPhotos(action);
    if (action === "summon") zz.departmentChoices($("cz-p-departments"), true);
    if (action === "summon") askEach();
    const lead = both
      ? "交办后由" + below + "办理，同时督办：督办意见即交办意见，" + below + "须在督办时限前报送办理情况。"
      : actionLead(action, c, toLevel, toUnit);
    if (lead) $("cz-action-params").insertAdjacentHTML("afterbegin", '<p class="mb-1" id="cz-action-lead">' + zz.esc(lead) + "</p>");
    const warning = action === "escalate" ? zz.escalationWarning(page.detail && page.detail.dispatches) : "";
    if (warning) $("cz-action-params").insertAdjacentHTML("afterbegin", '<p class="text-danger mb-1" id="cz-escalate-warning">' + zz.esc(warning) + "</p>");
    $("cz-action-error").hidden = true;
    $("cz-action-form").hidden = false;
    // on a phone the form may open below the screen's edge, under the buttons: bring it up
    $("cz-action-form").scrollIntoView({ block: "nearest" });
    if (action === "triage") {
      $("cz-p-risk").value = String(c.risk_level);
      $("cz-p-level").value = String(c.handling_level);
    }
    const outcome = $("cz-p-outcome");
    if (outcome) {
      outcome.addEventListener("change", function () {
        $("cz-p-route-box").hidden = outcome.value !== "mediation_failed";
      });
    }
  }

  /**
   * Under the 吹哨's departments, one line per department named: what it is asked to do, beside
   * the shared note (trial AZ m7: one note for three departments, each desk the whole text).
   * Redrawn as the names change, keeping what was typed for a name still there.
   */
  function askEach() {
    const box = document.createElement("div");
    box.id = "cz-p-asks";
    $("cz-action-params").appendChild(box);
    const input = $("cz-p-departments");
    const draw = function () {
      const typed = asksOf("summon").asks || {};
      box.textContent = "";
      zz.departmentNames(input.value).forEach(function (name, i) {
        const id = "cz-p-ask-" + i;
        box.insertAdjacentHTML("beforeend", field("对" + zz.esc(name) + "的事项（选填，仅该部门看到）", id,
          '<input class="form-control form-control-sm cz-p-ask" maxlength="500" id="' + id + '">'));
        const ask = $(id);
        ask.dataset.department = name;
        ask.value = typed[name] || "";
      });
    };
    input.addEventListener("input", draw);
    draw();
  }

  /** What the 吹哨 asks of each department, as the API takes it (``asks``); {} otherwise. */
  function asksOf(action) {
    if (action !== "summon") return {};
    const asks = {};
    document.querySelectorAll("#cz-p-asks .cz-p-ask").forEach(function (ask) {
      if (ask.value.trim()) asks[ask.dataset.department] = ask.value.trim();
    });
    return { asks: asks };
  }

  /** The worker a dispatcher registers 受理, 到场 or 办结 for (one without an account, trial AP
   * m4): the worker of the case's open dispatch, when the reader is not he. */
  function behalfOf(action) {
    if (!["accept", "arrive", "feedback", "resolve"].includes(action) || !page.detail || !page.me) return "";
    const open = page.detail.dispatches.find((x) => x.assignee_kind === "worker" && ["assigned", "accepted", "arrived"].includes(x.status));
    if (!open || (page.me.worker_id && page.me.worker_id === open.worker_id) || page.me.role === "grid_worker") return "";
    return open.assignee_name;
  }

  /** Where the unsent note of an action on this case is kept (this tab only). */
  function draftKey(action) {
    return "zz-draft-" + caseId + "-" + action;
  }

  async function submitAction(event) {
    event.preventDefault();
    // one request at a time: a second tap while the first (with its photos) is under way sent
    // the upload again and met 409 (trial AS m2)
    const submit = $("cz-action-submit");
    if (submit.disabled) return;
    submit.disabled = true;
    submit.textContent = "提交中…";
    const action = page.action;
    const error = $("cz-action-error");
    error.hidden = true;
    const photos = PHOTO_ACTIONS.includes(action) ? picked.length : 0;
    try {
      // the worker's own 到场 goes with where his phone stands; one registered for him does not
      const fix = action === "arrive" && !behalfOf(action) ? await zz.positionFix(submit) : {};
      submit.disabled = true;
      if (photos) {
        await sendWithPhotos(action, $("cz-action-note").value.trim());
      } else if (action === "hand_down_supervise") {
        // 交办并督办: both steps in one request, or neither (trial AZ m8)
        await zz.api("/api/cases/" + caseId + "/hand-down-supervise", {
          method: "POST",
          json: { version: page.case.version, note: $("cz-action-note").value.trim() || null, deadline: zz.fromInputTime($("cz-p-deadline").value) },
        });
      } else {
        await zz.api("/api/cases/" + caseId + "/actions/" + action, {
          method: "POST",
          json: { version: page.case.version, note: $("cz-action-note").value.trim() || null, params: Object.assign(params(action), fix, asksOf(action)) },
        });
      }
      $("cz-action-form").hidden = true;
      $("cz-action-note").value = "";
      picked = [];
      sessionStorage.removeItem(draftKey(action));
      // what happened (反馈已提交, 已退回, 已办结 …), not 「处置反馈：已完成」 (trial AQ m3)
      const done = action === "hand_down_supervise" ? "已交办并督办" : zz.label("case_action_done", action);
      zz.toast(done + (photos ? "（附现场照片 " + photos + " 张）" : ""), "success");
      await load();
    } catch (err) {
      let text = zz.errorText(err);
      if (err instanceof zz.ApiError && err.status === 409 && err.body && err.body.allowed) {
        text = "案件状态已变化，当前可执行：" + (err.body.allowed.map(actionLabel).join("、") || "无") + "。页面已刷新。";
        await load();
      }
      error.textContent = text;
      error.hidden = false;
    } finally {
      submit.disabled = false;
      submit.textContent = "确定";
    }
  }

  /** The reader's actions on the case (`read`: their read, started with the case's own). */
  async function renderActions(token, read) {
    const box = $("cz-actions");
    let allowed;
    try {
      allowed = await read;
    } catch (error) {
      if (token === loading) box.textContent = "";
      return;
    }
    if (token !== loading) return;
    box.textContent = "";
    $("cz-no-actions").hidden = allowed.allowed.length > 0;
    allowed.allowed.forEach(function (a) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm btn-outline-primary";
      b.dataset.action = a.action;
      b.textContent = a.label;
      b.addEventListener("click", () => openAction(a.action, a.note_required, a.to_level, a.to_unit));
      box.appendChild(b);
    });
    // after a reload, the form of a note left unsent opens again with it
    const drafted = page.draftsOpened ? null : allowed.allowed.find((a) => sessionStorage.getItem(draftKey(a.action)));
    page.draftsOpened = true;
    if (drafted) openAction(drafted.action, drafted.note_required, drafted.to_level, drafted.to_unit);
  }

  // ------------------------------------------------------------------ reporter

  async function unmask(event) {
    event.preventDefault();
    const error = $("cz-unmask-error");
    error.hidden = true;
    try {
      const clear = await zz.unmask("/api/cases/" + caseId + "/reporter", $("cz-unmask-reason").value.trim() || " ");
      page.clear = { reporter_name: clear.reporter_name, reporter_phone: clear.reporter_phone };
      $("cz-reporter-name").textContent = clear.reporter_name || "（未留）";
      $("cz-reporter-phone").textContent = clear.reporter_phone || "（未留）";
      $("cz-reporter-name").dataset.masked = "false";
      $("cz-unmask-reason").value = "";
      $("cz-masked-note").textContent = "已显示完整信息，本次查看已记入审计日志。";
      $("cz-unmask").hidden = true;
    } catch (err) {
      error.textContent = zz.errorText(err); // the API's own Chinese refusal
      error.hidden = false;
    }
  }

  // ------------------------------------------------------------------ load

  // A submit and the case's own live notice each reload the page, and their answers may arrive
  // in either order: only the latest load draws (two used to append their buttons each: 到场
  // 办结 退回 到场 办结 退回, and an earlier answer could overwrite a later one)
  let loading = 0;

  // Every read of the page starts at once, beside /api/me (s48): the actions allowed with the
  // case, not after it is drawn, and on opening the cameras as soon as the account and the case
  // say they are asked, not after the detail and the timeline. The page is drawn once the
  // account has answered (the reporter's note and the cameras follow its role).
  async function load() {
    const token = ++loading;
    const read = zz.api("/api/cases/" + caseId);
    const allowed = zz.api("/api/cases/" + caseId + "/allowed");
    allowed.catch(() => {}); // renderActions says nothing of a refusal: no buttons
    if (!page.place && !page.camerasRead) {
      page.camerasRead = Promise.all([page.ready, read]).then(
        ([ok, c]) => (ok && asksCameras() && c.lon !== null && c.lon !== undefined ? readCameras() : null),
        () => null
      );
    }
    try {
      const [ok, c, events, detail, photos] = await Promise.all([
        page.ready,
        read,
        zz.api("/api/cases/" + caseId + "/events"),
        zz.api("/api/cases/" + caseId + "/detail"),
        // the page without its photos rather than no page
        zz.api("/api/cases/" + caseId + "/photos").catch(() => []),
      ]);
      if (!ok) return; // a 401 went to the login page
      if (token !== loading) return;
      renderCase(c);
      $("cz-contact-deadline").innerHTML = contactText(c, events);
      renderTimeline(events, photos);
      renderDetail(detail);
      $("cz-content").hidden = false;
      renderPlace(c, detail);
      await renderActions(token, allowed);
    } catch (error) {
      if (error instanceof zz.ApiError && error.status === 401) return; // to the login page
      if (token === loading) fail("案件无法显示：" + zz.errorText(error));
    }
  }

  /**
   * The command page's 调度台, 研判分析 and 大屏模式 of the reader's own unit, to whom that page
   * shows them (command.js): 调度台 to a commander (a dispatcher's breadcrumb is his 调度台), the
   * other two to all but a grid worker (trial AM N12: the case page led back only by 工作台).
   */
  function showWaysOn(me) {
    const scope = me.scope_code;
    const ways = {
      "zz-dispatch-link": ["/dispatch/", me.role === "commander"],
      "zz-trends-link": ["/trends/", !["grid_worker", "department", "admin", "auditor"].includes(me.role)],
      "zz-screen-link": ["/screen/", !["grid_worker", "department", "admin", "auditor"].includes(me.role)],
    };
    Object.entries(ways).forEach(function ([id, [path, shown]]) {
      $(id).href = path + scope;
      $(id).hidden = !shown;
    });
  }

  async function init() {
    $("cz-action-form").addEventListener("submit", submitAction);
    $("cz-action-note").addEventListener("input", function () {
      const text = $("cz-action-note").value;
      if (text.trim()) sessionStorage.setItem(draftKey(page.action), text);
      else sessionStorage.removeItem(draftKey(page.action));
    });
    $("cz-action-cancel").addEventListener("click", () => ($("cz-action-form").hidden = true));
    $("cz-unmask").addEventListener("submit", unmask);
    $("cz-unlink-form").addEventListener("submit", submitUnlink);
    $("cz-unlink-cancel").addEventListener("click", () => $("cz-unlink-dialog").close());
    $("cz-locate").addEventListener("click", locate);
    page.ready = zz.me().then(function (me) {
      page.me = me;
      page.meLevel = levelOf(me.scope_code);
      return true;
    }, () => false);
    const opened = load();
    if (!(await page.ready)) return;
    // a department's way back is its desk, not the 指挥调度 it may not open (trial AT m9)
    const back = { dispatcher: ["/dispatch/", "调度台"], department: ["/desk/", "本部门待办"] };
    const [path, label] = back[page.me.role] || ["/console/", "指挥调度"];
    $("cz-back").href = path + page.me.scope_code;
    $("cz-back").textContent = label;
    showWaysOn(page.me);
    // the reporter's unmask form follows the case's detail (renderReporterAccess)
    zz.live({
      case_event: function (e) {
        if (e.case_id === caseId) load();
      },
      import: load, // a file may have corrected or closed this case: imports notify once, not per case
    });
    await opened;
  }

  init();
})();
