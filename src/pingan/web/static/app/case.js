/* Case page: the case's point on its grid (vector boundary, no tiles needed); forms disable while sending. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("case-config").textContent);
  var box = document.getElementById("case-map");
  if (box && config.point) {
    var map = PinganMap.create(box, config, { scrollWheelZoom: false });
    var ll = map.pinganLatLng(config.point[0], config.point[1]);
    map.setView(ll, 16);
    var pin = L.circleMarker(ll, { radius: 9, color: "#c62828", weight: 3, fillOpacity: 0.7 }).addTo(map);
    PinganMap.addContext(map);
    PinganMap.placeOf(config.point[0], config.point[1], "wgs84").then(function (where) {
      if (!where) { return; }
      var text = [where.grid, where.community, where.street].filter(Boolean).map(function (a) { return a.name; }).join(" · ");
      pin.bindTooltip(text, { permanent: true, direction: "top", offset: [0, -10], className: "place-tip" }).openTooltip();
      box.setAttribute("data-place", text);
    });
    fetch(config.area_url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (area) {
      if (area && area.geometry) {
        var layer = map.pinganGeoJSON({ type: "Feature", geometry: area.geometry, properties: {} },
          { style: { color: "#0b5cad", weight: 2, fillColor: "#cfe0f5", fillOpacity: 0.3 } }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 17, animate: false });
      }
    }).catch(function () {});
  }
  document.querySelectorAll(".actions form").forEach(function (f) {
    f.addEventListener("submit", function () {
      var b = f.querySelector("button[type=submit]");
      setTimeout(function () { if (b) { b.disabled = true; } }, 0);
    });
  });
  // keys: a = first action's first field, q = back to the queue
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (ev.key === "a") {
      var first = document.querySelector(".actions form select, .actions form textarea, .actions form input:not([type=hidden])");
      if (first) { first.focus(); ev.preventDefault(); }
    } else if (ev.key === "q") {
      window.location.href = "/work";
    }
  });
  document.body.setAttribute("data-keys", "1");
  var invalid = document.querySelector('.actions [aria-invalid="true"]');
  if (invalid) { invalid.focus(); }
})();
