/* 本部门待办 (/desk/{code}): a functional department's own desk (trial AQ M1).
 * Loads GET /api/departments/desk and lists its cases by group, 待受理 first; each opens the
 * case page, where the department's actions are (受理, 处置反馈, 办结, 退回). */
(function () {
  "use strict";
  const zz = window.zz;
  const $ = (id) => document.getElementById(id);
  const GROUPS = ["to_accept", "handling", "summoned", "done"];
  const STATUS = { finished: "已办结", returned: "已退回", cancelled: "已撤回" };

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
    when.className = "text-muted small text-nowrap";
    when.textContent = zz.fmtTime(d.at);
    head.append(link, when);
    const meta = document.createElement("div");
    meta.className = "small text-muted";
    const parts = [c.code, d.department];
    if (d.group === "done") parts.push(STATUS[d.status] || d.status);
    if (d.group === "summoned" && d.by) parts.push(d.by + " 吹哨");
    meta.textContent = parts.join(" · ");
    li.append(head, meta);
    if (d.group === "summoned" && d.note) {
      const note = document.createElement("div");
      note.className = "small dk-summon-note";
      note.textContent = "吹哨说明：" + d.note;
      li.appendChild(note);
    }
    return li;
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
      list.replaceChildren(...mine.map(row));
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

  load();
})();
