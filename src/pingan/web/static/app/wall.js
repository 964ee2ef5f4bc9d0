/* The command-centre wall: clock, grid map coloured by a metric, live case markers and feed over SSE,
   KPI tiles and the street ranking from /wall/data.json (refreshed quietly, nothing jumps). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("wall-config").textContent);
  var T = config.strings;
  var state = { data: null, metric: "open", gridLayer: null, markers: null, map: null };
  window.PinganWall = state;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  /* ---- clock (Asia/Shanghai) ---- */
  var clockFmt = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  function localText(date, withSeconds) {
    var p = {};
    clockFmt.formatToParts(date).forEach(function (x) { p[x.type] = x.value; });
    var hh = p.hour === "24" ? "00" : p.hour;
    return p.year + "-" + p.month + "-" + p.day + " " + hh + ":" + p.minute + (withSeconds ? ":" + p.second : "");
  }
  function tick() { document.getElementById("wall-clock").textContent = localText(new Date(), true); }
  tick();
  setInterval(tick, 1000);

  /* ---- live indicator ---- */
  var live = document.getElementById("live");
  function setLive(mode) {
    live.className = "live live-" + mode;
    live.querySelector(".live-text").textContent = T["wall.live." + mode];
    live.setAttribute("data-state", mode);
  }

  /* ---- map ---- */
  var PALETTES = {
    open: ["#122848", "#1d63ad", "#2f92e0", "#6cc4f5", "#c9efff"],
    overdue: ["#122848", "#8a3a14", "#c4561c", "#f0802e", "#ffc078"],
    safety: ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"]
  };
  function breaks(metric) { return metric === "safety" ? [60, 70, 80, 90] : (metric === "overdue" ? [1, 2, 4, 7] : [1, 3, 6, 10]); }
  function colourFor(metric, value) {
    var b = breaks(metric), pal = PALETTES[metric], i = 0;
    if (value === null || value === undefined) { return "#1a2a45"; }
    while (i < b.length && value >= b[i]) { i++; }
    return pal[i];
  }
  function gridValue(code) {
    var g = state.data && state.data.grids[code];
    if (!g) { return state.metric === "safety" ? null : 0; }
    var v = g[state.metric];
    return v === undefined ? null : v;
  }
  function styleGrid(feature) {
    return { color: "#6f8fc0", weight: 0.8, fillOpacity: 0.78,
      fillColor: colourFor(state.metric, gridValue(feature.properties.code)) };
  }
  function legend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    box.appendChild(el("div", "legend-title", T["wall.metric." + state.metric]));
    var b = breaks(state.metric), pal = PALETTES[state.metric];
    var labels = [];
    if (state.metric === "safety") {
      labels = ["< " + b[0]].concat(b.slice(0, -1).map(function (x, i) { return x + "–" + (b[i + 1] - 1); })).concat(["≥ " + b[b.length - 1]]);
    } else {
      labels = ["0"].concat(b.slice(0, -1).map(function (x, i) { return b[i + 1] - 1 > x ? x + "–" + (b[i + 1] - 1) : String(x); })).concat(["≥ " + b[b.length - 1]]);
    }
    pal.forEach(function (c, i) {
      var row = el("div", "row");
      var sw = el("span", "sw"); sw.style.background = c;
      row.appendChild(sw); row.appendChild(el("span", "", labels[i]));
      box.appendChild(row);
    });
  }
  function recolour() {
    if (state.gridLayer) { state.gridLayer.setStyle(styleGrid); }
    legend();
  }
  function gridTip(layer) {
    var p = layer.feature.properties, g = (state.data && state.data.grids[p.code]) || {};
    return p.name + "<br>" + T["wall.metric.open"] + ": " + (g.open || 0) + " · " + T["wall.metric.overdue"] + ": " + (g.overdue || 0);
  }

  function caseMarker(item, ll, fresh) {
    var colour = item.sla_color || "green";
    var html = '<span class="case-dot sla-' + colour + '" style="display:block;width:14px;height:14px;background:' +
      ({ green: "#34c26b", yellow: "#f2c037", red: "#ff5252" }[colour] || "#34c26b") + '"></span>' +
      (fresh ? '<span class="pulse"></span>' : "");
    var m = L.marker(ll, { icon: L.divIcon({ className: "case-marker", html: html, iconSize: [16, 16] }),
      title: item.number + " " + (item.title || ""), keyboard: true });
    var info = '<b><a href="/work/cases/' + item.id + '">' + item.number + "</a></b><br>" + escapeHtml(item.title || "") +
      "<br>" + escapeHtml(T["sla." + colour] || colour);
    m.bindPopup(info);
    m.bindTooltip(item.number + " · " + (item.title || "") + " · " + (T["sla." + colour] || colour), { className: "grid-tip" });
    return m;
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  /* the district fills the map beside the controls (top right) and the zoom buttons (bottom right), never
     under them: the right-hand padding is as wide as the controls */
  function fitDistrict() {
    if (!state.gridLayer) { return; }
    var tools = document.querySelector(".map-tools").getBoundingClientRect();
    var right = Math.ceil(tools.width) + 28;
    state.map.fitBounds(state.gridLayer.getBounds(), { paddingTopLeft: [24, 24], paddingBottomRight: [right, 24] });
    document.body.setAttribute("data-fitted", "1");
  }

  function initMap() {
    var map = PinganMap.create("map", config, { zoomControl: false });
    L.control.zoom({ position: "bottomright" }).addTo(map);
    state.map = map;
    map.setView(map.pinganLatLng(config.center[0], config.center[1]), 13);
    state.markers = new PinganMap.Clusterer(map, { makeMarker: caseMarker, radius: 40 });
    PinganMap.addContext(map, { dark: true });
    var gridReq = fetch(config.grids_url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    var streetReq = fetch(config.streets_url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    gridReq.then(function (geo) {
      state.gridLayer = map.pinganGeoJSON(geo, { style: styleGrid, onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return gridTip(layer); }, { sticky: true, className: "grid-tip" });
        layer.on("click", function () { window.location.href = "/grids/" + f.properties.code; });
      } }).addTo(map);
      fitDistrict();
      document.body.setAttribute("data-grids", String(geo.features.length));
      return streetReq;
    }).then(function (geo) {
      map.pinganGeoJSON(geo, { style: { color: "#cfe3ff", weight: 2.5, fill: false }, interactive: false }).addTo(map);
    }).catch(function () { document.body.setAttribute("data-map-error", "1"); });
    legend();
  }

  document.querySelectorAll(".segmented button").forEach(function (b) {
    b.addEventListener("click", function () {
      state.metric = b.getAttribute("data-metric");
      document.querySelectorAll(".segmented button").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      recolour();
    });
  });

  /* ---- the map layers of the modules' wall tiles (patrollers on duty, …): points with a liveness status
     published under the tile's points key; each off by default, shown by its toggle button ---- */
  var STATUS = { online: "#4fc3f7", unknown: "#a9bbd9", offline: "#6b7a90", sos: "#ff5252" };
  var pointLayers = {}, shownPoints = {};
  function drawPoints(key) {
    if (!state.map) { return; }
    if (!pointLayers[key]) { pointLayers[key] = L.layerGroup(); }
    var layer = pointLayers[key];
    layer.clearLayers();
    if (!shownPoints[key]) { state.map.removeLayer(layer); return; }
    ((state.data && state.data[key]) || []).forEach(function (p) {
      L.circleMarker(state.map.pinganLatLng(p.lon, p.lat), { radius: p.status === "sos" ? 7 : 3, weight: p.status === "sos" ? 2 : 0,
        color: "#fff", fillColor: STATUS[p.status] || STATUS.unknown, fillOpacity: 0.9, interactive: false }).addTo(layer);
    });
    layer.addTo(state.map);
  }
  function redrawPoints() {
    Object.keys(shownPoints).forEach(function (key) { if (shownPoints[key]) { drawPoints(key); } });
  }
  document.querySelectorAll(".toggle[data-points]").forEach(function (button) {
    var key = button.getAttribute("data-points");
    button.addEventListener("click", function () {
      shownPoints[key] = !shownPoints[key];
      button.setAttribute("aria-pressed", String(shownPoints[key]));
      drawPoints(key);
    });
  });

  /* ---- KPIs, ranking, feed from /wall/data.json ---- */
  function fillKpis(kpis) {
    Object.keys(kpis).forEach(function (key) {
      var big = document.querySelector('[data-kpi="' + key + '"]');
      var sub = document.querySelector('[data-kpi-sub="' + key + '"]');
      if (big) { big.textContent = kpis[key].value; }
      if (sub) {
        sub.textContent = kpis[key].sub || "";
        sub.className = "sub" + (kpis[key].trend ? " " + kpis[key].trend : "");
      }
    });
  }
  /* the ranking shows every row: as many as fit at a time, the pages turning every few seconds
     (no scroll bars on the wall), with the page shown beside the title */
  var rank = { rows: [], page: 0, size: 0, timer: null };
  function rankRow(r, i) {
    var tr = el("tr");
    tr.appendChild(el("td", "num", String(i + 1)));
    var name = el("td", "name"); var a = el("a", "", r.name); a.href = "/work?area=" + r.code; name.appendChild(a); tr.appendChild(name);
    tr.appendChild(el("td", "num", String(r.open)));
    tr.appendChild(el("td", "num", String(r.overdue)));
    tr.appendChild(el("td", "num", r.on_time));
    return tr;
  }
  function rankFits() {
    var panel = document.querySelector(".rank-panel"), table = document.getElementById("ranking");
    var body = table.querySelector("tbody");
    body.textContent = "";
    if (!rank.rows.length) { return 1; }
    body.appendChild(rankRow(rank.rows[0], 0));
    var rowH = body.firstChild.getBoundingClientRect().height || 40;
    var room = panel.getBoundingClientRect().bottom - body.getBoundingClientRect().top - 14;
    return Math.max(1, Math.floor(room / rowH));
  }
  function showRankPage() {
    var pages = Math.max(1, Math.ceil(rank.rows.length / rank.size));
    if (rank.page >= pages) { rank.page = 0; }
    var body = document.querySelector("#ranking tbody");
    body.textContent = "";
    var start = rank.page * rank.size;
    rank.rows.slice(start, start + rank.size).forEach(function (r, i) { body.appendChild(rankRow(r, start + i)); });
    var pager = document.getElementById("rank-page");
    pager.textContent = pages > 1 ? T["wall.rank.page"].replace("{page}", rank.page + 1).replace("{pages}", pages) : "";
    var table = document.getElementById("ranking");
    table.setAttribute("data-page", String(rank.page + 1));
    table.setAttribute("data-pages", String(pages));
  }
  function fillRanking(rows) {
    rank.rows = rows;
    rank.size = rankFits();
    showRankPage();
    if (!rank.timer) {
      rank.timer = setInterval(function () { rank.page += 1; showRankPage(); }, (config.rank_seconds || 8) * 1000);
    }
  }
  var FINAL = ["closed", "rejected", "merged"];
  /* one rendering for the items loaded with the data and the items pushed live: both carry the case's codes,
     the place is named from them here; the title has the first line to itself */
  function placeOf(c) {
    var code = c.area_code || "", names = config.places || {};
    var parts = [names[c.street_code || code.slice(0, 9)], names[code.slice(0, 12)]].filter(function (x, i, all) {
      return x && all.indexOf(x) === i;
    });
    return parts.join(" · ");
  }
  function feedItem(c, fresh) {
    var li = el("li", fresh ? "fresh" : "");
    li.setAttribute("data-case", String(c.id));
    var what = el("span", "what"); var a = el("a", "", c.title || c.number); a.href = "/work/cases/" + c.id;
    a.title = c.title || ""; what.appendChild(a);
    li.appendChild(what);
    var done = FINAL.indexOf(c.state) >= 0 || !c.sla_color;
    li.appendChild(done ? el("span", "state-final", T["state." + c.state] || c.state)
      : el("span", "sla sla-" + c.sla_color, T["sla." + c.sla_color] || c.sla_color));
    var when = c.reported_at ? localText(new Date(c.reported_at), false).slice(5) : "";
    var place = placeOf(c);
    li.appendChild(el("span", "meta", [when, c.number, place, T["state." + c.state] || c.state].filter(Boolean).join(" · ")));
    return li;
  }
  /* whole items only: those that would be cut by the panel's bottom edge are hidden */
  function trimFeed() {
    var feed = document.getElementById("feed"), bottom = feed.getBoundingClientRect().bottom;
    var full = false;
    Array.prototype.forEach.call(feed.children, function (li) { li.hidden = false; });
    Array.prototype.forEach.call(feed.children, function (li) {
      full = full || li.getBoundingClientRect().bottom > bottom + 1;
      li.hidden = full;
    });
  }
  function fillFeed(items) {
    var feed = document.getElementById("feed");
    feed.textContent = "";
    items.slice(0, config.feed_size).forEach(function (c) { feed.appendChild(feedItem(c, false)); });
    trimFeed();
  }
  function loadData(resync) {
    return fetch(config.data_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var first = !state.data;
        state.data = data;
        fillKpis(data.kpis);
        fillRanking(data.ranking);
        if (first || resync) { fillFeed(data.feed); }
        state.markers.setItems(data.markers);  // SLA colours change with time; the feed stays put
        var note = document.getElementById("markers-note"), hadNote = note.textContent;
        note.textContent = data.markers_note || "";
        if (note.textContent !== hadNote) { fitDistrict(); }  // the note widens the controls: fit beside them
        redrawPoints();
        recolour();
        document.body.setAttribute("data-loaded", "1");
        document.dispatchEvent(new CustomEvent("wall:data", { detail: data }));
      });
  }

  /* ---- live over SSE ---- */
  var refreshTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () { refreshTimer = null; loadData().catch(function () {}); }, 6000);
  }
  function onCase(msg) {
    var c = msg.case;
    if (!c) { return; }
    var view = {
      id: c.id, number: c.number, title: c.title || "", state: c.state,
      sla_color: FINAL.indexOf(c.state) >= 0 ? null : (c.sla_color || "green"),
      reported_at: c.reported_at, area_code: c.area_code, street_code: c.street_code
    };
    var feed = document.getElementById("feed");
    var old = feed.querySelector('[data-case="' + c.id + '"]');
    if (old) { old.remove(); }
    feed.insertBefore(feedItem(view, true), feed.firstChild);
    while (feed.children.length > config.feed_size) { feed.removeChild(feed.lastChild); }
    trimFeed();
    var closed = ["closed", "rejected", "merged"].indexOf(c.state) >= 0;
    if (closed) { state.markers.remove(c.id); }
    else if (c.lon !== null && c.lon !== undefined) {
      state.markers.add({ id: c.id, number: c.number, title: c.title, lon: c.lon, lat: c.lat, sla_color: view.sla_color || "green" });
    }
    document.body.setAttribute("data-last-case", c.number);
    scheduleRefresh();
  }
  function handle(ev) {
    try { var msg = JSON.parse(ev.data); if (msg && msg.type === "case") { onCase(msg); } } catch (e) { /* ignore */ }
  }
  state.onLive = handle;
  var source = null, retry = null, wasLost = false;
  function connect() {
    if (!window.EventSource) { return; }
    if (source) { source.close(); }
    source = new EventSource(config.live_url, { withCredentials: true });
    source.onopen = function () {
      setLive("on");
      if (wasLost) { wasLost = false; loadData(true).catch(function () {}); }  // catch up on what was missed
    };
    source.onerror = function () {
      setLive("reconnecting");
      wasLost = true;
      if (source.readyState === EventSource.CLOSED && !retry) {
        retry = setTimeout(function () { retry = null; connect(); }, 3000);
      }
    };
    source.onmessage = handle;
    source.addEventListener("case", handle);
  }
  window.addEventListener("offline", function () { wasLost = true; setLive("reconnecting"); });
  window.addEventListener("online", function () { connect(); });

  window.addEventListener("resize", function () {
    if (rank.rows.length) { rank.size = rankFits(); showRankPage(); }
    fitDistrict();
  });

  initMap();
  loadData().catch(function () { document.body.setAttribute("data-load-error", "1"); });
  setInterval(function () { loadData().catch(function () {}); }, 60000);
  connect();
})();
