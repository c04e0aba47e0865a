// The delivery page: draw the own-delivery radius around the branch on its map (maps.js builds the map first: both
// scripts are deferred and this one comes after it), and show the terms only when own delivery is ticked.
(function () {
  "use strict";
  function init() {
    var form = document.querySelector("[data-delivery-form]");
    if (!form) return;
    var own = form.querySelector("[data-own-delivery]");
    var terms = form.querySelector("[data-delivery-terms]");
    var radius = form.querySelector("[data-radius]");
    var el = form.querySelector("[data-radius-map]");
    var circle = null;
    function draw() {
      if (!el || !el.plancklyMap || typeof L === "undefined") return;
      var km = parseFloat((radius.value || "").replace(",", "."));
      var map = el.plancklyMap.map;
      if (circle) { map.removeLayer(circle); circle = null; }
      if (own.checked && isFinite(km) && km > 0 && km <= 50) {
        var centre = JSON.parse(el.dataset.mapMarkers)[0];
        circle = L.circle([centre.lat, centre.lng], { radius: km * 1000, color: "#0b7a53", weight: 2, fillOpacity: 0.12 }).addTo(map);
        map.fitBounds(circle.getBounds(), { padding: [20, 20] });
      }
    }
    function sync() {
      terms.hidden = !own.checked;
      draw();
    }
    own.addEventListener("change", sync);
    radius.addEventListener("input", draw);
    sync();
  }
  document.addEventListener("DOMContentLoaded", init);
})();
