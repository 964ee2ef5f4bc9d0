/* Inspector's phone checklist: pick a place (nearest first), answer every item (a fail needs a photo), sign,
   send. A visit is first put in an outbox in localStorage with its own id (visit_uid), then sent; without
   signal it stays there and is sent again when the signal returns (the report page's retry approach, with
   backoff); re-inspections of open hazards go through the same outbox. The server answers a resent visit_uid with the visit it already has: a visit is recorded once. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("check-config").textContent);
  var T = config.strings;
  var OUTBOX = "pingan.inspections.outbox";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var status = document.getElementById("check-status");
  var list = document.getElementById("places");
  var sheet = document.getElementById("sheet");
  var pick = document.getElementById("pick");
  var items = document.getElementById("items");
  var form = document.getElementById("sheet-form");
  var errorBox = document.getElementById("sheet-error");
  var here = null, places = [], current = null, checklist = null, retryTimer = null, attempt = 0, sending = false;

  function say(kind, text) {
    status.textContent = "";
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    status.appendChild(p);
  }
  function outbox() { try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; } }
  function saveOutbox(q) { try { localStorage.setItem(OUTBOX, JSON.stringify(q)); } catch (e) { /* full: keep in memory */ } }
  function uid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined });
  }

  /* ---- places ---- */
  function loadPlaces() {
    if (!config.campaign_id) { return; }
    var url = "/api/v1/inspections/campaigns/" + config.campaign_id + "/places?limit=100";
    if (here) { url += "&lon=" + here.lon + "&lat=" + here.lat; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { places = data.items || []; showPlaces(); })
      .catch(function () { showPlaces(); });
  }
  function showPlaces() {
    var q = (document.getElementById("find").value || "").trim();
    list.textContent = "";
    places.filter(function (p) { return !q || p.name.indexOf(q) >= 0 || p.address.indexOf(q) >= 0; }).forEach(function (p) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "place-pick";
      b.setAttribute("data-place", String(p.id));
      b.textContent = p.name + (p.inspected ? " ✓" : "");
      b.addEventListener("click", function () { open(p); });
      li.appendChild(b);
      var small = document.createElement("div");
      small.className = "hint";
      small.textContent = p.address + (p.distance_m != null ? " · " + Math.round(p.distance_m) + " m" : "") + (p.inspected ? " · " + T.inspected : "");
      li.appendChild(small);
      list.appendChild(li);
    });
  }
  document.getElementById("find").addEventListener("input", showPlaces);
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      here = { lon: pos.coords.longitude.toFixed(6), lat: pos.coords.latitude.toFixed(6) };
      loadPlaces();
    }, function () { loadPlaces(); }, { enableHighAccuracy: true, timeout: 10000 });
  });

  /* ---- a place found during the campaign (added to the register once, by the server) ---- */
  document.getElementById("np-go").addEventListener("click", function () {
    var err = document.getElementById("np-error");
    var name = document.getElementById("np-name").value.trim();
    var type = document.getElementById("np-type").value;
    err.hidden = true;
    if (!name) { err.textContent = T.need_name; err.hidden = false; return; }
    function go() {
      open({ id: null, name: name, address: document.getElementById("np-address").value.trim(), place_type: type,
        lon: parseFloat(here.lon), lat: parseFloat(here.lat), checklist_id: config.checklists[type], is_new: true });
    }
    if (here) { go(); return; }
    if (!navigator.geolocation) { err.textContent = T.need_position; err.hidden = false; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      here = { lon: pos.coords.longitude.toFixed(6), lat: pos.coords.latitude.toFixed(6) };
      go();
    }, function () { err.textContent = T.need_position; err.hidden = false; }, { enableHighAccuracy: true, timeout: 10000 });
  });

  /* ---- the checklist ---- */
  function open(place) {
    current = place;
    fetch("/api/v1/inspections/checklists/" + place.checklist_id, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (c) { checklist = c; render(); });
  }
  function render() {
    var zh = config.lang !== "en";
    document.getElementById("sheet-title").textContent = current.name;
    document.getElementById("sheet-sub").textContent = (zh ? checklist.title_zh : checklist.title_en) + " · v" + checklist.version;
    items.textContent = "";
    checklist.items.forEach(function (item, n) {
      var li = document.createElement("li");
      li.className = "check-item";
      li.setAttribute("data-item", item.code);
      var fs = document.createElement("fieldset");
      var lg = document.createElement("legend");
      lg.textContent = (zh ? item.text_zh : item.text_en) + " [" + T[item.severity] + "]";
      fs.appendChild(lg);
      ["pass", "fail", "na"].forEach(function (v) {
        var id = "i" + n + "-" + v;
        var input = document.createElement("input");
        input.type = "radio"; input.name = "r" + n; input.value = v; input.id = id;
        var label = document.createElement("label");
        label.htmlFor = id; label.textContent = T[v]; label.className = "choice";
        fs.appendChild(input); fs.appendChild(label);
      });
      var basis = document.createElement("p");
      basis.className = "hint"; basis.textContent = T.basis + ": " + item.basis;
      fs.appendChild(basis);
      var pl = document.createElement("label");
      pl.htmlFor = "p" + n; pl.textContent = T.photo;
      var photo = document.createElement("input");
      photo.type = "file"; photo.accept = "image/*"; photo.setAttribute("capture", "environment"); photo.id = "p" + n; photo.name = "p" + n;
      fs.appendChild(pl); fs.appendChild(photo);
      li.appendChild(fs);
      items.appendChild(li);
    });
    pick.hidden = true;
    sheet.hidden = false;
    errorBox.hidden = true;
    document.getElementById("sheet-title").focus && document.getElementById("sheet-title").scrollIntoView();
  }
  document.getElementById("back").addEventListener("click", function () { sheet.hidden = true; pick.hidden = false; loadPlaces(); });

  function shrink(file) {
    /* a photo as a JPEG data URL of at most 1280 px (small enough to wait in the outbox) */
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onerror = reject;
      reader.onload = function () {
        var img = new Image();
        img.onerror = function () { resolve(reader.result); };
        img.onload = function () {
          var scale = Math.min(1, 1280 / Math.max(img.width, img.height));
          var canvas = document.createElement("canvas");
          canvas.width = Math.max(1, Math.round(img.width * scale));
          canvas.height = Math.max(1, Math.round(img.height * scale));
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.7));
        };
        img.src = reader.result;
      };
      reader.readAsDataURL(file);
    });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var answers = [], waits = [], problem = null;
    checklist.items.forEach(function (item, n) {
      var chosen = form.querySelector('input[name="r' + n + '"]:checked');
      var files = document.getElementById("p" + n).files;
      if (!chosen) { problem = problem || T.need_all; return; }
      if (chosen.value === "fail" && (!files || !files.length)) { problem = problem || T.need_photo; return; }
      var answer = { item: item.code, result: chosen.value, note: "", photos: [] };
      answers.push(answer);
      if (files && files.length) { waits.push(shrink(files[0]).then(function (d) { answer.photos.push(d); })); }
    });
    var signed = document.getElementById("signed_by").value.trim();
    if (!problem && !signed) { problem = T.sign; }
    if (problem) { errorBox.textContent = problem; errorBox.hidden = false; return; }
    Promise.all(waits).then(function () {
      var visit = { visit_uid: uid(), campaign_id: config.campaign_id,
        checklist_id: checklist.id, checklist_version: checklist.version, answers: answers,
        signed_by: signed, visited_at: new Date().toISOString() };
      if (current.is_new) {
        visit.new_place = { place_type: current.place_type, name: current.name, address: current.address,
          lon: current.lon, lat: current.lat };
      } else { visit.place_id = current.id; }
      if (here) { visit.lon = parseFloat(here.lon); visit.lat = parseFloat(here.lat); }
      enqueue("/api/v1/inspections/visits", visit);
      form.reset();
      if (current.is_new) { document.getElementById("new-place").open = false; document.getElementById("np-name").value = ""; }
      sheet.hidden = true; pick.hidden = false;
    });
  });

  /* ---- re-inspections: the open hazards of the campaign in the inspector's scope ---- */
  var recheckForm = document.getElementById("recheck-form");
  var recheckError = document.getElementById("recheck-error");
  var hazard = null;
  function loadHazards() {
    if (!config.campaign_id) { return; }
    fetch("/api/v1/inspections/hazards?status=open&limit=50&campaign_id=" + config.campaign_id,
      { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        var ul = document.getElementById("hazards");
        ul.textContent = "";
        (data.items || []).forEach(function (h) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button"; b.className = "place-pick hazard-pick"; b.setAttribute("data-hazard", String(h.id));
          b.textContent = (h.place_name || h.place_id) + "：" + h.description;
          b.addEventListener("click", function () { openRecheck(h); });
          li.appendChild(b);
          var small = document.createElement("div");
          small.className = "hint";
          small.textContent = T[h.severity] + " · " + T.due_short + " " + h.due_at.slice(0, 10) + (h.flags.indexOf("overdue") >= 0 ? " · " + T.overdue : "");
          li.appendChild(small);
          ul.appendChild(li);
        });
      }).catch(function () {});
  }
  function openRecheck(h) {
    hazard = h;
    document.getElementById("recheck-what").textContent = (h.place_name || "") + "：" + h.description;
    recheckForm.hidden = false;
    recheckError.hidden = true;
    document.getElementById("rc-pass").focus();
  }
  recheckForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var chosen = recheckForm.querySelector('input[name="recheck"]:checked');
    var files = document.getElementById("rc-photo").files;
    var signed = document.getElementById("rc-signed").value.trim();
    var problem = !chosen ? T.need_all : (!files || !files.length) ? T.need_photo : !signed ? T.sign : null;
    if (problem) { recheckError.textContent = problem; recheckError.hidden = false; return; }
    shrink(files[0]).then(function (data) {
      enqueue("/api/v1/inspections/hazards/" + hazard.id + "/reinspections", {
        visit_uid: uid(), result: chosen.value, note: document.getElementById("rc-note").value.trim(),
        photos: [data], signed_by: signed, visited_at: new Date().toISOString() });
      recheckForm.reset();
      recheckForm.hidden = true;
    });
  });

  /* ---- the outbox: send each visit until the server has it ---- */
  function enqueue(url, body) {
    var q = outbox(); q.push({ url: url, body: body }); saveOutbox(q);
    attempt = 0;
    flush();
  }
  function scheduleRetry() {
    attempt += 1;
    var wait = Math.min(60, 5 * Math.pow(2, attempt - 1));
    document.body.setAttribute("data-send-state", "queued");
    say("alert", T.queued.replace("{n}", String(outbox().length)));
    if (retryTimer) { clearTimeout(retryTimer); }
    retryTimer = setTimeout(flush, wait * 1000);
  }
  function flush() {
    if (sending) { return; }
    var q = outbox();
    if (!q.length) { return; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    sending = true;
    var entry = q[0];
    var visit = entry.body;
    api("POST", entry.url, visit).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      sending = false;
      if (res.status === 200 || res.status === 201 || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)) {
        saveOutbox(outbox().filter(function (e) { return e.body.visit_uid !== visit.visit_uid; }));
      }
      if (res.status === 200 || res.status === 201) {
        var n = (res.data.hazards || []).length;
        document.body.setAttribute("data-send-state", "sent");
        if (entry.url.indexOf("/reinspections") > 0) { say("success", T.recheck_sent); }
        else { say("success", n ? T.sent_hazards.replace("{n}", String(n)) : T.sent); }
        attempt = 0;
        loadPlaces();
        loadHazards();
        flush();
        return;
      }
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        var err = (res.data && res.data.error) || {};
        document.body.setAttribute("data-send-state", "invalid");
        say("alert", T.error + ": " + (err.message || res.status));
        return;
      }
      scheduleRetry();
    }).catch(function () { sending = false; scheduleRetry(); });
  }
  window.addEventListener("online", function () { attempt = 0; flush(); });

  /* entries queued by an older page (the visit itself) are wrapped */
  saveOutbox(outbox().map(function (e) { return e.url ? e : { url: "/api/v1/inspections/visits", body: e }; }));
  loadPlaces();
  loadHazards();
  if (outbox().length) { flush(); }
})();
