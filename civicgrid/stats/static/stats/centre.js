/* 指挥中心: charts (ECharts), the grid choropleth (Leaflet, no tiles needed) and self-refresh. */
(function () {
  "use strict";
  var root = document.getElementById("centre");
  if (!root) { return; }
  var d = root.dataset;
  var charts = {};

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function breakdown(by) { return getJSON(d.breakdown + "&by=" + by); }
  function chart(id) {
    if (!charts[id]) { charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" }); }
    return charts[id];
  }
  function pct(v) { return v === null || v === undefined ? 0 : Math.round(v * 1000) / 10; }

  function drawTrend(rows) {
    chart("chart-trend").setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.period; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: d.labelReceived, type: "line", data: rows.map(function (r) { return r.received; }) },
        { name: d.labelClosed, type: "line", data: rows.map(function (r) { return r.closed; }) }
      ]
    }, true);
  }
  function drawChannel(rows) {
    chart("chart-channel").setOption({
      animation: false, tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"],
        data: rows.map(function (r) { return { name: r.name, value: r.received }; }) }]
    }, true);
  }
  function drawTownship(rows) {
    rows = rows.slice(0, 15).reverse();
    chart("chart-township").setOption({
      animation: false, tooltip: { trigger: "axis" }, grid: { left: 90, right: 20, top: 10, bottom: 25 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name; }) },
      series: [{ name: d.labelClosure, type: "bar", data: rows.map(function (r) { return pct(r.closure_rate); }) }]
    }, true);
  }

  var map = null, layer = null;
  function colour(n, max) {
    if (!n) { return "#f2f4f7"; }
    var steps = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    return steps[Math.min(steps.length - 1, Math.floor(n / (max + 1) * steps.length))];
  }
  function drawMap(geo, rows) {
    var counts = {}, max = 0;
    rows.forEach(function (r) { counts[r.key] = r.received; if (r.received > max) { max = r.received; } });
    if (!map) {
      map = L.map("centre-map", { zoomSnap: 0.25, attributionControl: !!d.tileUrl });
      if (d.tileUrl) { L.tileLayer(d.tileUrl, { attribution: d.tileAttribution }).addTo(map); }
    }
    if (layer) { map.removeLayer(layer); }
    layer = L.geoJSON(geo, {
      style: function (f) {
        return { color: "#555", weight: 1, fillOpacity: 0.75, fillColor: colour(counts[f.properties.code] || 0, max) };
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(f.properties.name + "：" + (counts[f.properties.code] || 0) + " " + d.labelCases);
      }
    }).addTo(map);
    var status = document.getElementById("map-status");
    if (geo.features.length) {
      map.fitBounds(layer.getBounds());
      status.textContent = geo.features.length + " · " + max;
      status.dataset.grids = String(geo.features.length);
    } else {
      status.textContent = d.labelNodata;
      status.dataset.grids = "0";
    }
  }

  function refreshNumbers() {
    return getJSON(d.summary).then(function (data) {
      Object.keys(data.live).forEach(function (k) {
        var el = root.querySelector('[data-live="' + k + '"]');
        if (el) { el.textContent = data.live[k]; }
      });
    });
  }
  function draw() {
    var geo = getJSON(d.grids);
    return Promise.all([
      breakdown("trend").then(function (r) { drawTrend(r.rows); }),
      breakdown("channel").then(function (r) { drawChannel(r.rows); }),
      breakdown("township").then(function (r) { drawTownship(r.rows); }),
      Promise.all([geo, breakdown("grid")]).then(function (v) { drawMap(v[0], v[1].rows); })
    ]).then(function () { root.dataset.ready = "1"; }, function (err) {
      root.dataset.ready = "error";
      document.getElementById("map-status").textContent = String(err);
    });
  }
  draw();
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  var every = parseInt(d.refresh, 10) * 1000;
  if (every > 0) {
    setInterval(function () {
      if (document.visibilityState === "visible") { refreshNumbers().then(draw); }
    }, every);
  }
})();
