/* Patrol volunteer's phone page: a small map per dispatch, and reports that survive a bad signal — the typed
   outcome is kept in localStorage until the server has it, and a failed send says so and can be repeated. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("patrol-config").textContent);
  var T = config.strings;
  var PREFIX = "pingan.patrol.outcome.";

  document.querySelectorAll(".small-map").forEach(function (box) {
    if (!window.PinganMap || !window.L) { return; }
    var map = PinganMap.create(box, config, { scrollWheelZoom: false });
    var ll = map.pinganLatLng(parseFloat(box.dataset.lon), parseFloat(box.dataset.lat));
    map.setView(ll, 16);
    L.circleMarker(ll, { radius: 9, color: "#c62828", weight: 3, fillOpacity: 0.7 }).addTo(map);
    PinganMap.addContext(map);
  });

  function store(key, value) {
    try { if (value) { localStorage.setItem(key, value); } else { localStorage.removeItem(key); } } catch (e) { /* private mode */ }
  }
  function stored(key) {
    try { return localStorage.getItem(key) || ""; } catch (e) { return ""; }
  }

  // drafts of dispatches no longer on the page were delivered: forget them
  var open = {};
  document.querySelectorAll("form.dispatch-report").forEach(function (f) { open[PREFIX + f.dataset.dispatch] = true; });
  try {
    Object.keys(localStorage).forEach(function (k) { if (k.indexOf(PREFIX) === 0 && !open[k]) { localStorage.removeItem(k); } });
  } catch (e) { /* private mode */ }

  document.querySelectorAll("form.dispatch-report").forEach(function (form) {
    var key = PREFIX + form.dataset.dispatch;
    var note = form.elements.namedItem("outcome");
    var status = form.querySelector(".send-status");
    if (!note.value && stored(key)) {
      note.value = stored(key);
      status.textContent = T.restored;
    }
    note.addEventListener("input", function () { store(key, note.value); });
    form.addEventListener("submit", function (ev) {
      if (!window.fetch || !window.FormData) { return; }
      ev.preventDefault();
      var data = new FormData(form);
      var button = ev.submitter;
      if (button && button.name) { data.set(button.name, button.value); }
      store(key, note.value);
      status.className = "send-status hint";
      status.textContent = T.sending;
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) {
          if (r.ok && r.redirected) {
            store(key, "");
            window.location.assign(r.url);
            return null;
          }
          return r.text().then(function (html) {
            // the server refused (a message by the field): show its page, the note is in it and in the draft
            document.open();
            document.write(html);
            document.close();
          });
        })
        .catch(function () {
          buttons.forEach(function (b) { b.disabled = false; });
          status.className = "send-status alert";
          status.setAttribute("role", "alert");
          status.textContent = T.offline;
        });
    });
  });
})();
