// Grid map: draws the grids the user may see as vector polygons. No tiles unless configured.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var status = document.getElementById("map-status");
  var map = L.map(el, { preferCanvas: true }).setView([39.01, 106.38], 11);
  var tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: { color: "#0b5cad", weight: 1, fillOpacity: 0.12 },
        onEachFeature: function (f, l) {
          l.bindPopup(f.properties.name + "<br>" + f.properties.code + "<br>" + f.properties.village);
        }
      }).addTo(map);
      if (data.features.length) { map.fitBounds(layer.getBounds()); }
      el.dataset.loaded = String(data.features.length);
      status.textContent = "共 " + data.features.length + " 个网格";
    })
    .catch(function (err) { status.textContent = "网格加载失败：" + err.message; });
}());
