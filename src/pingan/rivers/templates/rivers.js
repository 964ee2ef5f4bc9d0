// The /rivers page's chart: one line per parameter of the chosen station (data in #river-chart-data).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("river-chart");
    var source = document.getElementById("river-chart-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var names = Object.keys(data.series);
    var chart = echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: names },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true },
      series: names.map(function (name) {
        return { name: name, type: "line", showSymbol: false, data: data.series[name] };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
