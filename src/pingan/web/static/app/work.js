/* Workbench queue keys: j/k (or ↓/↑) move between cases, Enter opens, / jumps to the search box,
   filters apply as soon as a select changes (they live in the URL). */
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll("#queue .row-link"));
  var form = document.querySelector("form.filters");
  function typing(t) { return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"); }
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
  document.querySelectorAll("#queue tbody tr[data-href]").forEach(function (tr) {
    tr.addEventListener("click", function (ev) { if (ev.target.tagName !== "A") { window.location.href = tr.getAttribute("data-href"); } });
  });
})();
