// Shared by every console page: API calls with the session cookie, the current user, Chinese
// labels of the code tables, time formatting, deadline countdowns, toasts, the live stream, the
// audited read of clear personal data (unmask, reasonForm) and the top bar's 数据导入 and 账号管理
// links.
// Pages use the global `zz`; nothing here touches a page's own elements but the top bar.
"use strict";
(function () {
  const tables = JSON.parse(document.getElementById("zz-code-tables").textContent);

  // Leaflet's own controls are titled in English (Zoom in, Zoom out, the layer switcher's
  // Layers): in Chinese on every map of the console, set before a page builds its map
  if (window.L) {
    L.Control.Zoom.mergeOptions({ zoomInTitle: "放大", zoomOutTitle: "缩小" });
    const addLayers = L.Control.Layers.prototype.onAdd;
    L.Control.Layers.include({
      onAdd: function (map) {
        const box = addLayers.call(this, map);
        this._layersLink.title = "图层";
        return box;
      },
    });
  }

  /**
   * The server's own Chinese message in an error body: `detail`, or `message` when `detail` is
   * the structured list of a request-validation error (422). Empty when there is none.
   */
  function serverText(body) {
    if (!body || typeof body !== "object") return "";
    const text = typeof body.detail === "string" ? body.detail : body.message || body.title || "";
    return /[\u4e00-\u9fff]/.test(text) ? text : "";
  }

  /** An API error: `status` is the HTTP status, `body` the parsed JSON error (if any). */
  class ApiError extends Error {
    constructor(status, body) {
      super(serverText(body) || "请求失败（" + status + "）");
      this.status = status;
      this.body = body;
    }
  }

  /**
   * To the login page, and back here once logged in. `expired`: the login this page had has
   * ended, which the login page says (trial AZ M5: 「登录已过期…已填写的内容已保留」, the forms'
   * drafts being kept in this tab).
   */
  function toLogin(expired) {
    const next = window.location.pathname + window.location.search;
    window.location.assign("/login?next=" + encodeURIComponent(next) + (expired ? "&reason=expired" : ""));
  }
  let signedIn = false; // /api/me answered on this page: a 401 now means the login ended
  let loggingOut = false; // 退出 clicked: a read refused meanwhile is no ended login
  // 退出 ends the page's reads and live streams before the server ends the login: each came
  // back 401 meanwhile, a 「Failed to load resource」 in the browser's console for every read
  // and for the stream the server closed and the browser opened again (a clean-clone run)
  const leaving = new AbortController();
  const streams = new Set();

  // A page that must not leave for the login page when its session ends (the big screen: it
  // keeps its last figures under a notice, trial AR M4) says what to do instead (whenExpired).
  let expiredHandler = null;
  function whenExpired(handler) {
    expiredHandler = handler;
  }

  /** Whether division code `code` lies inside the scope `scope` (its significant digits). */
  function withinScope(scope, code) {
    const cuts = [2, 4, 6, 9, 12];
    let keep = 2;
    cuts.forEach(function (cut, i) {
      if (i && !/^0+$/.test(scope.slice(cuts[i - 1], cut))) keep = cut;
    });
    return code.startsWith(scope.slice(0, keep));
  }

  /**
   * The page of another unit than the account's own or one below it (a village's commander on
   * its township's 调度台, trial AQ m6): instead of an empty 本级 desk or 加载失败, the page says
   * what the trends page says, 「辖区 … 不存在或不在您的管辖范围内」, with a link to the same page
   * of the account's own unit. Resolves to whether the page may go on; also called with
   * `message` when the API refused the unit (a code that names no unit).
   */
  async function guardUnit(code, message) {
    let user;
    try {
      user = await me();
    } catch (error) {
      return false; // a 401 went to the login page
    }
    if (!message && withinScope(user.scope_code, code)) return true;
    const main = document.querySelector(".zz-main");
    const card = document.createElement("div");
    card.className = "zz-refused card shadow-sm";
    card.id = "zz-refused";
    card.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.id = "zz-refused-text";
    text.textContent = message || "辖区 " + code + " 不存在或不在您的管辖范围内";
    const home = document.createElement("a");
    home.id = "zz-refused-home";
    home.className = "btn btn-primary";
    home.href = window.location.pathname.replace(code, user.scope_code);
    home.textContent = "返回本辖区";
    card.append(text, home);
    // the page's own elements stay (hidden: its scripts may still be drawing into them)
    main.classList.add("zz-refused-page");
    if (!document.getElementById("zz-refused")) main.appendChild(card);
    return false;
  }

  // What an account whose password must change first may still ask (api/deps.py
  // PASSWORD_CHANGE_PATHS): the API answers anything else 403 「请先修改密码：…」.
  const PASSWORD_CHANGE_PATHS = ["/api/me", "/api/me/password", "/api/auth/logout"];

  /**
   * Whether the page waits for the password change instead of failing (trial AS m9, AT m9): a
   * console page, whose 「请先修改密码」 dialog (password.js) says why and loads the page again
   * once the password is changed. Its reads stay unanswered meanwhile: no 「加载失败」 panel,
   * red bar or toast behind the dialog.
   */
  function waitsForPassword() {
    return passwordDue && document.getElementById("zz-password-dialog") !== null;
  }
  const UNANSWERED = () => new Promise(function () {});

  /**
   * Fetch JSON from the platform; a 401 sends the user to the login page (see whenExpired).
   * While the password must change first, a console page's reads wait for it (waitsForPassword).
   */
  async function api(path, options) {
    const allowed = PASSWORD_CHANGE_PATHS.includes(new URL(path, window.location.href).pathname);
    if (!allowed && !passwordDue && meFirst && document.getElementById("zz-password-dialog")) {
      // the page a login lands on asks nothing else before the account is read: a first
      // login's page fired its reads meanwhile, each refused 403 behind the dialog (trial AZ m4)
      try {
        if ((await me()).must_change_password) passwordDue = true;
      } catch (error) {
        // a 401 went to the login page; the read below says what else went wrong
      }
    }
    if ((waitsForPassword() && !allowed) || loggingOut) {
      return UNANSWERED();
    }
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers = Object.assign({ "Content-Type": "application/json" }, opts.headers);
      delete opts.json;
    }
    opts.signal = opts.signal ? AbortSignal.any([opts.signal, leaving.signal]) : leaving.signal;
    let response;
    try {
      response = await (opts.progress ? sentWithProgress(path, opts) : fetch(path, opts));
    } catch (error) {
      if (loggingOut) return UNANSWERED(); // ended by 退出: logout() goes to the login page
      throw error;
    }
    if (response.status === 401) {
      const said = await response.text().catch(() => "");
      if (loggingOut) return UNANSWERED(); // logout() goes to the login page itself
      if (expiredHandler) expiredHandler();
      else toLogin(signedIn || said.includes("过期"));
      throw new ApiError(401, null);
    }
    let text;
    try {
      text = await response.text();
    } catch (error) {
      if (loggingOut) return UNANSWERED(); // its body cut short by 退出
      throw error;
    }
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (error) {
        body = text;
      }
    }
    if (!response.ok) {
      const refused = new ApiError(response.status, body);
      // the password must change first: the dialog says so (opened now if the password aged
      // while the page was open), the page's own failures need not
      if (response.status === 403 && refused.message.startsWith("请先修改密码")) {
        if (!passwordDue) {
          passwordDue = true;
          stored(() => localStorage.setItem(PASSWORD_DUE_KEY, "1")); // the next page waits for /api/me
          document.dispatchEvent(new CustomEvent("zz:password-due", { detail: { reason: refused.message } }));
        }
        if (waitsForPassword()) return UNANSWERED();
      }
      throw refused;
    }
    return body;
  }
  let passwordDue = false;

  // Where a console page's reads wait for /api/me before they start (api): on the page a login
  // lands on (a first login's, whose password an administrator set, trial AZ m4), and while this
  // browser last heard that the password must change (PASSWORD_DUE_KEY). Elsewhere they start
  // beside /api/me, a round trip sooner (s48): a password that must change since is told by the
  // first read refused 「请先修改密码」, which opens the dialog and holds the page's reads.
  const PASSWORD_DUE_KEY = "zz-password-due";
  function stored(write) {
    try {
      return write();
    } catch (error) {
      return null; // storage refused (a private window): nothing kept
    }
  }
  function fromLogin() {
    try {
      const from = new URL(document.referrer);
      return from.origin === window.location.origin && from.pathname === "/login";
    } catch (error) {
      return false; // no referrer: opened from a link elsewhere, typed or bookmarked
    }
  }
  const meFirst = fromLogin() || stored(() => localStorage.getItem(PASSWORD_DUE_KEY)) !== null;

  let mePromise = null;
  /** The current user (`/api/me`), fetched once per page. */
  function me() {
    if (mePromise === null) {
      mePromise = api("/api/me");
      mePromise.then(function (m) {
        signedIn = true;
        if (m.must_change_password) passwordDue = true; // the page's reads wait (api, live)
        stored(() => (m.must_change_password ? localStorage.setItem(PASSWORD_DUE_KEY, "1") : localStorage.removeItem(PASSWORD_DUE_KEY)));
      }, () => {});
    }
    return mePromise;
  }

  /** Chinese label of `code` in code table `table` (the code itself when unknown). */
  function label(table, code) {
    const t = tables[table] || {};
    return code === null || code === undefined ? "" : t[String(code)] || String(code);
  }

  /** The code table of each category's sub-categories (layers.model.cases.SUBTYPES). */
  const SUBTYPE_TABLES = { dispute: "dispute_type", safety_hazard: "hazard_type", public_opinion: "opinion_type" };

  /** The code table of the sub-categories of `category` (undefined: it has none). */
  function subtypeTable(category) {
    return SUBTYPE_TABLES[category];
  }

  /** `矛盾纠纷 / 邻里纠纷`: a case's category and, when it has one, its sub-category. */
  function categoryLabel(category, subcategory) {
    const sub = subcategory ? " / " + label(subtypeTable(category) || "", subcategory) : "";
    return label("category", category) + sub;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // Times are shown and typed in the centre's time, 北京时间 (UTC+8, no daylight saving), whatever
  // the time zone of the machine the browser runs on.
  const BEIJING_MS = 8 * 3600 * 1000;

  /** The fields of an instant in 北京时间 (read them with getUTC…). */
  function beijing(date) {
    return new Date(date.getTime() + BEIJING_MS);
  }

  /** `2026-12-01 09:30` (`09:30:05` with `seconds`) in 北京时间. */
  function fmtTime(iso, seconds) {
    if (!iso) return "";
    const d = beijing(new Date(iso));
    return (
      d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + (seconds ? ":" + pad(d.getUTCSeconds()) : "")
    );
  }

  /**
   * An approved 申请延期 as the case page and the desk say it (trial BA m1): the date approved,
   * the date asked for when the approval shortened it, and who approved with what they said:
   * 已批准延期至 2026-12-28 18:00（申请 2026-12-31 18:00；盘溪镇乡镇调度员：同意延期，但须…）.
   */
  function approvedExtension(x) {
    const asked = x.requested && Date.parse(x.requested) !== Date.parse(x.deadline) ? "申请 " + fmtTime(x.requested) + "；" : "";
    return "已批准延期至 " + fmtTime(x.deadline) + "（" + asked + x.decided_by + (x.note ? "：" + x.note : "") + "）";
  }

  /** The value of an `<input type=datetime-local>` showing `date` in 北京时间. */
  function inputTime(date) {
    return fmtTime(date.toISOString()).replace(" ", "T");
  }

  /** `2026-12-05`: the day in 北京时间 `days` (default 0) from today, as `<input type=date>` takes it. */
  function beijingDay(days) {
    return beijing(new Date(Date.now() + (days || 0) * 24 * 3600 * 1000)).toISOString().slice(0, 10);
  }

  /** The instant (ISO) an `<input type=datetime-local>` value names in 北京时间; null if empty. */
  function fromInputTime(value) {
    if (!value) return null;
    const seconds = value.length === 16 ? ":00" : "";
    return new Date(value + seconds + "+08:00").toISOString();
  }

  /** The instant (ISO) a day of an `<input type=date>` starts in 北京时间, `days` later. */
  function dayStart(value, days) {
    if (!value) return null;
    const [y, m, d] = value.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + (days || 0)) - BEIJING_MS).toISOString();
  }

  /**
   * Countdown to a deadline: {text: "剩余 2天3小时" | "超期 5小时", overdue, soon}.
   * soon (临期) from warnIso on: the server's deadline_warn_at, so that the colour agrees with
   * its deadline_status under the centre's warn_fraction; never without it.
   */
  function countdown(deadlineIso, warnIso, now) {
    if (!deadlineIso) return { text: "无时限", overdue: false, soon: false };
    const at = now || Date.now();
    const ms = new Date(deadlineIso).getTime() - at;
    const abs = Math.abs(ms);
    const days = Math.floor(abs / 86400000);
    const hours = Math.floor((abs % 86400000) / 3600000);
    const minutes = Math.floor((abs % 3600000) / 60000);
    const span = days > 0 ? days + "天" + hours + "小时" : hours > 0 ? hours + "小时" + minutes + "分" : minutes + "分钟";
    const soon = ms >= 0 && !!warnIso && at >= new Date(warnIso).getTime();
    return { text: (ms < 0 ? "超期 " : "剩余 ") + span, overdue: ms < 0, soon: soon };
  }

  /** CSS colour of a risk level (1 red … 4 blue). */
  function riskColor(level) {
    return { 1: "#d7191c", 2: "#fd8d3c", 3: "#e6b800", 4: "#2c7bb6" }[Number(level)] || "#777777";
  }

  /**
   * The 催办 mark of a listed case (its `reminders` since it last changed hands or state), or
   * null: 催办 on one, 催办×N on more; its title names the last, when, by whom, what was said.
   */
  function reminderMark(reminders) {
    if (!reminders || !reminders.length) return null;
    const last = reminders[reminders.length - 1];
    return {
      text: "催办" + (reminders.length > 1 ? "×" + reminders.length : ""),
      title: "最近催办：" + fmtTime(last.at) + " " + last.by + (last.note ? "：" + last.note : ""),
    };
  }

  /**
   * 已派单 40 分钟未受理 (1小时20分钟, 2天3小时): a case's dispatch waiting for its 受理 past the
   * limit of its risk (`awaiting`: {since, late_at}, layers/urgency.py; trial AZ M7), counted
   * from the dispatch's time; "" before the limit or without a waiting dispatch.
   */
  function awaitingText(awaiting, now) {
    if (!awaiting) return "";
    const at = now || Date.now();
    if (at < Date.parse(awaiting.late_at)) return "";
    const minutes = Math.max(0, Math.floor((at - Date.parse(awaiting.since)) / 60000));
    const hours = Math.floor(minutes / 60);
    const span = minutes < 60 ? minutes + " 分钟" : hours < 24 ? hours + "小时" + (minutes % 60) + "分钟" : Math.floor(hours / 24) + "天" + (hours % 24) + "小时";
    return "已派单 " + span + "未受理";
  }

  /** States of a case nobody has taken up yet: its 联系时限 runs (layers/urgency.py NOT_TAKEN_UP). */
  const NOT_TAKEN_UP = ["registered", "triaged", "escalated", "dispatched"];

  /**
   * 联系时限 03:40 of a case nobody has taken up yet, once it is less than a day away (or past):
   * the clock time alone within 24 hours of now, so that a red case's limit two hours off reads
   * as a time of this night (trial AZ M7: 03:00 read like 23:00), month and day before it when
   * passed longer ago. {text, title, past}, or null.
   */
  function contactDue(c, now) {
    // 受理'd once, its 联系时限 was met: not after a 退回 or a 上报 either (urgency.contact_passed)
    if (!c.contact_deadline || !NOT_TAKEN_UP.includes(c.state) || c.taken_up || (c.latest && c.latest.taken_up)) return null;
    const at = now || Date.now();
    const due = Date.parse(c.contact_deadline);
    if (due - at >= 86400000) return null;
    const full = fmtTime(c.contact_deadline);
    const past = due <= at;
    const shown = at - due < 86400000 ? full.slice(11) : full.slice(5);
    return {
      text: "联系时限 " + shown + (past ? " 已过" : ""),
      title: "请于 " + full + " 前联系当事人并受理（" + countdown(c.contact_deadline, null, at).text + "）",
      past: past,
    };
  }

  /** Show a case state in a badge: its Chinese name, coloured by `.zz-state[data-state]`. */
  function stateBadge(el, stateCode) {
    el.classList.add("zz-state");
    el.textContent = label("case_state", stateCode);
    el.dataset.state = stateCode;
  }

  const ERROR_TEXT = {
    Conflict: "操作冲突：案件已被他人处理，或当前状态不允许该操作",
    StaleDataError: "数据已被他人修改，请刷新后重试",
    NotFound: "对象不存在或不在您的辖区内",
    Forbidden: "您无权执行该操作",
    InvalidValue: "输入的值无法保存",
    RequestValidationError: "输入有误，请检查后重试",
  };

  /** Chinese text for an error thrown by `api` (or any error): the server's message first. */
  function errorText(error) {
    if (error instanceof ApiError) {
      const own = serverText(error.body);
      if (own) return own;
      const code = error.body && error.body.code;
      if (code && ERROR_TEXT[code]) return ERROR_TEXT[code];
      if (error.status === 404) return ERROR_TEXT.NotFound;
      if (error.status === 403) return ERROR_TEXT.Forbidden;
      if (error.status === 409) return ERROR_TEXT.Conflict;
      if (error.status === 422) return ERROR_TEXT.RequestValidationError;
      return "请求失败（" + error.status + "）";
    }
    return "无法连接服务器，请稍后再试";
  }

  /**
   * Show `text` in the corner for five seconds; kind is "info", "success" or "danger". A notice
   * that must not be missed (`options.sticky`: a red case, a case reported up) stays until its
   * 知道了 is clicked, with a link to what it is about (`options.href`, `options.link`); at most
   * STICKY_KEPT stay, the oldest go first. Returns the notice (to take it away sooner), if shown.
   */
  const STICKY_KEPT = 5;
  function toast(text, kind, options) {
    const box = document.getElementById("zz-toasts");
    if (!box || (passwordDue && kind === "danger")) return;
    const o = options || {};
    const item = document.createElement("div");
    item.className = "alert alert-" + (kind || "info") + " py-2 px-3 mb-2 shadow-sm";
    item.setAttribute("role", "status");
    item.textContent = text;
    if (!o.sticky) {
      box.appendChild(item);
      setTimeout(function () {
        item.remove();
      }, 5000);
      return item;
    }
    item.classList.add("zz-sticky");
    const bar = document.createElement("div");
    bar.className = "d-flex gap-3 justify-content-end mt-1";
    if (o.href) {
      const a = document.createElement("a");
      a.className = "alert-link";
      a.href = o.href;
      a.textContent = o.link || "查看";
      bar.appendChild(a);
    }
    const done = document.createElement("button");
    done.type = "button";
    done.className = "btn btn-link btn-sm p-0 alert-link";
    done.textContent = "知道了";
    done.addEventListener("click", function () {
      item.remove();
    });
    bar.appendChild(done);
    item.appendChild(bar);
    box.appendChild(item);
    const kept = box.querySelectorAll(".zz-sticky");
    for (let i = 0; i < kept.length - STICKY_KEPT; i += 1) kept[i].remove();
    return item;
  }

  /**
   * Subscribe to the live stream (`/api/events`); handlers by event name (case_event, worker,
   * import, alert).
   * The returned EventSource's `zzReady` turns true once the server listens to the database:
   * every change committed after that arrives.
   */
  function live(handlers) {
    if (waitsForPassword() || loggingOut) {
      // refused until the password is changed, then the page loads again (trial AZ m4): a
      // stream that never opens, not a 403 in the browser's console
      const none = new EventTarget();
      return Object.assign(none, { zzReady: false, readyState: 2, close: () => {} });
    }
    const source = new EventSource("/api/events", { withCredentials: true });
    streams.add(source);
    source.zzReady = false;
    source.addEventListener("ready", function () {
      source.zzReady = true;
    });
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) {
        handlers[name](JSON.parse(event.data));
      });
    });
    return source;
  }

  /**
   * What an `import` event (the new cases of one import inside the user's scope) tells an
   * operator: the open ones wait for triage. Null when it brought none (a settled history).
   */
  function importNews(e) {
    if (!e.open) return null;
    const text = "导入新案件 " + e.open + " 件，待分流";
    return e.open_repeats ? text + "（其中重复反映 " + e.open_repeats + " 件）" : text;
  }

  /** Escape text for insertion into HTML strings (popups, table cells). */
  function esc(value) {
    return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /** Reasons often given for reading a person's clear identity, offered before free text. */
  const UNMASK_REASONS = ["核实走访对象身份", "处置案件需联系当事人", "开展帮扶救助需核实身份", "排查化解矛盾纠纷需核实身份"];

  /**
   * Read clear personal data at an audited address (`/api/persons/{id}/unmasked`,
   * `/api/cases/{id}/reporter`): the stated reason goes in the JSON body, never in the URL (the
   * server's log keeps URLs). Resolves to the API's answer; a refusal rejects with an ApiError
   * whose errorText is the API's own Chinese message. The caller keeps the answer in the page's
   * DOM only (never in the URL or the browser's storage) and forgets it when it is closed.
   */
  function unmask(path, reason) {
    return api(path, { method: "POST", json: { reason: reason } });
  }

  /**
   * A visit's photos in an unmasked read: 照片 N 张 and the thumbnails the read gave (inline),
   * each opening the photo as part of that read (?read=its audit entry: each opened is audited).
   */
  function visitPhotos(clear, v) {
    const strip = document.createElement("div");
    strip.className = "zz-visit-photos d-flex flex-wrap align-items-center gap-1";
    const count = document.createElement("span");
    count.className = "text-muted";
    count.textContent = "照片 " + v.photos.length + " 张";
    strip.appendChild(count);
    v.photos.forEach(function (ph, i) {
      const link = document.createElement("a");
      link.href = "/api/persons/" + clear.id + "/visit-photos/" + ph.id + "?read=" + clear.audit_id;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.title = "走访照片 " + (i + 1) + "（" + ph.width + "×" + ph.height + "，查看将记入审计日志）";
      const img = document.createElement("img");
      img.className = "zz-visit-photo";
      img.src = ph.thumbnail;
      img.alt = "走访照片 " + (i + 1);
      img.style.cssText = "width:56px;height:56px;object-fit:cover;border-radius:4px;border:1px solid #ccc";
      link.appendChild(img);
      strip.appendChild(link);
    });
    return strip;
  }

  /**
   * What an unmasked read of a person gives beyond the name and ID, as a block to show under
   * them: 居住地址, 列管日期, the category's fields, and the last visits (day · visitor · what
   * was found). Classed zz-clear: the caller removes it with the clear name when it closes.
   */
  function personRecord(clear) {
    const box = document.createElement("div");
    box.className = "zz-clear zz-person-record small";
    const rows = [["居住地址", clear.address], ["列管日期", clear.on_record_since]]
      .concat((clear.details || []).map((d) => [d.label, d.value]))
      .concat(clear.ended_on ? [["注销", clear.ended_on + "（" + (clear.ended_reason || "原因未注明") + "）"]] : [])
      .filter((r) => r[1]);
    const table = document.createElement("table");
    table.className = "zz-popup-table";
    rows.forEach(function ([label, value]) {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.textContent = label;
      tr.appendChild(th);
      tr.insertCell().textContent = value;
    });
    box.appendChild(table);
    const title = document.createElement("div");
    title.className = "fw-semibold mt-1";
    title.textContent = clear.visits && clear.visits.length ? "最近走访" : "最近走访：无记录";
    box.appendChild(title);
    const list = document.createElement("ul");
    list.className = "list-unstyled mb-0 zz-person-visits";
    (clear.visits || []).forEach(function (v) {
      const li = document.createElement("li");
      // a visit that did not find the person says so (trial AW S2)
      const found = v.outcome && v.outcome !== "met" ? " · " + label("visit_outcome", v.outcome) : "";
      li.textContent = v.visited_on + " · " + (v.visitor || "走访人未记") + found + (v.note ? " · " + v.note : "");
      if (v.photos && v.photos.length) li.appendChild(visitPhotos(clear, v));
      list.appendChild(li);
    });
    box.appendChild(list);
    return box;
  }

  /**
   * A small form asking why clear data is needed: a common reason to pick (it fills the text,
   * which stays editable), free text, 确定 and 取消, and a line for the refusal.
   * `onReason(reason)` is awaited on 确定 (its rejection is shown with errorText); `onCancel()`
   * on 取消. Returns the form (`form.zz-unmask-form`). `wording` asks for another short text
   * the same way (an alert's 处置情况): `{ label, note, noun, choices }`.
   */
  function reasonForm(onReason, onCancel, wording) {
    const w = Object.assign({ label: "查看事由", note: "将记入审计日志", noun: "事由", choices: UNMASK_REASONS }, wording || {});
    const form = document.createElement("form");
    form.className = "zz-unmask-form small";
    form.innerHTML =
      '<div class="mb-1">' + esc(w.label + "（" + w.note + "）") + "</div>" +
      '<select class="form-select form-select-sm mb-1 zz-unmask-choice" aria-label="' + esc("常用" + w.noun) + '">' +
      '<option value="">' + esc("选择常用" + w.noun + "…") + "</option>" +
      w.choices.map((r) => '<option value="' + esc(r) + '">' + esc(r) + "</option>").join("") +
      "</select>" +
      '<input class="form-control form-control-sm zz-unmask-reason" maxlength="500" aria-label="' + esc(w.label) + '" placeholder="' + esc("或直接填写" + w.noun) + '">' +
      '<div class="text-danger mt-1 zz-unmask-error" role="alert" hidden></div>' +
      '<div class="d-flex gap-2 mt-1">' +
      '<button class="btn btn-sm btn-danger zz-unmask-submit" type="submit">确定</button>' +
      '<button class="btn btn-sm btn-outline-secondary zz-unmask-cancel" type="button">取消</button></div>';
    const choice = form.querySelector(".zz-unmask-choice");
    const input = form.querySelector(".zz-unmask-reason");
    const error = form.querySelector(".zz-unmask-error");
    choice.addEventListener("change", function () {
      if (choice.value) input.value = choice.value;
    });
    form.querySelector(".zz-unmask-cancel").addEventListener("click", () => onCancel());
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.hidden = true;
      const reason = input.value.trim();
      if (!reason) {
        error.textContent = "请选择或填写" + w.label;
        error.hidden = false;
        return;
      }
      const submit = form.querySelector(".zz-unmask-submit");
      submit.disabled = true;
      try {
        await onReason(reason);
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  /**
   * Roles that may import some kind of file (layers.accounts.may_import), each in any scope
   * (layers.accounts.IMPORT_KINDS gives each grids at least, without condition): the top bar's
   * 数据导入 link follows the role; the others would get a 403 from /api/imports/kinds.
   */
  const IMPORT_ROLES = ["admin", "commander", "dispatcher"];

  let kindsPromise = null;
  /** What this account may import (`/api/imports/kinds`), fetched once per page, when used. */
  function importKinds() {
    if (kindsPromise === null) {
      kindsPromise = api("/api/imports/kinds");
    }
    return kindsPromise;
  }

  /**
   * Show the top bar's 数据导入 link to an account that may import some kind (not on the wall):
   * its role says so, the kinds themselves are read by the imports page (s48: every page asked
   * /api/imports/kinds on opening for this link alone).
   */
  function showImportLink(m) {
    const link = document.getElementById("zz-imports-link");
    if (!link || !IMPORT_ROLES.includes(m.role) || document.body.classList.contains("zz-screen")) return;
    link.hidden = false;
    if (window.location.pathname === "/imports") link.classList.add("active"); // this page
  }

  /** Log out (the server clears the cookie) and go to the login page. */
  async function logout() {
    // a read in flight, refused once the server ended the login, would go to the login page
    // first as 「登录已过期」 (seen in a clean-clone run under load)
    loggingOut = true;
    leaving.abort();
    streams.forEach((source) => source.close());
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
    forgetDrafts(); // the next user of this tab does not get them
    window.location.assign("/login");
  }

  /**
   * A department's account has a desk of its own (本部门待办, /desk/{code}): the command
   * console, the 调度台, trends and the big screen send it there (trial AQ M1, S2).
   */
  function toDesk(m) {
    if (m.role !== "department") return;
    if (/^\/(console|dispatch|trends|screen)\//.test(window.location.pathname)) {
      window.location.replace("/desk/" + m.scope_code);
    }
  }

  async function fillTopbar() {
    const button = document.getElementById("zz-logout");
    if (button) button.addEventListener("click", logout);
    const user = document.getElementById("zz-user");
    if (user) {
      try {
        const m = await me();
        // 玉溪市指挥中心值班员, not 玉溪市指挥中心值班员（指挥中心值班员）: the role once
        user.textContent = m.display_name.includes(m.role_label) ? m.display_name : m.display_name + "（" + m.role_label + "）";
        user.title = user.textContent + "：点击修改密码"; // the whole name, when the bar cuts it
        showImportLink(m);
        toDesk(m);
        const accounts = document.getElementById("zz-accounts-link");
        if (accounts && m.role === "admin") {
          accounts.hidden = false;
          if (window.location.pathname === "/accounts") accounts.classList.add("active");
        }
      } catch (error) {
        // 401 already redirected to the login page
      }
    }
  }

  /** Append a table cell of class ``cls`` holding ``text`` (never HTML) to row ``tr``; return it. */
  function cell(tr, cls, text) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  /**
   * Leaflet.VectorGrid's protobuf layer whose tile reads end with their tile (trial BC M5): a
   * tile that leaves the view or is dropped with its layer (Leaflet's `tileunload`), or that is
   * not drawn yet when the map leaves its zoom (GridLayer's `_abortLoading`, as Leaflet's own
   * TileLayer does for images), has its fetch aborted, so that the browser's six connections
   * go to the tiles still wanted. An aborted read draws nothing and logs no error.
   */
  const AbortableProtobuf = typeof L !== "undefined" && L.VectorGrid && L.VectorGrid.Protobuf.extend({
    initialize: function (url, options) {
      L.VectorGrid.Protobuf.prototype.initialize.call(this, url, options);
      this._zzReads = {}; // tile key -> the AbortController of its read under way
      this.on("tileunload", function (e) {
        this._zzAbort(this._tileCoordsToKey(e.coords));
      }, this);
    },
    _getVectorTilePromise: function (coords) {
      const key = this._tileCoordsToKey(coords);
      const reads = this._zzReads;
      this._zzAbort(key);
      const controller = (reads[key] = new AbortController());
      const fetchOptions = this.options.fetchOptions; // the read's fetch starts in the call below
      const signal = AbortSignal.any([controller.signal, leaving.signal]); // or 退出
      this.options.fetchOptions = Object.assign({}, fetchOptions, { signal: signal });
      let read;
      try {
        read = L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords);
      } finally {
        this.options.fetchOptions = fetchOptions;
      }
      const settled = () => {
        if (reads[key] === controller) delete reads[key];
      };
      return read.then(
        function (tile) {
          settled();
          return tile;
        },
        function (error) {
          settled();
          if (signal.aborted) return new Promise(() => {}); // the tile (or the login) is gone
          throw error;
        }
      );
    },
    _zzAbort: function (key) {
      const controller = this._zzReads[key];
      if (controller) {
        delete this._zzReads[key];
        controller.abort();
      }
    },
    _abortLoading: function () {
      for (const key in this._tiles) {
        const tile = this._tiles[key];
        if (tile.coords.z === this._tileZoom || !this._zzReads[key]) continue;
        this._zzAbort(key);
        L.DomUtil.remove(tile.el);
        delete this._tiles[key];
        if (this._vectorTiles) delete this._vectorTiles[key];
        this.fire("tileabort", { tile: tile.el, coords: tile.coords });
      }
    },
  });

  /**
   * A vector-tile layer of a console layer definition (web/maps.py layer_config): its tiles
   * with the session cookie, styled as the catalog says; with `hexagons`, shaded by each
   * cell's `count`. Not interactive: clicks go through to the map. It asks for tiles only
   * within the catalog's zooms (`min_zoom`, `max_zoom`: none while the map is outside them,
   * even before the page takes the layer off), none finer than `max_native_zoom` when given
   * (those of that zoom drawn larger instead), and aborts the reads of tiles it no longer
   * shows (AbortableProtobuf).
   */
  function vectorTiles(def, hexagons) {
    const s = def.style;
    const layerStyle = {};
    layerStyle[def.collection] = hexagons
      ? function (props) {
          const n = Number(props.count || 0);
          return { fill: true, fillColor: s.color, fillOpacity: Math.min(0.85, 0.15 + Math.log10(1 + n) / 2.5), color: s.color, weight: 0.5, opacity: 0.6 };
        }
      : { fill: !!s.fill, fillColor: s.fill || s.color, fillOpacity: s.opacity, color: s.color, weight: 1, opacity: 0.8 };
    const minZoom = def.min_zoom != null ? def.min_zoom : 0;
    const maxZoom = def.max_zoom != null ? def.max_zoom : 22;
    return new AbortableProtobuf(def.tiles, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: layerStyle,
      interactive: false,
      minZoom: minZoom,
      maxZoom: maxZoom,
      maxNativeZoom: Math.min(18, maxZoom, def.max_native_zoom != null ? def.max_native_zoom : 18),
      fetchOptions: { credentials: "same-origin" },
    });
  }

  /**
   * Name labels of the polygons of a Leaflet GeoJSON layer, at the centre of each one's bounds:
   * a layer group of non-interactive markers of class `className` (`zz-unit-label` by default),
   * in the map pane `pane` (Leaflet's marker pane, above everything, by default).
   */
  function nameLabels(geoLayer, className, pane) {
    const labels = L.layerGroup();
    geoLayer.eachLayer(function (layer) {
      labels.addLayer(
        L.marker(layer.getBounds().getCenter(), {
          pane: pane || "markerPane",
          interactive: false,
          keyboard: false,
          icon: L.divIcon({ className: className || "zz-unit-label", html: "<span>" + esc(layer.feature.properties.name) + "</span>", iconSize: null }),
        })
      );
    });
    return labels;
  }

  /** The dispatches still in someone's hands (layers.cases.ACTIVE_DISPATCH): 已派单, 已受理, 已到场. */
  function activeDispatches(dispatches) {
    return (dispatches || []).filter((d) => ["assigned", "accepted", "arrived"].includes(d.status));
  }

  /**
   * What 上报 would withdraw: "上报后，派给 县自然资源局 的派单（已到场）将撤回。", or "" when the
   * case is in nobody's hands (the dispatches of GET /api/cases/{id}/detail).
   */
  function escalationWarning(dispatches) {
    const held = activeDispatches(dispatches);
    if (!held.length) return "";
    const who = held.map((d) => d.assignee_name + " 的派单（" + label("dispatch_status", d.status) + "）").join("、");
    return "上报后，派给 " + who + "将撤回，由上级重新分流。";
  }

  /** The department names written in one field (吹哨部门), split at 、 , ， ; ； or spaces. */
  function departmentNames(text) {
    return text.split(/[、,，;；\s]+/).filter(Boolean);
  }

  // The departments the user's area already named (GET /api/departments), read once per page:
  // {departments, groups}, the groups by level at a county and above (县级部门 …), else none.
  let departmentsRead = null;
  function departmentsNamed() {
    if (!departmentsRead) {
      departmentsRead = api("/api/departments").then((body) => body, () => ({ departments: [], groups: [] }));
    }
    return departmentsRead;
  }

  /**
   * Offer the departments the area already named under a department field (派往职能部门, or
   * 吹哨部门 when `several`): a click writes one in, or adds it to the list with 「、」, so the
   * same department is written the same way each time. Nothing is shown when none was named.
   * A county's (a city's, a province's) list is grouped by level, its own first, and the
   * field's example names its own (user trials: 市 and 县 bureaus in one row).
   */
  function departmentChoices(input, several) {
    const box = document.createElement("div");
    box.className = "zz-departments d-flex flex-wrap gap-1 mt-1";
    box.setAttribute("aria-label", "常用部门");
    input.insertAdjacentElement("afterend", box);
    departmentsNamed().then(function (body) {
      const groups = body.groups && body.groups.length ? body.groups : [{ label: "", names: body.departments || [] }];
      if (groups[0].label) input.placeholder = "如：" + groups[0].names.slice(0, 2).join("、");
      groups.forEach(function (group) {
        let into = box;
        if (group.label) {
          into = document.createElement("div");
          into.className = "zz-department-group d-flex flex-wrap align-items-center gap-1 w-100";
          into.dataset.group = group.label;
          const said = document.createElement("span");
          said.className = "small text-muted";
          said.textContent = group.label + "：";
          into.appendChild(said);
          box.appendChild(into);
        }
        departmentButtons(group.names, into);
      });
    });
    return box;

    function departmentButtons(names, into) {
      names.forEach(function (name) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "btn btn-sm btn-outline-secondary py-0 px-1 zz-department";
        b.textContent = name;
        b.addEventListener("click", function () {
          const given = departmentNames(input.value);
          if (!several) input.value = name;
          else if (!given.includes(name)) input.value = given.concat([name]).join("、");
          input.dispatchEvent(new Event("input"));
        });
        into.appendChild(b);
      });
    }
  }

  const LOCATE_TIMEOUT_MS = 20000;

  /**
   * The browser's position (上报位置, 用我的位置): `button` says 正在定位… meanwhile, then
   * `found(position)` is awaited, or `failed(text)` told why there is none, in Chinese, with
   * `instead` (what to do otherwise, e.g. 在地图上点选事发位置) in its advice.
   */
  /**
   * A fresh fix of the phone for an action that takes it (到场, trial AZ M4): resolves to
   * {lon, lat, accuracy}, or to {} when the browser gives none (the action goes on without).
   */
  function positionFix(button) {
    return new Promise(function (resolve) {
      currentPosition(
        button,
        (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }),
        () => resolve({})
      );
    });
  }

  function currentPosition(button, found, failed, instead) {
    const then = instead ? "，或" + instead : "";
    if (!window.isSecureContext) {
      failed("浏览器只允许安全连接（HTTPS）的网页获取位置，本平台当前地址不是安全连接，无法取得您的位置；请" +
        (instead ? instead + "，并" : "") + "联系系统管理员为平台启用 HTTPS。");
      return;
    }
    if (!navigator.geolocation) {
      failed("此浏览器不支持定位，无法取得您的位置；请换用手机自带浏览器或新版浏览器" + then + "。");
      return;
    }
    const label = button.textContent;
    button.disabled = true;
    button.textContent = "正在定位…";
    const done = function () {
      button.disabled = false;
      button.textContent = label;
    };
    navigator.geolocation.getCurrentPosition(
      async function (position) {
        try {
          await found(position);
        } finally {
          done();
        }
      },
      function (failure) {
        done();
        failed(positionFailure(failure) + then + "。");
      },
      { enableHighAccuracy: true, timeout: LOCATE_TIMEOUT_MS, maximumAge: 0 }
    );
  }

  /** Why the browser gave no position (a GeolocationPositionError), and what to try. */
  function positionFailure(failure) {
    if (failure.code === 1) {
      return "浏览器拒绝了定位权限，无法取得您的位置：请在浏览器（手机上还有系统设置）中允许本网站获取位置后重试";
    }
    if (failure.code === 3) {
      return "定位超时：" + LOCATE_TIMEOUT_MS / 1000 + " 秒内没有取得位置，请到信号较好的地方（室外）重试";
    }
    return "无法取得当前位置（定位信号不可用），请打开手机的定位服务后重试";
  }

  /** 8 小时, 45 分钟, 3 天: how old a worker's last position is, from its age in minutes. */
  function ageText(minutes) {
    if (minutes < 60) return Math.max(1, minutes) + " 分钟";
    if (minutes < 48 * 60) return Math.floor(minutes / 60) + " 小时";
    return Math.floor(minutes / (24 * 60)) + " 天";
  }

  /**
   * Keep what is typed in a note box (`field`) in this tab's sessionStorage under `key`, so a
   * reload of the page mid-form does not lose it (trial W; a 走访's note, trial AS M4): the box
   * gets the draft kept, if any; `clear()` forgets it once the note is sent. Returns
   * `{ kept, clear }`, `kept` saying whether a draft was put back.
   */
  function keepDraft(field, key) {
    const store = (write) => {
      try {
        return write();
      } catch (error) {
        return null; // storage refused (a private window): the note is just not kept
      }
    };
    const kept = store(() => sessionStorage.getItem(key)) || "";
    if (kept && !field.value) field.value = kept;
    field.addEventListener("input", function () {
      const text = field.value;
      store(() => (text.trim() ? sessionStorage.setItem(key, text) : sessionStorage.removeItem(key)));
    });
    return { kept: Boolean(kept), clear: () => store(() => sessionStorage.removeItem(key)) };
  }

  /** Forget every draft kept in this tab (keepDraft's, the forms' `zz-draft-…`): at logout. */
  function forgetDrafts() {
    try {
      Object.keys(sessionStorage)
        .filter((key) => key.startsWith("zz-draft-"))
        .forEach((key) => sessionStorage.removeItem(key));
    } catch (error) {
      // storage refused: nothing was kept
    }
  }

  /** Whether a note is kept under `key` (keepDraft), to open its form again after a reload. */
  function hasDraft(key) {
    try {
      return Boolean(sessionStorage.getItem(key));
    } catch (error) {
      return false;
    }
  }

  // Photos picked on a phone to send with a form (trial AO M8): a case's 上报 (dispatch.js), 受理,
  // 处置反馈 and 办结 (case.js), a 走访 (visits.js). The server takes them as layers/photos.py
  // says, its limits given with the code tables (photo_limits, web/render.py).
  const photoLimits = tables.photo_limits || {};
  const PHOTO_MAX = photoLimits.max_photos; // layers/photos.py MAX_PHOTOS
  const PHOTO_MB = photoLimits.max_bytes / (1024 * 1024); // layers/photos.py MAX_BYTES
  const PHOTO_PIXELS = photoLimits.max_pixels; // layers/photos.py MAX_PIXELS
  const PHOTO_SIDE = photoLimits.max_side; // layers/photos.py MAX_SIDE: the longer side the server keeps
  const PHOTO_QUALITY = photoLimits.quality / 100; // layers/photos.py QUALITY: as the server encodes it
  const PHOTO_TYPES = ["image/jpeg", "image/png"];
  /** What a photo field's label says after its name. */
  const PHOTO_LIMITS = "（选填，最多 " + PHOTO_MAX + " 张，每张不超过 " + PHOTO_MB + " MB）";

  /** Why a photo cannot be sent as it is (as the server says it), or "": the count, the type. */
  function photoRefusal(file, count) {
    if (count > PHOTO_MAX) return "最多 " + PHOTO_MAX + " 张照片";
    if (!PHOTO_TYPES.includes(file.type)) return "格式不支持：只能上传 JPEG 或 PNG 图片（" + file.name + "）";
    return "";
  }

  /** The picture in `file`, decoded (an <img>), or null when the browser cannot read it. */
  function decoded(file) {
    return new Promise(function (resolve) {
      const img = new Image();
      const url = URL.createObjectURL(file);
      const done = (ok) => {
        URL.revokeObjectURL(url);
        resolve(ok ? img : null);
      };
      img.onload = () => done(img.naturalWidth > 0);
      img.onerror = () => done(false);
      img.src = url;
    });
  }

  /**
   * A photo larger than the server keeps (a 4.9 MB 12-megapixel shot took 100 s to send on a
   * slow link, s49; a 16 MB one of a 50-megapixel phone was over the limits, trial AS m1) drawn
   * again in the browser as the server would keep it: a JPEG of at most PHOTO_SIDE px on its
   * longer side at the server's quality (the <img> turns it upright as its EXIF says, and the
   * canvas leaves the EXIF behind). Null if it fails.
   */
  function shrunk(img, file) {
    const scale = Math.min(1, PHOTO_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    const context = canvas.getContext("2d");
    if (!context) return Promise.resolve(null);
    context.fillStyle = "#fff"; // a PNG's transparent parts, which a JPEG cannot keep
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(img, 0, 0, canvas.width, canvas.height);
    const name = /\.jpe?g$/i.test(file.name) ? file.name : file.name.replace(/\.[^.]*$/, "") + ".jpg";
    return new Promise(function (resolve) {
      canvas.toBlob(
        (blob) => resolve(blob ? new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }) : null),
        "image/jpeg",
        PHOTO_QUALITY
      );
    });
  }

  /**
   * The photo to send for `file`, or why it cannot be sent: one the browser cannot read is
   * refused by name (a text renamed .jpg, trial AP m2); one larger than the server keeps is
   * shrunk to what it keeps first (the original sent if that is no smaller, unless it is over
   * the size or pixel limit), and refused only if it still is over.
   */
  async function photoToSend(file) {
    const img = await decoded(file);
    if (!img) return { refusal: "照片 " + file.name + " 无法识别为图片" };
    const over = file.size > PHOTO_MB * 1024 * 1024 || img.naturalWidth * img.naturalHeight > PHOTO_PIXELS;
    if (!over && Math.max(img.naturalWidth, img.naturalHeight) <= PHOTO_SIDE) return { file: file };
    const smaller = await shrunk(img, file);
    if (!smaller) return over ? { refusal: "照片 " + file.name + " 无法识别为图片" } : { file: file };
    if (!over && smaller.size >= file.size) return { file: file };
    if (smaller.size > PHOTO_MB * 1024 * 1024) {
      return { refusal: "图片过大：每张不超过 " + PHOTO_MB + " MB（" + file.name + "）" };
    }
    return { file: smaller };
  }

  /**
   * Make a page's photo field pick photos: its file `input` (a camera shot or several at a
   * time, added up), its `add` label (拍照或添加照片, hidden at PHOTO_MAX), the `box` the photos
   * chosen show in, each with 移除 (`itemClass` on each), and the `error` alert that names the
   * files refused. Returns the list the photos chosen are kept in.
   */
  function photoPicker(input, add, box, error, itemClass) {
    const picked = [];
    function show() {
      box.textContent = "";
      add.textContent = picked.length ? "再拍一张或添加（已选 " + picked.length + " 张）" : "拍照或添加照片";
      add.hidden = picked.length >= PHOTO_MAX;
      picked.forEach(function (file, i) {
        const item = document.createElement("span");
        item.className = (itemClass ? itemClass + " " : "") + "position-relative d-inline-block";
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = "待上传照片 " + (i + 1);
        img.style.cssText = "width:64px;height:64px;object-fit:cover;border-radius:4px";
        img.addEventListener("load", () => URL.revokeObjectURL(img.src), { once: true });
        const drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn btn-sm btn-light position-absolute top-0 end-0 py-0 px-1";
        drop.textContent = "×";
        drop.setAttribute("aria-label", "移除照片 " + (i + 1));
        drop.addEventListener("click", function () {
          picked.splice(i, 1);
          show();
        });
        item.append(img, drop);
        box.appendChild(item);
      });
    }
    // the photos chosen are taken one choice after the other, in the order chosen: a second
    // shot chosen while the first was still being shrunk went in before it (a clean-clone run)
    let reading = Promise.resolve();
    input.addEventListener("change", function () {
      const files = Array.from(input.files);
      input.value = ""; // the next shot is added to these
      if (files.length) add.textContent = "正在读取照片…"; // a large one is shrunk meanwhile
      reading = reading.catch(() => undefined).then(() => take(files));
    });
    async function take(files) {
      const said = [];
      for (const file of files) {
        const refusal = photoRefusal(file, picked.length + 1);
        // refused at once, by name, not after sending; a photo too large is shrunk first
        const sent = refusal ? { refusal: refusal } : await photoToSend(file);
        if (sent.refusal) said.push(sent.refusal);
        else picked.push(sent.file);
      }
      error.textContent = said.filter((t, i) => said.indexOf(t) === i).join("；");
      error.hidden = !said.length;
      show();
    }
    return picked;
  }

  // The case actions that take photos, and how they are sent: the case page's form (case.js)
  // and the phone's 我的任务 card (command.js, trial AS M1) alike.
  const PHOTO_ACTIONS = ["accept", "feedback", "resolve"];

  /**
   * Add the 现场照片 field to `host` (the ids `prefix`, `prefix`-label, -add, -picked, -error)
   * and make it pick photos (photoPicker, `itemClass` on each); returns the list it keeps them in.
   */
  function photoField(host, prefix, itemClass) {
    // the browser's own file field says 「Choose Files」 on some phones: a button of ours instead
    host.insertAdjacentHTML("beforeend",
      '<div class="mb-2 zz-photo-field"><div class="form-label mb-1" id="' + prefix + '-label">现场照片' + PHOTO_LIMITS + "</div>" +
      '<input class="visually-hidden" type="file" id="' + prefix + '" accept="image/*" capture="environment" multiple aria-labelledby="' + prefix + '-label">' +
      '<label class="btn btn-sm btn-outline-primary" for="' + prefix + '" id="' + prefix + '-add">拍照或添加照片</label>' +
      '<div class="d-flex flex-wrap gap-1 mt-1" id="' + prefix + '-picked"></div>' +
      '<div class="text-danger" id="' + prefix + '-error" role="alert" hidden></div></div>');
    const [input, add, box, error] = ["", "-add", "-picked", "-error"].map((end) => document.getElementById(prefix + end));
    return photoPicker(input, add, box, error, itemClass);
  }

  /**
   * fetch() for a form whose sending is followed, `opts.progress(sent, total)` as the XHR's
   * upload says it (fetch says nothing of an upload): a Response as fetch's answer, a TypeError
   * when no answer came, an AbortError when `opts.signal` ended it.
   */
  function sentWithProgress(path, opts) {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      xhr.open(opts.method || "GET", path);
      xhr.withCredentials = true;
      xhr.responseType = "blob";
      Object.entries(opts.headers || {}).forEach(([name, value]) => xhr.setRequestHeader(name, value));
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) opts.progress(e.loaded, e.total);
      });
      xhr.onload = function () {
        const headers = new Headers();
        xhr.getAllResponseHeaders().trim().split(/[\r\n]+/).forEach(function (line) {
          const at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        });
        const empty = [204, 205, 304].includes(xhr.status);
        resolve(new Response(empty ? null : xhr.response, { status: xhr.status, statusText: xhr.statusText, headers: headers }));
      };
      xhr.onerror = xhr.ontimeout = () => reject(new TypeError("Failed to fetch"));
      xhr.onabort = () => reject(new DOMException("The request was aborted", "AbortError"));
      if (opts.signal) {
        if (opts.signal.aborted) return xhr.abort();
        opts.signal.addEventListener("abort", () => xhr.abort(), { once: true });
      }
      xhr.send(opts.body);
    });
  }

  /**
   * Say on a form's `button` how far its photos are sent (a slow link took 100 s over a greyed
   * 保存, s49): the `progress` to give api() (「正在上传照片 45%」, then 「正在保存…」 while the
   * server keeps them); its `done()` gives the button its label back.
   */
  function uploadProgress(button) {
    const label = button.textContent;
    const progress = function (sent, total) {
      button.textContent = sent < total ? "正在上传照片 " + Math.floor((100 * sent) / total) + "%" : "正在保存…";
    };
    progress.done = function () {
      button.textContent = label;
    };
    return progress;
  }

  /**
   * Send a form with photos (`body`, FormData) to `path`, its progress said on `button` if one
   * is given (uploadProgress); the answer as api() gives it.
   */
  async function sendPhotos(path, body, button) {
    const progress = button ? uploadProgress(button) : null;
    try {
      return await api(path, { method: "POST", body: body, progress: progress });
    } finally {
      if (progress) progress.done();
    }
  }

  /**
   * Do a case action (`sent`: its version, note, params and photos, and the `button` that says
   * how far the photos are sent): as JSON, or, with photos, as a form to …/with-photos, the
   * action and its photos in one (a photo refused leaves the case as it was). The case's JSON
   * as the action's answer.
   */
  function sendCaseAction(caseId, action, sent) {
    const photos = PHOTO_ACTIONS.includes(action) ? sent.photos || [] : [];
    const url = "/api/cases/" + caseId + "/actions/" + action;
    if (!photos.length) {
      return api(url, { method: "POST", json: { version: sent.version, note: sent.note || null, params: sent.params || {} } });
    }
    const form = new FormData();
    form.append("version", String(sent.version));
    form.append("note", sent.note || "");
    form.append("params", JSON.stringify(sent.params || {}));
    photos.forEach((file) => form.append("photos", file, file.name));
    return sendPhotos(url + "/with-photos", form, sent.button);
  }

  // ---- the login's end (trial AZ M6) ------------------------------------------------------------
  // A login lasts its token's lifetime (8 hours): a desk or phone logged in at 19:00 dropped at
  // 03:00 mid-storm, unwarned. Every console page but the big screen (which has its own notice)
  // renews it while its user is active (POST /api/auth/renew) and, when it is about to end
  // unrenewed, says so in a banner with 「继续使用」.
  const SESSION_WARN_MS = 10 * 60000; // the banner, this long before the end
  const SESSION_RENEW_MS = 20 * 60000; // renewed by itself from this long before, while active
  const ACTIVE_MS = 10 * 60000; // active: a tap, key or typing this recently
  const RETRY_MS = 60000; // a renewal that failed is tried again by itself after this long
  const session = { end: null, active: 0, tried: 0, renewing: null };

  function keepSession() {
    if (document.body.dataset.screen === "1" || !document.getElementById("zz-user")) return;
    me().then(function (m) {
      if (!m.session_expires_at) return;
      session.end = Date.parse(m.session_expires_at);
      ["pointerdown", "keydown", "input"].forEach((kind) =>
        document.addEventListener(kind, sessionActive, { capture: true, passive: true }));
      setInterval(checkSession, 30000);
      checkSession();
    }, () => {});
  }

  function sessionActive() {
    session.active = Date.now();
    if (session.end - Date.now() < SESSION_RENEW_MS && Date.now() - session.tried > RETRY_MS) renewSession();
  }

  function checkSession() {
    if (passwordDue || expiredHandler) return; // the dialog, or the page's own notice, says it
    const left = session.end - Date.now();
    if (left < SESSION_RENEW_MS && Date.now() - session.active < ACTIVE_MS && Date.now() - session.tried > RETRY_MS) {
      renewSession();
    } else if (left <= SESSION_WARN_MS) {
      sessionBanner("");
    }
  }

  /** Renew the login now; the banner goes, or says why it could not. */
  function renewSession() {
    if (session.renewing) return session.renewing;
    session.tried = Date.now();
    session.renewing = api("/api/auth/renew", { method: "POST" })
      .then(function (token) {
        session.end = Date.now() + token.expires_in * 1000;
        const banner = document.getElementById("zz-session-banner");
        if (banner) banner.style.display = "none";
      }, function (error) {
        if (!(error instanceof ApiError && error.status === 401)) sessionBanner("未能延长登录：" + errorText(error));
      })
      .finally(() => (session.renewing = null));
    return session.renewing;
  }

  /** The banner: when the login ends and 「继续使用」, or that it has ended; `problem` if any. */
  function sessionBanner(problem) {
    let banner = document.getElementById("zz-session-banner");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "zz-session-banner";
      banner.className = "alert alert-warning shadow flex-wrap align-items-center gap-2 py-2 px-3 mb-0";
      banner.setAttribute("role", "alert");
      Object.assign(banner.style, { position: "fixed", top: "3.2rem", left: "50%", transform: "translateX(-50%)", zIndex: 2000, maxWidth: "calc(100vw - 1rem)" });
      const text = document.createElement("span");
      text.id = "zz-session-text";
      const button = document.createElement("button");
      button.type = "button";
      button.id = "zz-session-renew";
      button.className = "btn btn-sm btn-primary";
      button.addEventListener("click", function () {
        if (session.end <= Date.now()) toLogin(true);
        else renewSession();
      });
      banner.append(text, button);
      document.body.appendChild(banner);
    }
    const left = session.end - Date.now();
    const ended = left <= 0;
    document.getElementById("zz-session-text").textContent = ended
      ? "登录已过期，请重新登录；已填写的内容已保留"
      : "登录将于 " + fmtTime(new Date(session.end).toISOString()).slice(11, 16) + " 过期（还剩约 " +
        Math.max(1, Math.ceil(left / 60000)) + " 分钟）" + (problem ? "。" + problem : "");
    document.getElementById("zz-session-renew").textContent = ended ? "重新登录" : "继续使用";
    banner.style.display = "flex";
  }

  window.zz = {
    ageText,
    currentPosition,
    positionFix,
    escalationWarning,
    departmentChoices,
    departmentNames,
    activeDispatches,
    whenExpired, guardUnit,
    keepDraft, hasDraft,
    photoPicker, PHOTO_LIMITS, PHOTO_ACTIONS, photoField, sendCaseAction, sendPhotos,
    ApiError, api, me, label, beijingDay, categoryLabel, subtypeTable, errorText, fmtTime, approvedExtension, inputTime, fromInputTime, dayStart, countdown, riskColor, reminderMark, awaitingText, contactDue, stateBadge, toast, live, importNews, esc, tables,
    unmask, personRecord, reasonForm, UNMASK_REASONS, importKinds, IMPORT_ROLES, cell, logout, vectorTiles, nameLabels,
    recountNotes,
  };
  fillTopbar();
  keepSession();
  fieldProblems();
  timeEchoes();
  noteCounters();

  /** What a field is called on the page: its label (without 必填/选填), aria-label or placeholder. */
  function fieldName(field) {
    const label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    const named = (label && label.textContent) || field.getAttribute("aria-label") || field.placeholder || "";
    return named.replace(/（(必填|选填)）\s*$/, "").replace(/[：:]\s*$/, "").trim();
  }

  /**
   * A required field left empty is said in the page, in Chinese, beneath it (「请填写督办意见」),
   * instead of the browser's bubble in the browser's language ("Please fill out this field.",
   * trial AM N2); the form is not sent and its dialog stays open. Other checks keep the browser's.
   */
  function fieldProblems() {
    document.addEventListener("invalid", function (event) {
      const field = event.target;
      if (!(field instanceof HTMLElement) || !field.validity || !field.validity.valueMissing) return;
      event.preventDefault();
      const name = fieldName(field);
      const anchor = field.closest(".input-group") || field;
      let problem = anchor.nextElementSibling;
      if (!problem || !problem.classList.contains("zz-field-problem")) {
        problem = document.createElement("div");
        problem.className = "zz-field-problem text-danger small mt-1";
        problem.setAttribute("role", "alert");
        anchor.insertAdjacentElement("afterend", problem);
        field.addEventListener("input", function () {
          if (field.value.trim()) problem.remove();
        });
      }
      problem.textContent = (field.tagName === "SELECT" ? "请选择" : "请填写") + (name || "此项");
      const form = field.form;
      const first = form ? Array.from(form.elements).find((e) => e.validity && !e.validity.valid) : field;
      if (first === field) field.focus();
    }, true);
  }

  /**
   * Under every note box with a length limit (textarea[maxlength]: 督办意见, 处置反馈, 上报原因 …),
   * 已输入 1980/2000 as one types, and what a paste lost when the box cut it at its limit (trial
   * AQ m1: a 2,760-character paste kept its first 2,000 without a word).
   */
  function noteCounters() {
    const cut = new WeakMap();
    document.addEventListener("paste", function (event) {
      const box = limitedNote(event.target);
      if (!box || !event.clipboardData) return;
      const pasted = event.clipboardData.getData("text").replace(/\r\n/g, "\n");
      const kept = box.value.length - (box.selectionEnd - box.selectionStart);
      const over = kept + pasted.length - box.maxLength;
      if (over > 0) cut.set(box, over);
    }, true);
    document.addEventListener("input", function (event) {
      const box = limitedNote(event.target);
      if (!box) return;
      const lost = cut.get(box);
      cut.delete(box);
      showNoteCount(box, lost);
    }, true);
    // a box the page emptied or filled (a dialog opened again) counts afresh once focused
    document.addEventListener("focusin", function (event) {
      const box = limitedNote(event.target);
      if (box) showNoteCount(box, 0);
    }, true);
  }

  function limitedNote(target) {
    return target instanceof HTMLTextAreaElement && target.maxLength > 0 ? target : null;
  }

  function noteCount(box) {
    let shown = box.nextElementSibling;
    while (shown && shown.classList.contains("zz-field-problem")) shown = shown.nextElementSibling;
    return shown && shown.classList.contains("zz-note-count") ? shown : null;
  }

  function showNoteCount(box, lost) {
    let shown = noteCount(box);
    if (!shown) {
      shown = document.createElement("div");
      shown.className = "zz-note-count small text-muted text-end";
      shown.setAttribute("aria-live", "polite");
      box.insertAdjacentElement("afterend", shown);
    }
    const full = Boolean(lost) || box.value.length >= box.maxLength;
    shown.classList.toggle("text-danger", full);
    shown.classList.toggle("text-muted", !full);
    shown.textContent = "已输入 " + box.value.length + "/" + box.maxLength +
      (lost ? "；粘贴的内容超过 " + box.maxLength + " 字，已截去末尾 " + lost + " 字" : "");
  }

  /**
   * Count afresh the note boxes under `root` that show a count, once a dialog set their text
   * (opened again: emptied or a draft put back), since the count follows typing and focus only
   * (a user trial saw 已输入 19/2000 under the empty box of the next dialog).
   */
  function recountNotes(root) {
    root.querySelectorAll("textarea[maxlength]").forEach(function (box) {
      if (noteCount(box)) showNoteCount(box, 0);
    });
  }

  /**
   * Beside a date-and-time field, the time it holds as the platform writes times (2026-12-09 07:02,
   * 24 小时制): the browser draws the field in its own language's form (12/09/2026 07:02 AM on an
   * English one, trial AM N2).
   */
  function timeEchoes() {
    function echo(field) {
      let shown = field.nextElementSibling;
      if (!shown || !shown.classList.contains("zz-time-echo")) {
        shown = document.createElement("div");
        shown.className = "zz-time-echo small text-muted mt-1";
        field.insertAdjacentElement("afterend", shown);
        field.addEventListener("input", () => echo(field));
        field.addEventListener("change", () => echo(field));
      }
      shown.textContent = field.value ? "即 " + field.value.replace("T", " ").slice(0, 16) + "（北京时间，24小时制）" : "";
    }
    function scan(root) {
      if (!(root instanceof Element)) return;
      if (root.matches('input[type="datetime-local"]')) echo(root);
      root.querySelectorAll('input[type="datetime-local"]').forEach(echo);
    }
    scan(document.body);
    new MutationObserver(function (changes) {
      changes.forEach((change) => change.addedNodes.forEach(scan));
    }).observe(document.body, { childList: true, subtree: true });
  }
})();
