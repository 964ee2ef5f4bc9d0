/* Workbench queue keys: j/k (or ↓/↑) move between cases, Enter opens, / jumps to the search box,
   filters apply as soon as a select changes (they live in the URL).
   Live: the scoped SSE feed (/api/v1/live) says a case changed; the queue then reloads its own rows (the
   same URL: filters and page) in the background and swaps them in, marking the rows that are new. */
(function () {
  "use strict";
  var links = [];
  var form = document.querySelector("form.filters");
  function typing(t) { return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"); }
  function bindRows() {
    links = Array.prototype.slice.call(document.querySelectorAll("#queue .row-link"));
    document.querySelectorAll("#queue tbody tr[data-href]").forEach(function (tr) {
      if (tr.getAttribute("data-bound")) { return; }
      tr.setAttribute("data-bound", "1");
      tr.addEventListener("click", function (ev) { if (ev.target.tagName !== "A") { window.location.href = tr.getAttribute("data-href"); } });
    });
  }
  function move(step) {
    if (!links.length) { return; }
    var i = links.indexOf(document.activeElement);
    i = i < 0 ? (step > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, i + step));
    links[i].focus();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    if (ev.key === "j" || (ev.key === "ArrowDown" && links.indexOf(document.activeElement) >= 0)) { move(1); ev.preventDefault(); }
    else if (ev.key === "k" || (ev.key === "ArrowUp" && links.indexOf(document.activeElement) >= 0)) { move(-1); ev.preventDefault(); }
    else if (ev.key === "/") { var q = document.getElementById("f-q"); if (q) { q.focus(); q.select(); ev.preventDefault(); } }
  });
  document.body.setAttribute("data-keys", "1");
  if (form) {
    form.querySelectorAll("select").forEach(function (s) { s.addEventListener("change", function () { form.submit(); }); });
  }
  bindRows();

  var configEl = document.getElementById("queue-config");
  var stateEl = document.getElementById("queue-live");
  if (!configEl || !stateEl || !window.EventSource) { return; }
  var config = JSON.parse(configEl.textContent);
  var T = config.strings || {};
  function setState(state) { stateEl.setAttribute("data-state", state); stateEl.textContent = T[state] || state; }
  var timer = null, loading = false, again = false;
  function swap(id, doc) {
    var fresh = doc.getElementById(id), old = document.getElementById(id);
    if (fresh && old) { old.replaceWith(fresh); }
    else if (fresh && !old && id === "reminders") { var h = document.getElementById("keys-hint"); if (h) { h.parentNode.insertBefore(fresh, h); } }
    else if (!fresh && old && id === "reminders") { old.remove(); }
  }
  function reload() {
    if (loading) { again = true; return; }
    loading = true;
    var focused = document.activeElement && document.activeElement.classList.contains("row-link") ? document.activeElement.textContent : null;
    var before = {};
    links.forEach(function (a) { before[a.textContent] = true; });
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var doc = new DOMParser().parseFromString(html, "text/html");
      var body = doc.querySelector("#queue tbody"), old = document.querySelector("#queue tbody");
      if (!body || !old) { return; }
      old.replaceWith(body);
      swap("queue-total", doc);
      swap("reminders", doc);
      bindRows();
      links.forEach(function (a) {
        if (!before[a.textContent]) { a.closest("tr").classList.add("fresh"); }
        if (focused && a.textContent === focused) { a.focus(); }
      });
      document.body.setAttribute("data-live-updated", String(Date.now()));
    }).catch(function () { /* the next event tries again */ }).then(function () {
      loading = false;
      if (again) { again = false; reload(); }
    });
  }
  function connect() {
    var source = new EventSource(config.feed);
    source.addEventListener("open", function () { setState("on"); });
    source.addEventListener("error", function () { setState(source.readyState === 2 ? "lost" : "lost"); });
    source.addEventListener("case", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(reload, config.debounce_ms || 600);
    });
  }
  connect();
})();
