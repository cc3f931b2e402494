// Login: POST the form to /api/auth/token (sets the HttpOnly cookie), then go to the page of the
// user's role and scope (table given by the server in <body data-landing>), or to ?next=.
// ?reason=expired: a console page whose login ended sent the user here, which the page says.
"use strict";
(function () {
  const form = document.getElementById("login-form");
  const message = document.getElementById("login-message");
  const landing = JSON.parse(document.body.dataset.landing);

  function show(text) {
    message.textContent = text;
    message.classList.remove("d-none");
  }

  // sent here by a page whose login ended (common.js toLogin): say so, and that its forms' drafts
  // are kept, to be found again once logged in (trial AZ M5)
  if (new URLSearchParams(window.location.search).get("reason") === "expired") {
    const reason = document.getElementById("login-reason");
    reason.textContent = "登录已过期，请重新登录；已填写的内容已保留";
    reason.classList.remove("d-none");
  }

  function target(me) {
    const next = new URLSearchParams(window.location.search).get("next");
    if (next && next.startsWith("/") && !next.startsWith("//")) {
      return next;
    }
    const template = landing.paths[me.role] || landing.fallback;
    return template.replace("{code}", encodeURIComponent(me.scope_code));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    message.classList.add("d-none");
    if (!form.username.value || !form.password.value) {
      show("请输入用户名和密码");
      return;
    }
    const button = document.getElementById("login-submit");
    button.disabled = true;
    try {
      const response = await fetch("/api/auth/token", {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
      });
      if (response.status === 423) {
        show("账户已锁定，请稍后再试或联系管理员");
      } else if (response.status === 429) {
        // too many failed logins from this address: the answer says in how many minutes
        const body = await response.json().catch(() => ({}));
        show(body.detail || "登录失败次数过多，请稍后再试");
      } else if (!response.ok) {
        show("用户名或密码错误");
      } else {
        const me = await (await fetch("/api/me", { credentials: "same-origin" })).json();
        window.location.assign(target(me));
        return;
      }
    } catch (error) {
      show("无法连接服务器，请稍后再试");
    }
    button.disabled = false;
  });
})();
