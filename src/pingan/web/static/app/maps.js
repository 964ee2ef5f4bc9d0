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

  window.PinganMap = { create: create, wgsToGcj: wgsToGcj, Clusterer: Clusterer };
})();
