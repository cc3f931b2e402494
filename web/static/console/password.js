// The top bar's 修改密码 dialog, on every console page: a click on the user's name opens it.
// An account whose password must change first (`must_change_password` in /api/me: set by an
// administrator, or older than the deployment allows) gets it at once and cannot dismiss it:
// the API answers nothing else until the password is changed (取消 becomes 退出登录), and the
// page's reads wait meanwhile (common.js api: no 加载失败 behind the dialog), then the page loads
// again. The two new passwords are compared here; the current one and the
// platform's rules are checked by the API (POST /api/me/password), whose answer also renews
// this browser's login cookie.
"use strict";
(function () {
  const dialog = document.getElementById("zz-password-dialog");
  const opener = document.getElementById("zz-user");
  if (!dialog || !opener) return;
  const form = document.getElementById("zz-password-form");
  const field = (name) => document.getElementById("zz-password-" + name);
  const error = field("error");
  let forced = false;

  function say(text) {
    error.textContent = text;
    error.classList.toggle("d-none", !text);
  }

  async function open() {
    form.reset();
    say("");
    if (!dialog.open) dialog.showModal();
    try {
      field("rule").textContent = "新密码要求：" + (await zz.me()).password_rule + "。";
    } catch (err) {
      // 401 already went to the login page
    }
  }

  opener.addEventListener("click", open);
  field("cancel").addEventListener("click", () => (forced ? zz.logout() : dialog.close()));
  dialog.addEventListener("cancel", function (event) {
    if (forced) event.preventDefault(); // Esc does not dismiss a password that must change
  });
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (field("new").value !== field("again").value) {
      say("两次输入的新密码不一致");
      return;
    }
    const submit = field("submit");
    submit.disabled = true;
    try {
      await zz.api("/api/me/password", {
        method: "POST",
        json: { current_password: field("current").value, new_password: field("new").value },
      });
      form.reset();
      if (forced) {
        window.location.reload(); // the page's data, refused until now
        return;
      }
      dialog.close();
      zz.toast("密码已修改；本账号在其他地方的登录已失效", "success");
    } catch (err) {
      say(zz.errorText(err));
    } finally {
      submit.disabled = false;
    }
  });

  /** The dialog that cannot be dismissed, saying `why` the password must change first. */
  function force(why) {
    if (forced) return;
    forced = true;
    field("title").textContent = "请先修改密码";
    field("why").textContent = why + "。";
    field("why").hidden = false;
    field("cancel").textContent = "退出登录";
    open();
  }

  zz.me().then(
    function (m) {
      if (m.must_change_password) force(m.password_change_reason);
    },
    function () {} // 401 already went to the login page
  );
  // the API refused a read 请先修改密码 (the password aged while the page was open): the page's
  // reads wait for the change (common.js api), the dialog says why
  document.addEventListener("zz:password-due", (event) => force(event.detail.reason.replace(/^请先修改密码：/, "")));
})();
