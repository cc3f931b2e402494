// 指挥调度's 离线 N on 视频在线率: the unit's offline cameras in a dialog, the longest silent
// first (GET /api/console/{code}/cameras/offline), fifty at a time; 定位 closes it and marks the
// camera on the map. Labels in Chinese; nothing personal is listed.
(function () {
  "use strict";

  const dialog = document.getElementById("zz-offline");
  const link = document.getElementById("zz-offline-link");
  if (!dialog || !link) return;
  const code = document.body.dataset.code;
  const PAGE = 50;
  const state = { offset: 0, token: 0, mark: null };
  const $ = (id) => document.getElementById(id);

  /** How long ago a camera was last heard from: "3天前", "5小时前", or "未记录". */
  function silence(iso) {
    if (!iso) return "未记录";
    const hours = Math.floor((Date.now() - Date.parse(iso)) / 3600000);
    const ago = hours >= 48 ? Math.floor(hours / 24) + "天前" : hours >= 1 ? hours + "小时前" : "不到1小时前";
    return zz.fmtTime(iso) + "（" + ago + "）";
  }

  function row(camera) {
    const tr = document.createElement("tr");
    tr.dataset.cameraId = camera.id;
    tr.innerHTML =
      "<td>" + zz.esc(camera.name) + '<div class="text-muted small">' + zz.esc(camera.device_id) + "</div></td>" +
      "<td>" + zz.esc(camera.place || camera.area_code) + "</td>" +
      "<td>" + zz.esc(silence(camera.last_heartbeat)) + "</td>" +
      '<td><button type="button" class="btn btn-outline-primary btn-xs zz-offline-locate">定位</button></td>';
    tr.querySelector(".zz-offline-locate").addEventListener("click", () => locate(camera));
    return tr;
  }

  async function load(more) {
    const token = ++state.token;
    const body = $("zz-offline-body");
    const error = $("zz-offline-error");
    if (!more) {
      state.offset = 0;
      body.textContent = "";
      $("zz-offline-summary").textContent = "正在加载…";
    }
    error.classList.add("d-none");
    let page;
    try {
      page = await zz.api("/api/console/" + code + "/cameras/offline?limit=" + PAGE + "&offset=" + state.offset);
    } catch (e) {
      if (token !== state.token) return;
      error.textContent = "离线视频点位加载失败：" + zz.errorText(e);
      error.classList.remove("d-none");
      return;
    }
    if (token !== state.token) return;
    page.cameras.forEach((camera) => body.appendChild(row(camera)));
    state.offset += page.cameras.length;
    $("zz-offline-summary").textContent = page.matched
      ? "在用视频点位中离线 " + page.matched + " 个，最久未在线的在前" +
        (page.matched > state.offset ? "；已列出 " + state.offset + " 个" : "")
      : "辖区内在用视频点位均在线";
    $("zz-offline-more").hidden = state.offset >= page.matched;
  }

  /** Close the list and mark the camera on the map, zoomed in. */
  function locate(camera) {
    dialog.close();
    const map = window.zzMap;
    if (state.mark) map.removeLayer(state.mark);
    state.mark = L.circleMarker([camera.lat, camera.lon], {
      radius: 10,
      color: "#6a3d9a",
      weight: 3,
      fillColor: "#fff",
      fillOpacity: 0.6,
    })
      .bindTooltip(zz.esc(camera.name) + "（离线）", { permanent: true, direction: "top" })
      .addTo(map);
    map.setView([camera.lat, camera.lon], Math.max(map.getZoom(), 16));
  }

  link.addEventListener("click", function () {
    if (!dialog.open) dialog.showModal();
    load(false);
  });
  $("zz-offline-more").addEventListener("click", () => load(true));
  $("zz-offline-close").addEventListener("click", () => dialog.close());
})();
