/* Pingan maps: Leaflet with vector boundaries on a neutral background, optional tiles (GCJ-02 aware),
   and a small marker clusterer. Our data is WGS-84; when the tiles are GCJ-02 everything drawn is shifted. */
(function () {
  "use strict";
  var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;

  function outOfChina(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function tLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  /** WGS-84 → GCJ-02 (the offset Chinese map tiles use). */
  function wgsToGcj(lon, lat) {
    if (outOfChina(lon, lat)) { return [lon, lat]; }
    var dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    var radLat = lat / 180 * PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(radLat) * PI);
    return [lon + dLon, lat + dLat];
  }

  function create(el, config, options) {
    config = config || {};
    var gcj = config.tile_url && config.tile_crs === "gcj02";
    var map = L.map(el, Object.assign({ zoomControl: true, attributionControl: !!config.tile_url,
      preferCanvas: true, zoomSnap: 0.25 }, options || {}));
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
    }
    /** A display LatLng for a WGS-84 lon/lat. */
    map.pinganLatLng = function (lon, lat) {
      if (gcj) { var p = wgsToGcj(lon, lat); return L.latLng(p[1], p[0]); }
      return L.latLng(lat, lon);
    };
    /** The coordinates of a tap, and the CRS they are in (sent as is: the API converts). */
    map.pinganPoint = function (latlng) {
      return { lon: latlng.lng, lat: latlng.lat, crs: gcj ? "gcj02" : "wgs84" };
    };
    map.pinganGeoJSON = function (data, opts) {
      return L.geoJSON(data, Object.assign({
        coordsToLatLng: function (c) { return map.pinganLatLng(c[0], c[1]); }
      }, opts || {}));
    };
    return map;
  }

  /** A tiny clusterer: markers within `radius` screen pixels merge into a counted bubble. */
  function Clusterer(map, opts) {
    this.map = map;
    this.radius = (opts && opts.radius) || 44;
    this.makeMarker = opts.makeMarker;
    this.layer = L.layerGroup().addTo(map);
    this.items = [];
    var self = this;
    map.on("zoomend moveend", function () { self.redraw(); });
  }
  Clusterer.prototype.setItems = function (items) { this.items = items.slice(); this.redraw(); };
  Clusterer.prototype.add = function (item) {
    this.items = this.items.filter(function (i) { return i.id !== item.id; });
    this.items.push(item);
    this.redraw(item.id);
  };
  Clusterer.prototype.remove = function (id) {
    this.items = this.items.filter(function (i) { return i.id !== id; });
    this.redraw();
  };
  Clusterer.prototype.redraw = function (freshId) {
    var map = this.map, r = this.radius, cells = {};
    this.layer.clearLayers();
    var bounds = map.getBounds().pad(0.2);
    this.items.forEach(function (item) {
      var ll = map.pinganLatLng(item.lon, item.lat);
      if (!bounds.contains(ll)) { return; }
      var pt = map.latLngToLayerPoint(ll);
      var key = Math.floor(pt.x / r) + ":" + Math.floor(pt.y / r);
      (cells[key] = cells[key] || []).push({ item: item, ll: ll });
    });
    var self = this;
    Object.keys(cells).forEach(function (key) {
      var group = cells[key];
      var hasFresh = group.some(function (g) { return g.item.id === freshId; });
      if (group.length === 1 || (hasFresh && group.length < 3)) {
        group.forEach(function (g) { self.layer.addLayer(self.makeMarker(g.item, g.ll, g.item.id === freshId)); });
        return;
      }
      var lat = 0, lng = 0, red = false;
      group.forEach(function (g) { lat += g.ll.lat; lng += g.ll.lng; red = red || g.item.sla_color === "red"; });
      var center = L.latLng(lat / group.length, lng / group.length);
      var size = Math.min(56, 26 + Math.round(Math.log(group.length) * 7));
      var icon = L.divIcon({ className: "", iconSize: [size, size],
        html: '<div class="cluster' + (red ? " has-red" : "") + '" style="width:' + size + 'px;height:' + size + 'px">' + group.length + "</div>" });
      var m = L.marker(center, { icon: icon, keyboard: true, title: String(group.length) });
      m.on("click", function () { map.setView(center, Math.min(map.getZoom() + 2, 18)); });
      self.layer.addLayer(m);
    });
  };

  /** Map context without tiles: the named roads, street and community outlines, and their names at the zooms
      where they are readable (streets while zoomed out, communities and roads closer in). Non-interactive:
      clicks reach the layers below. `opts.streets`/`opts.communities`/`opts.roads` (default true) pick parts. */
  function addContext(map, opts) {
    opts = Object.assign({ streets: true, communities: true, roads: true, dark: false }, opts || {});
    var P = opts.dark
      ? { casing: "#2a3a4d", arterial: "#9c7a35", main: "#4e6178", street: "#cfe3ff", community: "#7f9bb8" }
      : { casing: "#ffffff", arterial: "#d9a441", main: "#b9c2cc", street: "#37474f", community: "#5c6b7a" };
    if (!map.getPane("pingan-roads")) {
      map.createPane("pingan-roads").style.zIndex = 405;  // over area fills (400), under outlines and markers
      map.createPane("pingan-outlines").style.zIndex = 420;
      var lp = map.createPane("pingan-labels");
      lp.style.zIndex = 640;
      lp.style.pointerEvents = "none";
    }
    var labels = [];  // [marker, minZoom, maxZoom]
    function label(lonlat, text, cls, minZoom, maxZoom) {
      var icon = L.divIcon({ className: "map-label " + cls, html: "", iconSize: null });
      var m = L.marker(map.pinganLatLng(lonlat[0], lonlat[1]),
        { icon: icon, pane: "pingan-labels", interactive: false, keyboard: false });
      m.on("add", function () { var el = m.getElement(); if (el) { el.textContent = text; } });
      labels.push([m, minZoom, maxZoom]);
    }
    function showLabels() {
      var z = map.getZoom();
      labels.forEach(function (l) {
        var on = z >= l[1] && z < l[2];
        if (on && !map.hasLayer(l[0])) { l[0].addTo(map); } else if (!on && map.hasLayer(l[0])) { map.removeLayer(l[0]); }
      });
    }
    map.on("zoomend", showLabels);
    function load(url) { return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : null; }); }
    var done = [];
    if (opts.roads) {
      done.push(load("/api/v1/areas/roads?simplify=0.00005").then(function (geo) {
        if (!geo) { return; }
        map.pinganGeoJSON(geo, { pane: "pingan-roads", interactive: false, style: function (f) {
          var arterial = f.properties.kind === "arterial";
          return { color: P.casing, weight: arterial ? 6 : 4, opacity: 0.95 };
        } }).addTo(map);
        map.pinganGeoJSON(geo, { pane: "pingan-roads", interactive: false, style: function (f) {
          var arterial = f.properties.kind === "arterial";
          return { color: arterial ? P.arterial : P.main, weight: arterial ? 3 : 2 };
        } }).addTo(map);
        geo.features.forEach(function (f) { label(f.properties.label, f.properties.name, "road", 14, 99); });
      }));
    }
    [["street", opts.streets, 3, P.street, 9, 13.75], ["community", opts.communities, 1.4, P.community, 13.75, 16.5]].forEach(function (lv) {
      if (!lv[1]) { return; }
      done.push(load("/api/v1/areas/geojson?level=" + lv[0] + "&simplify=0.0002&labels=true").then(function (geo) {
        if (!geo) { return; }
        map.pinganGeoJSON(geo, { pane: "pingan-outlines", interactive: false,
          style: { color: lv[3], weight: lv[2], fill: false, dashArray: lv[0] === "community" ? "4 4" : null } }).addTo(map);
        geo.features.forEach(function (f) {
          if (f.properties.label) { label(f.properties.label, f.properties.name, lv[0], lv[4], lv[5]); }
        });
      }));
    });
    return Promise.all(done).then(showLabels).catch(function () {});
  }

  /** "Grid · community · street" of a point, from the public locator (or null when outside the district). */
  function placeOf(lon, lat, crs) {
    var url = "/api/v1/locate?lon=" + encodeURIComponent(lon) + "&lat=" + encodeURIComponent(lat) + "&crs=" + encodeURIComponent(crs || "wgs84");
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { return d && d.grid ? d : null; }).catch(function () { return null; });
  }

  window.PinganMap = { create: create, wgsToGcj: wgsToGcj, Clusterer: Clusterer, addContext: addContext, placeOf: placeOf };
})();
