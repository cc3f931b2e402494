/* 本部门待办 (/desk/{code}): a functional department's own desk (trial AQ M1).
 * Loads GET /api/departments/desk and lists its cases by group, 待受理 first; each opens the
 * case page, where the department's actions are (受理, 处置反馈, 申请延期, 办结, 退回, 吹哨反馈). Each row
 * says who handles the case (承办) and its time limits: 办结时限 while waiting or handled, when
 * a 吹哨 was made, and 已反馈 once answered (trial AT M5), and its 申请延期 (trial AX S5). A
 * superior's 督办 of a case it holds is on its row, listed first (trial BA S5), and each row
 * names the risk level, the repeat calls and a waiting dispatch's 联系时限 (trial BA m5). Above
 * the lists, 本部门办理情况: its month's 收到 / 按时受理 / 办结 / 超期 / 退回 / 满意率 as the county's
 * 部门考核 counts them (GET /api/figures/departments, which gives a department its own rows),
 * 本月, 上月 or a month picked (closing s44 p2: the desk had no figures of its own); its 办结 are
 * those 办结'd in the month, whenever received (finished_in_window), the others by the day
 * the dispatch reached it. */
(function () {
  "use strict";
  const zz = window.zz;
  const $ = (id) => document.getElementById(id);
  const GROUPS = ["to_accept", "handling", "summoned", "answered", "done"];
  const STATUS = { finished: "已办结", returned: "已退回", cancelled: "已撤回" };
  /* what the time at the right of a row is (trial AT M5: it said nothing) */
  const WHEN = { to_accept: "派单", handling: "受理", summoned: "吹哨", answered: "吹哨" };

  function line(cls, text) {
    const div = document.createElement("div");
    div.className = "small " + cls;
    div.textContent = text;
    return div;
  }

  /** 办结时限 of a case still waiting or being handled, 已超期 in red (trial AT M5). */
  function deadline(c) {
    const div = line("dk-deadline", "办结时限：" + (c.deadline ? zz.fmtTime(c.deadline) : "未设定"));
    if (c.deadline && (c.deadline_status === "overdue" || c.deadline_status === "warning")) {
      const flag = document.createElement("span");
      const overdue = c.deadline_status === "overdue";
      flag.className = "ms-2 fw-bold dk-deadline-flag " + (overdue ? "text-danger" : "text-warning-emphasis");
      flag.textContent = overdue ? "已超期" : "临期";
      div.appendChild(flag);
    }
    return div;
  }

  /**
   * The 申请延期 of the case's current round (trial AX S5): 待审延期 while the centre decides,
   * then 已批准延期至 … or 延期申请已驳回 with its reason; null without one.
   */
  function extensionLine(x) {
    if (!x) return null;
    if (x.status === "pending") {
      return line("dk-extension text-warning-emphasis fw-bold", "待审延期：已申请延期至 " + zz.fmtTime(x.requested) + "，等待审批");
    }
    if (x.status === "approved") {
      return line("dk-extension text-success", zz.approvedExtension(x));
    }
    return line("dk-extension text-danger", "延期申请已驳回（" + x.decided_by + "）：" + (x.note || ""));
  }

  function row(c) {
    const d = c.desk;
    const li = document.createElement("li");
    li.className = "list-group-item dk-case";
    li.dataset.caseId = c.id;
    const head = document.createElement("div");
    head.className = "d-flex justify-content-between gap-2";
    const link = document.createElement("a");
    link.href = "/cases/" + c.id;
    link.className = "fw-bold";
    link.textContent = c.title;
    const when = document.createElement("span");
    when.className = "text-muted small text-nowrap dk-when";
    when.textContent = (WHEN[d.group] ? WHEN[d.group] + " " : "") + zz.fmtTime(d.at);
    const titled = document.createElement("span");
    titled.append(riskBadge(c.risk_level), link);
    head.append(titled, when);
    // 承办: who handles the case, not only the department's own name (trial AT M5); a 12345
    // order by the number the department and the hotline speak of (工单号), then its code
    const numbered = c.external_no && !c.external_no_made;
    const parts = [...(numbered ? ["工单号 " + c.external_no] : []), c.code, "承办：" + (d.handler || d.department)];
    // an order the unit above closed is not the department's 办结 (trial BA S2)
    if (d.group === "done" && d.closed_by) parts.push(d.closed_by + "已办结（本部门未办结）");
    else if (d.group === "done") parts.push(d.department + (STATUS[d.status] || d.status));
    if (d.group === "summoned" || d.group === "answered") {
      parts.push((d.by ? d.by + " " : "") + "向" + d.department + "吹哨");
    }
    li.append(head, line("text-muted dk-meta", parts.join(" · ")));
    const open = d.group === "to_accept" || d.group === "handling";
    if (open) li.append(...supervisionLines(c));
    if (open) li.appendChild(deadline(c));
    // what the case page knows, for the desk's triage of the day (trial BA m5)
    const contact = d.group === "to_accept" ? contactLine(c) : null;
    if (contact) li.appendChild(contact);
    if (c.repeat_count > 0) li.appendChild(line("text-danger dk-repeats", "重复反映 " + c.repeat_count + " 次"));
    // the address names another township than the point's: the department going there checks
    // which is right (trial AX M4)
    if (c.address_mismatch && (d.group === "to_accept" || d.group === "handling")) {
      li.appendChild(line("text-danger dk-address-mark", c.address_mismatch.text + "，请核对地址或点位"));
    }
    const extension = extensionLine(c.extension);
    if (extension && (d.group === "to_accept" || d.group === "handling")) li.appendChild(extension);
    if (d.group === "answered") {
      li.appendChild(line("text-success fw-bold dk-answered", "已反馈（" + zz.fmtTime(d.answered_at) + "）"));
    }
    if ((d.group === "summoned" || d.group === "answered") && d.note) {
      li.appendChild(line("dk-summon-note", "吹哨说明：" + d.note));
    }
    return li;
  }

  /** A row, and under a 吹哨's note what it asks of this department itself (trial AZ m7: one
   * note for three departments, no ask of its own). */
  function rowWithAsk(c) {
    const li = row(c);
    const d = c.desk;
    // 重新办理: why the order came back (回访不满意 …), not a plain new order (trial BA M3)
    const again = c.latest && c.latest.reopened;
    if (again && (d.group === "to_accept" || d.group === "handling")) {
      li.appendChild(line("text-danger fw-bold dk-reopened", "重新办理（" + again.actor_name + " " + zz.fmtTime(again.at) + "）：" + (again.note || "")));
    }
    if ((d.group === "summoned" || d.group === "answered") && d.ask) {
      li.appendChild(line("dk-summon-ask fw-bold", "本部门事项：" + d.ask));
    }
    return li;
  }

  /** 红色（重大） … as the case page names the risk level, in its colour (trial BA m5). */
  function riskBadge(level) {
    const badge = document.createElement("span");
    badge.className = "badge me-1 dk-risk";
    badge.style.background = zz.riskColor(level);
    badge.textContent = zz.label("risk_level", level);
    return badge;
  }

  /** 联系时限 of a dispatch not 受理'd yet, 超期 in red, as the case page gives it (trial BA m5). */
  function contactLine(c) {
    if (!c.contact_deadline) return null;
    const left = zz.countdown(c.contact_deadline, null);
    return line("dk-contact" + (left.overdue ? " text-danger fw-bold" : ""), "联系时限：" + zz.fmtTime(c.contact_deadline) + "（" + left.text + "）");
  }

  /** A standing 督办 of the case not answered yet: the desk lists it first (trial BA S5). */
  function supervisedFirst(c) {
    return c.latest && c.latest.supervised && !c.latest.replied ? 0 : 1;
  }

  /**
   * 被督办（by whom, when, 督办时限）：督办意见 of a superior's 督办 standing on the case, and the
   * 督办回复 sent since (trial BA S5: the city's 督办 of 人社局's order never reached its desk).
   */
  function supervisionLines(c) {
    const sup = c.latest && c.latest.supervised;
    if (!sup) return [];
    const until = (sup.payload && sup.payload.deadline) || c.supervision_deadline;
    const said = [line("text-danger fw-bold dk-supervised",
      "被督办（" + sup.actor_name + " " + zz.fmtTime(sup.at) + " 督办，督办时限 " + zz.fmtTime(until) + "）：" + (sup.note || ""))];
    const replied = c.latest.replied;
    if (replied) {
      said.push(line("text-success dk-supervision-replied", "督办回复已报送（" + zz.fmtTime(replied.at) + "）：" + (replied.note || "")));
    } else {
      said.push(line("text-muted dk-supervision-todo", "请在案件详情中办理，并用「督办回复」报送办理情况"));
    }
    return said;
  }

  async function load() {
    let body;
    try {
      body = await zz.api("/api/departments/desk");
    } catch (error) {
      $("dk-error").textContent = "加载失败：" + zz.errorText(error);
      $("dk-error").hidden = false;
      return;
    }
    $("dk-department").textContent = body.department;
    GROUPS.forEach(function (g) {
      const list = $("dk-list-" + g);
      const mine = body.cases.filter((c) => c.desk.group === g);
      mine.sort((a, b) => supervisedFirst(a) - supervisedFirst(b)); // 被督办 first (trial BA S5)
      list.replaceChildren(...mine.map(rowWithAsk));
      if (!mine.length) {
        const empty = document.createElement("li");
        empty.className = "list-group-item text-muted small";
        empty.textContent = "暂无";
        list.appendChild(empty);
      }
      $("dk-count-" + g).textContent = String(mine.length);
    });
    window.zzReady = true;
  }

  /* 本部门办理情况: the figures shown, in this order (the API's keys) */
  const FIGURES = [
    ["received", "收到"],
    ["accepted_on_time", "按时受理"],
    ["finished", "办结"],
    ["overdue", "超期"],
    ["returned", "退回"],
    ["satisfied_share", "满意率"],
  ];
  let figuresToken = 0;

  /** The month before `month` (2026-01 → 2025-12). */
  function monthBefore(month) {
    const [y, m] = month.split("-").map(Number);
    return m === 1 ? y - 1 + "-12" : y + "-" + String(m - 1).padStart(2, "0");
  }

  /** One figure: its label over its value; 超期 in red when any, 按时受理 with the 受理 it is of. */
  function figure(key, label, row) {
    const box = document.createElement("div");
    box.className = "dk-figure";
    box.dataset.key = key;
    const name = document.createElement("div");
    name.className = "small text-muted";
    name.textContent = label;
    const value = document.createElement("div");
    value.className = "fs-5 fw-bold dk-figure-value" + (key === "overdue" && row.overdue > 0 ? " text-danger" : "");
    const share = row.satisfied_share;
    value.textContent = key === "satisfied_share" ? (share === null ? "无" : (share * 100).toFixed(1) + "%") : String(row[key]);
    box.append(name, value);
    if (key === "accepted_on_time") box.appendChild(line("text-muted", "受理 " + row.accepted + " 件"));
    if (key === "finished") box.appendChild(line("text-muted", "按办结时间计"));
    if (key === "satisfied_share") box.appendChild(line("text-muted", "回访 " + row.visited + " 件"));
    return box;
  }

  /** The month's figures of the departments this account acts for, their 合计 if several. */
  async function loadFigures() {
    const mine = ++figuresToken;
    const picker = $("dk-figures-month");
    const thisMonth = zz.beijingDay(0).slice(0, 7);
    const month = picker.value || thisMonth;
    $("dk-figures-this").classList.toggle("active", month === thisMonth);
    $("dk-figures-last").classList.toggle("active", month === monthBefore(thisMonth));
    $("dk-figures-error").hidden = true;
    let found;
    try {
      found = await zz.api("/api/figures/departments?period=month&date=" + month + "-01");
    } catch (error) {
      if (mine !== figuresToken) return;
      $("dk-figures-values").replaceChildren();
      $("dk-figures-error").textContent = "办理情况加载失败：" + zz.errorText(error);
      $("dk-figures-error").hidden = false;
      return;
    }
    if (mine !== figuresToken) return;
    $("dk-figures-window").textContent =
      "统计时段 " + found.window.text + "（办结按办结时间，其余按派给本部门的时间）";
    // the month's 办结 by the day of the 办结, not by the day its dispatch came (an order of the
    // 30th 办结'd on the 2nd is the next month's)
    const shown = Object.assign({}, found.total, { finished: found.finished_in_window });
    $("dk-figures-values").replaceChildren(...FIGURES.map(([key, label]) => figure(key, label, shown)));
    // an account acting for several departments (a county's shared account): each one's 收到
    const several = found.rows.length > 1;
    $("dk-figures-rows").hidden = !several;
    $("dk-figures-rows").textContent = several
      ? "其中：" + found.rows.map((r) => r.department + (r.county_name ? "（" + r.county_name + "）" : "") + " 收到 " + r.received + " 件").join("；")
      : "";
    $("dk-figures-values").title = "说明：" + found.finished_in_note + "。其余各项：" + found.note;
  }

  function pickMonth(month) {
    $("dk-figures-month").value = month;
    loadFigures();
  }

  const picker = $("dk-figures-month");
  picker.max = picker.value = zz.beijingDay(0).slice(0, 7);
  picker.addEventListener("change", loadFigures);
  $("dk-figures-this").addEventListener("click", () => pickMonth(zz.beijingDay(0).slice(0, 7)));
  $("dk-figures-last").addEventListener("click", () => pickMonth(monthBefore(zz.beijingDay(0).slice(0, 7))));

  load();
  loadFigures();
})();
