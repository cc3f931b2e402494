// 注销 of one special-population person (trial AW M1): a death, a 迁出, the end of a 社区矫正 or of
// 安置帮教, recorded from the 走访 list's card instead of a roster imported (POST
// /api/persons/{id}/end, audited under the person). Offered to the operators who may (a
// commander's or a dispatcher's account of a county or below: layers/person_closing.py
// check_may_end; the server refuses the others). The dialog asks the reason from the list, the
// 去向 (迁出) or 说明 (其他: required) and the day (today by default, never later); 确定 stays
// disabled while the request is out. A 社区矫正 past its end (待解除矫正) opens on 解除矫正, dated
// its 矫正结束日期 as an import dates it (trial AW S4). The person then leaves the map and the
// visit counts, the visits stay: the toast says so, and the card's list is read again (`after`).
"use strict";
(function () {
  // layers/person_closing.py REASONS, DETAIL_MAX
  const REASONS = ["解除矫正", "期满解除帮教", "死亡", "迁出", "其他"];
  const DETAIL_MAX = 40;
  const ENDING_ROLES = ["commander", "dispatcher"];
  let dialog = null;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** The dialog, made once: reason, 去向/说明, day, error, 取消 / 确定. */
  function made() {
    if (dialog) return dialog;
    dialog = el("dialog", "zz-dialog zz-end-dialog");
    dialog.id = "zz-end-dialog";
    dialog.setAttribute("aria-labelledby", "zz-end-title");
    const form = el("form");
    form.method = "dialog";
    form.noValidate = true;
    form.autocomplete = "off";
    const title = el("h2", "h6", "注销人员");
    title.id = "zz-end-title";
    const who = el("p", "small mb-2 zz-end-who");
    const fields = el("div", "zz-person-fields small");
    const reason = el("select", "form-select form-select-sm");
    reason.id = "zz-end-reason";
    reason.appendChild(new Option("请选择注销原因", ""));
    REASONS.forEach((r) => reason.appendChild(new Option(r, r)));
    const reasonLabel = el("label", "", "注销原因");
    reasonLabel.htmlFor = reason.id;
    const detail = el("input", "form-control form-control-sm");
    detail.id = "zz-end-detail";
    detail.maxLength = DETAIL_MAX;
    const detailLabel = el("label", "", "去向/说明");
    detailLabel.htmlFor = detail.id;
    const day = el("input", "form-control form-control-sm");
    day.type = "date";
    day.id = "zz-end-day";
    const dayLabel = el("label", "", "注销日期");
    dayLabel.htmlFor = day.id;
    fields.append(reasonLabel, reason, detailLabel, detail, dayLabel, day);
    const note = el("p", "small text-secondary mt-2 mb-0",
      "注销后不再显示在地图上，不计入走访统计，走访记录保留；注销记入审计日志。去向或说明中不要写身份证号、手机号。");
    const error = el("div", "alert alert-danger py-1 px-2 small mt-2 d-none zz-end-error");
    error.setAttribute("role", "alert");
    const buttons = el("div", "text-end mt-2");
    const cancel = el("button", "btn btn-sm btn-secondary me-1", "取消");
    cancel.type = "button";
    cancel.addEventListener("click", () => dialog.close());
    const submit = el("button", "btn btn-sm btn-danger zz-end-submit", "确定");
    submit.type = "submit";
    buttons.append(cancel, submit);
    form.append(title, who, fields, note, error, buttons);
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    reason.addEventListener("change", function () {
      error.classList.add("d-none");
      // 迁出 asks where to; 其他 what happened (required)
      detail.placeholder = reason.value === "迁出" ? "迁往何处，如：迁往昆明市官渡区"
        : reason.value === "其他" ? "必填：写明注销原因" : "选填";
    });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.classList.add("d-none");
      const p = dialog.person;
      submit.disabled = true;
      try {
        const ended = await zz.api("/api/persons/" + p.id + "/end", {
          method: "POST",
          json: { reason: reason.value, detail: detail.value.trim() || null, ended_on: day.value || null },
        });
        dialog.close();
        zz.toast(ended.message, "success");
        document.dispatchEvent(new CustomEvent("zz:visits-changed")); // the 走访超期 card
        if (dialog.after) dialog.after(ended);
      } catch (failure) {
        error.textContent = reason.value ? zz.errorText(failure) : "请选择注销原因";
        error.classList.remove("d-none");
      } finally {
        submit.disabled = false;
      }
    });
    return dialog;
  }

  /** Open the dialog for person `p` (masked, from the list); `after(ended)` once done. */
  function open(p, after) {
    const d = made();
    d.person = p;
    d.after = after;
    d.querySelector(".zz-end-who").textContent =
      p.name_masked + "（" + zz.label("person_category", p.category) + "）";
    // a 社区矫正 past its end (待解除矫正, trial AW S4): 解除矫正 on its 矫正结束日期, the day an
    // import's 解除矫正 without a 注销日期 gives
    const over = Boolean(p.correction_over && p.correction_end);
    d.querySelector("#zz-end-reason").value = over ? "解除矫正" : "";
    const detail = d.querySelector("#zz-end-detail");
    detail.value = "";
    detail.placeholder = "选填";
    const day = d.querySelector("#zz-end-day");
    day.max = zz.beijingDay(0);
    day.value = over ? p.correction_end : zz.beijingDay(0);
    d.querySelector(".zz-end-error").classList.add("d-none");
    d.querySelector(".zz-end-submit").disabled = false;
    d.showModal();
  }

  /**
   * The card's 注销 button for `me` (/api/me), or null where the account may not close out.
   * `after(ended)` runs once the person is closed out (the list read again).
   */
  function button(me, p, after) {
    if (!me || !me.sees_persons || !ENDING_ROLES.includes(me.role)) return null;
    const b = el("button", "btn btn-outline-danger btn-xs zz-visit-end", "注销");
    b.type = "button";
    b.title = "解除矫正、期满解除帮教、死亡、迁出等";
    b.addEventListener("click", () => open(p, after));
    return b;
  }

  window.zzPersonClosing = { button: button, open: open };
})();
