// The top bar's 修改密码 dialog, on every console page: a click on the user's name opens it.
// The two new passwords are compared here; the current one and the platform's rules are checked
// by the API (POST /api/me/password), whose answer also renews this browser's login cookie.
"use strict";
(function () {
  const dialog = document.getElementById("zz-password-dialog");
  const opener = document.getElementById("zz-user");
  if (!dialog || !opener) return;
  const form = document.getElementById("zz-password-form");
  const field = (name) => document.getElementById("zz-password-" + name);
  const error = field("error");

  function say(text) {
    error.textContent = text;
    error.classList.toggle("d-none", !text);
  }

  opener.addEventListener("click", async function () {
    form.reset();
    say("");
    dialog.showModal();
    try {
      field("rule").textContent = "新密码要求：" + (await zz.me()).password_rule + "。";
    } catch (err) {
      // 401 already went to the login page
    }
  });
  field("cancel").addEventListener("click", () => dialog.close());
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
      dialog.close();
      zz.toast("密码已修改；本账号在其他地方的登录已失效", "success");
    } catch (err) {
      say(zz.errorText(err));
    } finally {
      submit.disabled = false;
    }
  });
})();
