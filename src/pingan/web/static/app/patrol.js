/* Patrol volunteer's phone page: a small map per dispatch, and reports that survive a bad signal — the typed
   outcome is kept in localStorage until the server has it, and a failed send says so and can be repeated. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("patrol-config").textContent);
  var T = config.strings;
  var PREFIX = "pingan.patrol.outcome.";

  function bindMap(box) {
    if (!window.PinganMap || !window.L) { return; }
    var map = PinganMap.create(box, config, { scrollWheelZoom: false });
    var ll = map.pinganLatLng(parseFloat(box.dataset.lon), parseFloat(box.dataset.lat));
    map.setView(ll, 16);
    L.circleMarker(ll, { radius: 9, color: "#c62828", weight: 3, fillOpacity: 0.7 }).addTo(map);
    PinganMap.addContext(map);
  }
  document.querySelectorAll(".small-map").forEach(bindMap);

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

  function bindForm(form) {
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
  }
  document.querySelectorAll("form.dispatch-report").forEach(bindForm);

  // Live: the feed (/api/v1/live) tells this volunteer's page when a dispatch of theirs is new or changed
  // (the server sends a volunteer only their own); the page then fetches its own view and adds the new task
  // cards and drops finished ones, leaving the cards being worked on (and anything typed in them) alone.
  var section = document.getElementById("dispatches");
  var liveState = document.getElementById("live-state");
  var announce = document.getElementById("patrol-status");
  function refreshDispatches() {
    return fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("dispatches");
        if (!fresh) { return; }
        var incoming = fresh.querySelectorAll("article.dispatch");
        var keep = {};
        var added = 0;
        var anchor = section.querySelector("article.dispatch");
        incoming.forEach(function (card) {
          keep[card.id] = true;
          if (document.getElementById(card.id)) { return; }
          var node = document.importNode(card, true);
          section.insertBefore(node, anchor || null);
          node.querySelectorAll(".small-map").forEach(bindMap);
          node.querySelectorAll("form.dispatch-report").forEach(bindForm);
          added += 1;
        });
        section.querySelectorAll("article.dispatch").forEach(function (card) {
          if (!keep[card.id]) { card.parentNode.removeChild(card); }
        });
        var none = document.getElementById("no-dispatch");
        if (none && incoming.length) { none.hidden = true; }
        if (added) {
          announce.innerHTML = "";
          var p = document.createElement("p");
          p.className = "success";
          p.textContent = T.new_dispatch;
          announce.appendChild(p);
          section.setAttribute("data-last-dispatch", incoming[0].id);
        }
      });
  }
  var source = null, retry = null, wasLost = false;
  function connect() {
    if (!window.EventSource || !section || !config.live_url) { return; }
    if (source) { source.close(); }
    source = new EventSource(config.live_url, { withCredentials: true });
    source.onopen = function () {
      section.setAttribute("data-live", "on");
      liveState.textContent = "";
      if (wasLost) { wasLost = false; refreshDispatches().catch(function () {}); }  // what came meanwhile
    };
    source.onerror = function () {
      section.setAttribute("data-live", "reconnecting");
      liveState.textContent = T.reconnecting;
      wasLost = true;
      if (source.readyState === EventSource.CLOSED && !retry) {
        retry = setTimeout(function () { retry = null; connect(); }, 3000);
      }
    };
    source.addEventListener("dispatch", function () { refreshDispatches().catch(function () {}); });
  }
  window.addEventListener("online", function () { connect(); });
  connect();
})();
