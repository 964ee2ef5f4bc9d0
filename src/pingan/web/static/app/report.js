/* Resident report form: position from the device or a tap on the map, nearby open cases to follow instead,
   and a send that survives a bad signal (the draft lives in localStorage; a failed send retries). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("report-config").textContent);
  var T = config.strings;
  var form = document.getElementById("report-form");
  var topStatus = document.getElementById("report-status");
  var sendStatus = document.getElementById("send-status");
  var sendBtn = document.getElementById("send");
  var KEY = "pingan.report.draft";
  var FIELDS = ["category_code", "description", "lon", "lat", "crs", "reporter_name", "reporter_phone"];
  var map = null, pin = null, retryTimer = null, attempt = 0, sending = false;

  function field(name) { return form.elements.namedItem(name); }
  function say(kind, text, top) {
    var status = top ? topStatus : sendStatus;
    topStatus.textContent = "";
    sendStatus.textContent = "";
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    status.appendChild(p);
  }

  /* ---- draft ---- */
  function saveDraft() {
    var d = {};
    FIELDS.forEach(function (n) { var f = field(n); if (f) { d[n] = f.value; } });
    d.anonymous = field("anonymous").checked;
    try { localStorage.setItem(KEY, JSON.stringify(d)); } catch (e) { /* private mode: keep going */ }
  }
  function restoreDraft() {
    var d = null;
    try { d = JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { d = null; }
    if (!d) { return; }
    FIELDS.forEach(function (n) { var f = field(n); if (f && !f.value && d[n]) { f.value = d[n]; } });
    if (d.anonymous) { field("anonymous").checked = true; }
    if (d.description || d.category_code) { say("notice", T["report.restored"], true); }
  }
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);

  /* ---- errors next to fields ---- */
  function fieldError(name, message) {
    var box = document.getElementById("err-" + name);
    var input = name === "lon" ? null : field(name);
    if (box) { box.textContent = message || ""; box.hidden = !message; }
    if (input && input.setAttribute) {
      if (message) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", "err-" + name); }
      else { input.removeAttribute("aria-invalid"); input.removeAttribute("aria-describedby"); }
    }
  }
  function clearErrors() { ["category_code", "description", "lon", "photo", "reporter_phone"].forEach(function (n) { fieldError(n, ""); }); }
  function validate() {
    clearErrors();
    var ok = true, first = null;
    if (!field("category_code").value) { fieldError("category_code", T["report.err.category"]); ok = false; first = first || field("category_code"); }
    if (field("description").value.trim().length < 5) { fieldError("description", T["report.err.description"]); ok = false; first = first || field("description"); }
    if (!field("lon").value || !field("lat").value) { fieldError("lon", T["report.err.position"]); ok = false; first = first || document.getElementById("locate-me"); }
    if (first) { first.focus(); }
    return ok;
  }

  /* ---- position ---- */
  function setPoint(lon, lat, crs, label) {
    field("lon").value = lon.toFixed(6);
    field("lat").value = lat.toFixed(6);
    field("crs").value = crs;
    document.getElementById("where-text").textContent = label + " (" + lon.toFixed(5) + ", " + lat.toFixed(5) + ")";
    fieldError("lon", "");
    saveDraft();
    showPlace(lon, lat, crs);
    if (map) {
      var ll = crs === "wgs84" ? map.pinganLatLng(lon, lat) : L.latLng(lat, lon);
      if (pin) { pin.setLatLng(ll); } else { pin = L.circleMarker(ll, { radius: 9, color: "#0b5cad", weight: 3, fillOpacity: 0.6 }).addTo(map); }
      map.setView(ll, 16, { animate: false });
    }
    loadNearby();
  }
  /** Name the grid, community and street of the chosen point (or say it is outside the district). */
  var placeSeq = 0;
  function showPlace(lon, lat, crs) {
    var out = document.getElementById("where-area");
    if (!out || !window.PinganMap) { return; }
    var seq = ++placeSeq;
    out.textContent = "";
    PinganMap.placeOf(lon, lat, crs).then(function (where) {
      if (seq !== placeSeq) { return; }
      if (!where) { out.textContent = T["report.outside"]; out.className = "hint error"; return; }
      out.className = "hint";
      out.textContent = T["report.in_area"].replace("{grid}", where.grid.name)
        .replace("{community}", where.community ? where.community.name : "").replace("{street}", where.street ? where.street.name : "");
    });
  }
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { say("alert", T["report.no_gps"], true); return; }
    document.getElementById("where-text").textContent = T["report.locating"];
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude, "wgs84", T["report.gps_point"]);
    }, function () { say("alert", T["report.no_gps"], true); }, { enableHighAccuracy: true, timeout: 10000 });
  });
  function initMap() {
    map = PinganMap.create("report-map", config, {});
    map.setView(map.pinganLatLng(config.center[0], config.center[1]), 13);
    PinganMap.addContext(map);
    fetch(config.grids_url).then(function (r) { return r.json(); }).then(function (geo) {
      var layer = map.pinganGeoJSON(geo, { style: { color: "#0b5cad", weight: 1, fillColor: "#cfe0f5", fillOpacity: 0.35 } }).addTo(map);
      if (!field("lon").value) { map.fitBounds(layer.getBounds(), { animate: false }); }
    }).catch(function () {});
    map.on("click", function (ev) {
      var p = map.pinganPoint(ev.latlng);
      setPoint(p.lon, p.lat, p.crs, T["report.map_point"]);
    });
    if (field("lon").value && field("lat").value) {
      setPoint(parseFloat(field("lon").value), parseFloat(field("lat").value), field("crs").value || "wgs84", T["report.map_point"]);
    }
  }

  /* ---- nearby open cases ---- */
  function loadNearby() {
    var cat = field("category_code").value, lon = field("lon").value, lat = field("lat").value;
    var box = document.getElementById("nearby-box"), list = document.getElementById("nearby");
    if (!cat || !lon || !lat) { box.hidden = true; return; }
    var url = config.nearby_url + "?category_code=" + encodeURIComponent(cat) + "&lon=" + lon + "&lat=" + lat + "&crs=" + field("crs").value;
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (data) {
      list.textContent = "";
      (data.items || []).forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "/track?number=" + encodeURIComponent(c.number);
        a.textContent = c.number + " · " + c.title;
        li.appendChild(a);
        var small = document.createElement("div");
        small.className = "hint";
        small.textContent = c.distance_text + " · " + c.state_label + " · " + c.reported_text;
        li.appendChild(small);
        list.appendChild(li);
      });
      box.hidden = !(data.items && data.items.length);
    }).catch(function () { box.hidden = true; });
  }
  field("category_code").addEventListener("change", loadNearby);

  /* ---- send, with retries ---- */
  function scheduleRetry() {
    attempt += 1;
    var wait = Math.min(60, 5 * Math.pow(2, attempt - 1));
    say("alert", T["report.failed"].replace("{seconds}", String(wait)));
    document.body.setAttribute("data-send-state", "retrying");
    retryTimer = setTimeout(send, wait * 1000);
  }
  function send() {
    if (sending) { return; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    sending = true;
    sendBtn.disabled = true;
    say("notice", T["report.sending"]);
    var body = new FormData(form);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": config.csrf } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      })
      .then(function (res) {
        sending = false;
        sendBtn.disabled = false;
        if (res.status === 200 || res.status === 201) {
          try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
          document.body.setAttribute("data-send-state", "sent");
          window.location.href = res.data.url;
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          var err = (res.data && res.data.error) || {};
          attempt = 0;
          document.body.setAttribute("data-send-state", "invalid");
          if (err.field && document.getElementById("err-" + err.field)) { fieldError(err.field, err.message); say("alert", T["report.fix"]); }
          else { say("alert", err.message || T["report.fix"]); }
          return;
        }
        scheduleRetry();
      })
      .catch(function () { sending = false; sendBtn.disabled = false; scheduleRetry(); });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!validate()) { return; }
    attempt = 0;
    send();
  });
  window.addEventListener("online", function () { if (retryTimer) { send(); } });

  restoreDraft();
  initMap();
})();
