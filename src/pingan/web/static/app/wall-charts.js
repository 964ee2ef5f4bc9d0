/* The wall's bottom strip: 30-day cases, this year vs last year, categories (ECharts, dark, large type). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("wall-config").textContent);
  var T = config.strings;
  var charts = {};
  var AXIS = { axisLine: { lineStyle: { color: "#5f7aa6" } }, axisLabel: { color: "#c5d3ea", fontSize: 20 },
    splitLine: { lineStyle: { color: "#1f3a66" } } };
  var TEXT = { color: "#e8f0ff", fontSize: 20 };  // 20 px and more on the wall, like its text

  function chart(id) {
    if (!charts[id]) {
      var el = document.getElementById(id);
      charts[id] = echarts.init(el, null, { renderer: "canvas" });
      if (window.ResizeObserver) { new ResizeObserver(function () { charts[id].resize(); }).observe(el); }
    }
    return charts[id];
  }
  function draw(data) {
    if (!window.echarts) { return; }
    var t = data.trends;
    var summary = document.getElementById("yoy-summary");
    summary.textContent = t.yoy.summary;
    summary.className = "yoy " + (t.yoy.trend || "");
    var mom = document.getElementById("mom-summary");
    mom.textContent = t.yoy.mom_summary;
    mom.className = "yoy " + (t.yoy.mom_trend || "");
    document.getElementById("yoy-note").textContent = t.yoy.projected_note || "";
    /* the current month is a projection from the days elapsed: drawn dashed with a hollow point, never as a
       month-to-date cliff beside whole months */
    var n = t.yoy.this_year.length;
    var whole = t.yoy.this_year.map(function (v, i) { return i < n - 1 ? v : null; });
    var projected = t.yoy.this_year.map(function (v, i) { return i >= n - 2 ? v : null; });
    chart("chart-daily").setOption({
      animation: false, textStyle: TEXT, grid: { left: 52, right: 12, top: 38, bottom: 32 },
      legend: { data: [T["wall.series.received"], T["wall.series.closed"]], textStyle: TEXT, top: 0, right: 0 },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: t.daily.labels }, AXIS),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: T["wall.series.received"], type: "bar", data: t.daily.received, itemStyle: { color: "#4fc3f7" }, barMaxWidth: 12 },
        { name: T["wall.series.closed"], type: "line", data: t.daily.closed, itemStyle: { color: "#34c26b" }, lineStyle: { width: 3 }, symbol: "none" }
      ]
    });
    chart("chart-yoy").setOption({
      animation: false, textStyle: TEXT, grid: { left: 56, right: 16, top: 34, bottom: 32 },
      legend: { data: [t.yoy.this_label, t.yoy.last_label], textStyle: TEXT, top: 0, right: 0 },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: t.yoy.labels }, AXIS),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: t.yoy.this_label, type: "line", data: whole, itemStyle: { color: "#f2c037" }, lineStyle: { width: 3 } },
        { name: t.yoy.this_label, type: "line", data: projected, itemStyle: { color: "#f2c037" }, symbol: "emptyCircle", symbolSize: 10,
          lineStyle: { width: 3, type: "dashed" }, tooltip: { show: true } },
        { name: t.yoy.last_label, type: "line", data: t.yoy.last_year, itemStyle: { color: "#8aa4cf" }, lineStyle: { width: 2, type: "dashed" } }
      ]
    });
    chart("chart-cats").setOption({
      animation: false, textStyle: TEXT, grid: { left: 170, right: 50, top: 6, bottom: 28 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      yAxis: Object.assign({ type: "category", data: t.categories.map(function (c) { return c.name; }).reverse() }, AXIS),
      series: [{ type: "bar", data: t.categories.map(function (c) { return c.value; }).reverse(),
        itemStyle: { color: "#4fc3f7" }, barMaxWidth: 16, label: { show: true, position: "right", color: "#e8f0ff", fontSize: 20 } }]
    });
    document.body.setAttribute("data-charts", "1");
  }
  document.addEventListener("wall:data", function (ev) { draw(ev.detail); });
  if (window.PinganWall && window.PinganWall.data) { draw(window.PinganWall.data); }
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
})();
