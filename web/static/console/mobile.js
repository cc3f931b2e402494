// A phone's console (max-width 768px in the stylesheets: one column, the map on top).
// The buttons on the map (data-zz-toggle="layers" / "legend", shown up to 1100 px) open the
// layer panel or the legend, one at a time: the class zz-m-<name>-open on the map's box
// (data-zz-toggles) lets the page's stylesheet show it. On the 调度台, a case picked in the
// list under the map, or 登记案件, brings the panel below the map into view.
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
})();
