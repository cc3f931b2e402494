// A phone's console (max-width 768px in the stylesheets: one column, the map on top).
// The buttons on the map (data-zz-toggle="layers" / "legend", shown up to 1100 px) open the
// layer panel or the legend, one at a time: the class zz-m-<name>-open on the map's box
// (data-zz-toggles) lets the page's stylesheet show it. On the 调度台, a case picked in the
// list under the map, or 登记案件, brings the panel below the map into view.
// A grid worker's 我的任务 lists above his tasks the dispatches of his taken back (最近撤回)
// until he taps 知道了, a new dispatch to him is announced in a notice that stays (新派单), and
// the map's village and grid names move off the count circles, which move off one another.
(function () {
  "use strict";

  const phone = window.matchMedia("(max-width: 768px)");

  document.querySelectorAll("[data-zz-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      const host = button.closest("[data-zz-toggles]");
      if (!host) return;
      const open = !host.classList.contains("zz-m-" + button.dataset.zzToggle + "-open");
      host.querySelectorAll("[data-zz-toggle]").forEach(function (other) {
        const on = open && other === button;
        host.classList.toggle("zz-m-" + other.dataset.zzToggle + "-open", on);
        other.setAttribute("aria-expanded", on ? "true" : "false");
        other.classList.toggle("active", on);
      });
    });
  });

  const detail = document.querySelector(".dz-detail");

  /** Scroll the panel below the map into view once it shows (checked `tries` times, 50 ms apart). */
  function bringIntoView(tries) {
    const box = detail.getBoundingClientRect();
    if (box.height === 0) {
      if (tries > 0) setTimeout(() => bringIntoView(tries - 1), 50);
      return;
    }
    const mapBottom = document.querySelector(".dz-map").getBoundingClientRect().bottom;
    if (box.top < mapBottom - 1 || box.top > window.innerHeight * 0.75) {
      detail.scrollIntoView({ block: "start" });
    }
  }

  if (detail) {
    document.addEventListener("click", function (event) {
      if (!phone.matches || !(event.target instanceof Element)) return;
      if (!event.target.closest(".dz-list .list-group-item, #dz-new")) return;
      // once the page's own handler has shown the case or the form: the panel is not displayed
      // while the case loads (a long queue pushed it off the screen, tapped too early)
      setTimeout(() => bringIntoView(20), 0);
    });
  }

  // ---- 最近撤回 (trial AN M1) -------------------------------------------------------------------
  // A worker whose page was closed when a dispatcher took his dispatch back (撤回派单) never saw
  // the live notice (command.js announce). The command feed's `recalled` lists his dispatches
  // recalled in the last days (layers.dispatch.recent_recalls: case, 撤回人, 撤回原因, time);
  // they show above his tasks until he taps 知道了. What he read is kept on this device
  // (localStorage, per account, by dispatch id): another phone or browser shows it again until
  // read there, and the server lists a recall for a few days only, then it goes anyway.

  const tasksCount = document.getElementById("zz-tasks-count");

  /** The command page's state (command.js), once it has the user and the feed. */
  function commandPage() {
    const st = window.zzCommand;
    return st && st.me && st.feed ? st : null;
  }

  function readKey(me) {
    return "zz.recalls-read." + me.id;
  }

  /** The dispatch ids this account read on this device. */
  function readIds(me) {
    try {
      const ids = JSON.parse(localStorage.getItem(readKey(me)) || "[]");
      return Array.isArray(ids) ? ids : [];
    } catch (error) {
      return [];
    }
  }

  function keepRead(me, ids) {
    try {
      localStorage.setItem(readKey(me), JSON.stringify(ids));
    } catch (error) {
      // storage refused (private mode): it shows again on the next visit
    }
  }

  /** 「…4244」: the case number's last four digits, as the live notice and the lists say it. */
  function tail(code) {
    return "…" + String(code || "").slice(-4);
  }

  /** Mark `ids` read, forget the ids the feed no longer lists, and draw the list again. */
  function markRead(ids) {
    const st = commandPage();
    if (!st) return;
    const listed = (st.feed.recalled || []).map((r) => r.dispatch_id);
    const read = readIds(st.me).concat(ids).filter((id, i, all) => listed.includes(id) && all.indexOf(id) === i);
    keepRead(st.me, read);
    showRecalls();
  }

  // the cases (「…4244」) whose live notice was read before the feed, read again 1.5 s after the
  // event, listed the recall: read here as soon as it does
  const noticesRead = new Set();

  function showRecalls() {
    const st = commandPage();
    const pane = document.getElementById("zz-tasks-pane");
    if (!st || !pane || !Array.isArray(st.feed.recalled)) return;
    if (noticesRead.size) {
      const seen = st.feed.recalled.filter((r) => noticesRead.has(tail(r.case_code)));
      if (seen.length) {
        seen.forEach((r) => noticesRead.delete(tail(r.case_code)));
        markRead(seen.map((r) => r.dispatch_id));
        return;
      }
    }
    const read = readIds(st.me);
    const unread = st.feed.recalled.filter((r) => !read.includes(r.dispatch_id));
    let box = document.getElementById("zz-recalls");
    if (!unread.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("section");
      box.id = "zz-recalls";
      box.className = "alert alert-warning py-2 px-2 mb-2 small zz-recalls";
      box.setAttribute("aria-label", "最近撤回的派单");
      const table = document.getElementById("zz-tasks-body").closest("table");
      pane.insertBefore(box, table);
    }
    box.textContent = "";
    const title = document.createElement("div");
    title.className = "fw-semibold mb-1";
    title.textContent = "最近撤回的派单（" + unread.length + "）";
    box.appendChild(title);
    const list = document.createElement("ul");
    list.className = "list-unstyled mb-0";
    unread.forEach(function (r) {
      const item = document.createElement("li");
      item.className = "zz-recall d-flex gap-2 align-items-start py-1";
      item.dataset.dispatchId = r.dispatch_id;
      const text = document.createElement("div");
      text.className = "flex-grow-1";
      const said = document.createElement("div");
      said.textContent = "案件 " + tail(r.case_code) + "「" + r.title + "」的派单已被" + (r.by || "调度员") + "撤回";
      const why = document.createElement("div");
      why.textContent = "撤回原因：" + (r.note || "未填写");
      const when = document.createElement("div");
      when.className = "text-secondary";
      when.textContent = "撤回时间：" + zz.fmtTime(r.at) + " · 案件编号 " + r.case_code;
      text.append(said, why, when);
      const done = document.createElement("button");
      done.type = "button";
      done.className = "btn btn-outline-secondary text-nowrap flex-shrink-0 zz-recall-read";
      done.textContent = "知道了";
      done.addEventListener("click", function () {
        markRead([r.dispatch_id]);
        // the live notice of the same recall, if it is still in the corner
        document.querySelectorAll("#zz-toasts .zz-sticky").forEach(function (notice) {
          if (notice.textContent.includes("案件 " + tail(r.case_code) + " 的派单已被")) notice.remove();
        });
      });
      item.append(text, done);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  if (tasksCount) {
    // command.js writes the count each time it draws 我的任务 from a fresh feed
    new MutationObserver(showRecalls).observe(tasksCount, { childList: true, characterData: true, subtree: true });
    // 知道了 on the live notice 「案件 …4244 的派单已被…撤回」 reads the same recall here
    document.addEventListener(
      "click",
      function (event) {
        if (!(event.target instanceof Element) || !event.target.closest("#zz-toasts .zz-sticky button")) return;
        const said = /案件 (…\d+) 的派单已被/.exec(event.target.closest(".zz-sticky").textContent);
        if (!said) return;
        noticesRead.add(said[1]);
        showRecalls();
      },
      true
    );
  }

  // ---- 新派单 (trial AO M5) and a recalled dispatch given back (M6) ---------------------------
  // A dispatch to the worker changed only 我的任务's count: with the map or the 走访 tab open he
  // did not notice it while its 联系时限 ran. Each task the drawn feed lists that the feed drawn
  // before it did not is announced in a notice that stays until 知道了 (查看 opens the case),
  // and the phone vibrates where it can. The page's first feed announces nothing: 我的任务 opens
  // by itself then and lists every task with its 受理.
  // A case recalled and then dispatched to him again left the live notice 「…撤回：…请勿前往」
  // standing under the new task: it is taken away, and the new notice says 已重新派给您. The
  // recall's live event gives the case's version after the recall: a feed listing the case as his
  // task with a later version was read after a new dispatch to him (an older read, answered late,
  // still lists it as before the recall and changes nothing).
  // One notice a case at a time (trial AP M1): a recall takes its 新派单 notice away, and a new
  // dispatch's notice replaces the case's earlier one, so 「请于…前联系/受理」 never stands beside
  // 「请勿前往」 and two notices of a case do not cover its 受理.

  let shownTasks = null; // the case ids 我的任务 listed in the feed drawn last (null: none yet)
  const recalledTasks = new Map(); // case id → { version, notice } of a recall of his task seen live
  let listening = null; // the live stream this listens to (command.js opens it after the first feed)

  /** 「请于 2026-12-08 10:30 前联系/受理」: the task's 联系时限, or that it has passed. */
  function contactBy(task) {
    if (!task.contact_deadline) return "请尽快联系/受理";
    const at = zz.fmtTime(task.contact_deadline);
    if (Date.parse(task.contact_deadline) <= Date.now()) return "联系时限 " + at + " 已过，请尽快联系/受理";
    return "请于 " + at + " 前联系/受理";
  }

  /** Take away the 新派单 notices of the case still in the corner. */
  function dropNewTaskNotices(caseId) {
    document.querySelectorAll("#zz-toasts .zz-new-task").forEach(function (notice) {
      if (notice.dataset.caseId === String(caseId)) notice.remove();
    });
  }

  function onCaseEvent(e) {
    const st = commandPage();
    if (!st || e.action !== "recall") return;
    // its 新派单 「请于…前联系/受理」 would stand above 「…撤回：…请勿前往」 (trial AP M1)
    dropNewTaskNotices(e.case_id);
    if (!(st.feed.tasks || []).some((t) => t.id === e.case_id)) return;
    // command.js has just shown its notice for it (its listener came first)
    const said = "案件 " + tail(e.case_code) + " 的派单已被";
    const notices = Array.from(document.querySelectorAll("#zz-toasts .zz-sticky")).filter((n) => n.textContent.includes(said));
    recalledTasks.set(e.case_id, { version: e.version, notice: notices[notices.length - 1] || null });
  }

  function listen() {
    const st = commandPage();
    if (!st || !st.live || listening === st.live) return;
    listening = st.live;
    st.live.addEventListener("case_event", function (event) {
      onCaseEvent(JSON.parse(event.data));
    });
  }

  function announceTasks() {
    const st = commandPage();
    if (!st || !Array.isArray(st.feed.tasks) || st.me.role !== "grid_worker") return;
    listen();
    const before = shownTasks;
    shownTasks = new Set(st.feed.tasks.map((t) => t.id));
    if (before === null) return;
    st.feed.tasks.forEach(function (t) {
      const recalled = recalledTasks.get(t.id);
      const back = !!recalled && t.version > recalled.version;
      if (back) {
        recalledTasks.delete(t.id);
        if (recalled.notice) recalled.notice.remove();
      } else if (before.has(t.id) || recalled) {
        return; // listed before, or a read older than its recall
      }
      if (t.state !== "dispatched") return; // already 受理'd elsewhere meanwhile
      dropNewTaskNotices(t.id); // one notice a case: the latest dispatch's
      const head = "新派单：案件 " + tail(t.code) + "「" + t.title + "」";
      const notice = zz.toast(head + (back ? "已重新派给您，此前的撤回不再适用" : "") + "，" + contactBy(t), "primary", {
        sticky: true,
        href: "/cases/" + t.id,
        link: "查看",
      });
      if (notice) {
        notice.classList.add("zz-new-task");
        notice.dataset.caseId = t.id;
      }
      // the browser lets a page vibrate once it was tapped (else it logs a refusal)
      const tapped = !navigator.userActivation || navigator.userActivation.hasBeenActive;
      try {
        if (navigator.vibrate && tapped) navigator.vibrate([200, 100, 200]);
      } catch (error) {
        // no vibration on this device: the notice stays
      }
    });
  }

  if (tasksCount) {
    new MutationObserver(announceTasks).observe(tasksCount, { childList: true, characterData: true, subtree: true });
  }

  // ---- names above the count circles (trial AN N9) ----------------------------------------------
  // The names of the villages or grids (zz.nameLabels: markers of class zz-unit-label in the
  // marker pane) sit at each area's centre, where the cases' count circles (clusters) and dots
  // also gather: 「复安第3网格」 was half hidden. The names are drawn above the markers
  // (command.css), and each is moved, a little, to where it covers no circle, so the counts show
  // too: of the places tried around the centre, the one covering the least marker area, the
  // nearest first.

  /** The places tried for a name `w`×`h` px: its centre, then around it, nearest first. */
  function shifts(w, h) {
    const out = [];
    [0, 0.5, 1, 1.5, 2, 2.5].forEach(function (dy) {
      [0, 0.25, 0.5].forEach(function (dx) {
        [-1, 1].forEach(function (sy) {
          [-1, 1].forEach(function (sx) {
            out.push([sx * dx * w, sy * dy * h]);
          });
        });
      });
    });
    return out.sort((a, b) => Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]));
  }

  /** A marker icon's rectangle in the pane's pixels (Leaflet's own position: not mid-animation). */
  function iconBox(icon) {
    const at = L.DomUtil.getPosition(icon);
    if (!at || !icon.offsetWidth) return null;
    const left = at.x + (parseFloat(icon.style.marginLeft) || 0);
    const top = at.y + (parseFloat(icon.style.marginTop) || 0);
    return { left: left, top: top, right: left + icon.offsetWidth, bottom: top + icon.offsetHeight, circle: icon.classList.contains("zz-cluster") };
  }

  function overlapArea(a, b) {
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > 0 && h > 0 ? w * h : 0;
  }

  // ---- count circles clear of one another (trial AP m9) -----------------------------------------
  // Each layer clusters its own markers, so the count circles of two layers (or two clusters
  // drawn close) fell on one another: a purple 「1…」 under an orange 「4」, a 「2」 over an 「8」.
  // A circle that would overlap one placed before it moves, a little, to the nearest place clear
  // of them all (rings around its own spot, nearest first); the circle of the most cases stays
  // where it is. It moves by its margins (Leaflet placed it by its anchor), from the margins
  // Leaflet gave it, kept on the icon, so placing it again gives the same place.

  /** The count a circle shows (0 when none). */
  function circleCount(icon) {
    return parseInt(icon.textContent, 10) || 0;
  }

  /** The places tried for a circle `size` px wide: its own spot, then rings around it. */
  function circleShifts(size) {
    const out = [[0, 0]];
    for (let ring = 1; ring <= 12; ring++) {
      const r = (ring * size) / 4;
      const steps = 8 + 4 * ring;
      for (let i = 0; i < steps; i++) {
        const a = (2 * Math.PI * i) / steps - Math.PI / 2; // from above, clockwise
        out.push([r * Math.cos(a), r * Math.sin(a)]);
      }
    }
    return out;
  }

  function spreadCircles(icons) {
    const placed = [];
    // the dots (a case, a camera, a worker's position): a circle keeps off them where it can
    const dots = icons.filter((i) => !i.classList.contains("zz-cluster") && !i.classList.contains("zz-unit-label")).map(iconBox).filter(Boolean);
    icons
      .filter((i) => i.classList.contains("zz-cluster") && i.offsetWidth)
      .map(function (icon) {
        if (icon.dataset.zzMargin === undefined) {
          icon.dataset.zzMargin = (parseFloat(icon.style.marginLeft) || 0) + "," + (parseFloat(icon.style.marginTop) || 0);
        }
        const margin = icon.dataset.zzMargin.split(",").map(Number);
        return { icon: icon, at: L.DomUtil.getPosition(icon), margin: margin, count: circleCount(icon) };
      })
      .filter((c) => c.at)
      .sort((a, b) => b.count - a.count || a.at.y - b.at.y || a.at.x - b.at.x)
      .forEach(function (c) {
        const w = c.icon.offsetWidth;
        const h = c.icon.offsetHeight;
        // the nearest place clear of the circles and the dots, else of the circles, else the
        // one covering least
        let best = null;
        circleShifts(Math.max(w, h)).some(function (shift) {
          const left = c.at.x + c.margin[0] + shift[0];
          const top = c.at.y + c.margin[1] + shift[1];
          // a pixel apart, so that their white rings do not touch
          const box = { left: left - 1, top: top - 1, right: left + w + 1, bottom: top + h + 1 };
          const circles = placed.reduce((sum, p) => sum + overlapArea(box, p), 0);
          const covered = circles * 1000 + dots.reduce((sum, d) => sum + overlapArea(box, d), 0);
          if (!best || covered < best.covered) best = { covered: covered, shift: shift };
          return covered === 0;
        });
        const left = Math.round(c.margin[0] + best.shift[0]);
        const top = Math.round(c.margin[1] + best.shift[1]);
        placed.push({ left: c.at.x + left, top: c.at.y + top, right: c.at.x + left + w, bottom: c.at.y + top + h });
        if (c.icon.style.marginLeft !== left + "px") c.icon.style.marginLeft = left + "px";
        if (c.icon.style.marginTop !== top + "px") c.icon.style.marginTop = top + "px";
      });
  }

  function unclutter(pane) {
    // the circles first: the names then stand clear of them where they are drawn
    spreadCircles(Array.from(pane.children));
    const icons = Array.from(pane.children);
    const names = icons.filter((i) => i.classList.contains("zz-unit-label"));
    if (!names.length) return;
    const marks = icons.filter((i) => !i.classList.contains("zz-unit-label")).map(iconBox).filter(Boolean);
    names.forEach(function (name) {
      const span = name.firstElementChild;
      const at = L.DomUtil.getPosition(name);
      if (!span || !at || !span.offsetWidth) return;
      const w = span.offsetWidth;
      const h = span.offsetHeight;
      const near = marks.filter((m) => m.right > at.x - 2 * w && m.left < at.x + 2 * w && m.bottom > at.y - 4 * h && m.top < at.y + 4 * h);
      let best = null;
      shifts(w, h).some(function (shift) {
        // the span's own place in its icon (the line's baseline), then centred on it (command.css)
        const box = { left: at.x + span.offsetLeft - w / 2 + shift[0], top: at.y + span.offsetTop - h / 2 + shift[1] };
        box.right = box.left + w;
        box.bottom = box.top + h;
        // a count circle weighs more than a dot: its number is what must show
        const covered = near.reduce((sum, m) => sum + overlapArea(box, m) * (m.circle ? 3 : 1), 0);
        const cost = covered + Math.hypot(shift[0], shift[1]);
        if (!best || cost < best.cost) best = { cost: cost, shift: shift };
        return covered === 0; // the nearest place clear of every marker
      });
      const dx = Math.round(best.shift[0]);
      const dy = Math.round(best.shift[1]);
      const moved = dx || dy ? "translate(" + dx + "px, " + dy + "px) " : "";
      const transform = moved + "translate(-50%, -50%)";
      if (span.style.transform !== transform) span.style.transform = transform;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const map = window.zzMap;
    if (!map || typeof L === "undefined") return;
    const pane = map.getPane("markerPane");
    let queued = false;
    function soon() {
      if (queued) return;
      queued = true;
      requestAnimationFrame(function () {
        queued = false;
        unclutter(pane);
      });
    }
    // markers added, removed or placed anew (a zoom, the clusters regrouping); not the names'
    // own spans moved here
    new MutationObserver(function (records) {
      if (records.some((r) => r.target === pane || r.target.parentElement === pane)) soon();
    }).observe(pane, { childList: true, subtree: true, attributes: true, attributeFilter: ["style"] });
    map.on("zoomend", soon);
  });
})();
