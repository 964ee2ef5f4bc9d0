/* Grid view map: the boundary as a vector layer and the grid's open cases as SLA-coloured dots. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("grid-config").textContent);
  var map = PinganMap.create("grid-map", config, { scrollWheelZoom: false });
  var COLOURS = { green: "#1e7a3c", yellow: "#b7791f", red: "#c62828" };
  map.setView(map.pinganLatLng(config.center[0], config.center[1]), 15, { animate: false });
  PinganMap.addContext(map);
  fetch(config.area_url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (area) {
    if (!area.geometry) { return; }
    var layer = map.pinganGeoJSON({ type: "Feature", geometry: area.geometry, properties: {} },
      { style: { color: "#0b5cad", weight: 2, fillColor: "#cfe0f5", fillOpacity: 0.35 } }).addTo(map);
    map.once("moveend", function () { document.getElementById("grid-map").setAttribute("data-ready", "1"); });
    map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
  }).catch(function () {});
  config.cases.forEach(function (c) {
    var m = L.circleMarker(map.pinganLatLng(c.lon, c.lat), { radius: 7, color: "#fff", weight: 2,
      fillColor: COLOURS[c.sla_color] || COLOURS.green, fillOpacity: 0.95 }).addTo(map);
    var text = c.number + " · " + c.title + " · " + (config.strings["sla." + c.sla_color] || "");
    m.bindTooltip(text);
    m.on("click", function () { window.location.href = "/work/cases/" + c.id; });
  });
})();
