// Maps on Planckly pages, on Leaflet (npm, served from vendor/leaflet). Two kinds of element:
//   <div data-map-pin data-lat-input="id" data-lng-input="id" [data-area-select="id"]>  a draggable pin that writes
//       its position into two (usually hidden) inputs; a click moves it, "use my location" asks the browser, an area
//       <select> whose options carry data-lat/data-lng re-centres it. Nobody types coordinates.
//   <div data-map-markers='[{"lat":..,"lng":..,"label":"..","kind":"shop|home|rider"}]'>  markers, fitted in view;
//       `el.plancklyMap.markerMove(kind, lat, lng)` moves one smoothly (live tracking uses it).
// Tile URL and attribution come from settings (MAP_TILE_URL); without network the tiles fail and the markers stay.
(function () {
  "use strict";
  var DEFAULT_CENTRE = [31.5204, 74.3587]; // Lahore
  function tiles(el) {
    return L.tileLayer(el.dataset.tileUrl || "https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: el.dataset.tileAttribution || "",
    });
  }
  function num(v) {
    var n = parseFloat(v);
    return isFinite(n) ? n : null;
  }
  function icon(kind) {
    return L.divIcon({ className: "map-marker map-marker--" + (kind || "pin"), iconSize: [22, 22], iconAnchor: [11, 11] });
  }

  function pinPicker(el) {
    var latInput = document.getElementById(el.dataset.latInput);
    var lngInput = document.getElementById(el.dataset.lngInput);
    var lat = num(latInput && latInput.value), lng = num(lngInput && lngInput.value);
    var placed = lat !== null && lng !== null;
    var centre = placed ? [lat, lng] : [num(el.dataset.centreLat) || DEFAULT_CENTRE[0], num(el.dataset.centreLng) || DEFAULT_CENTRE[1]];
    var map = L.map(el, { scrollWheelZoom: false }).setView(centre, placed ? 16 : 13);
    tiles(el).addTo(map);
    var marker = L.marker(centre, { draggable: true, icon: icon("pin"), keyboard: true, title: el.dataset.pinTitle || "" }).addTo(map);
    function write(ll) {
      if (latInput) latInput.value = ll.lat.toFixed(6);
      if (lngInput) lngInput.value = ll.lng.toFixed(6);
      el.dispatchEvent(new CustomEvent("map:pin", { bubbles: true, detail: { lat: ll.lat, lng: ll.lng } }));
    }
    function place(ll, zoom) {
      marker.setLatLng(ll);
      map.setView(ll, zoom || map.getZoom());
      write(L.latLng(ll));
    }
    if (!placed && el.dataset.placeInitially !== "false") write(L.latLng(centre));
    marker.on("dragend", function () { write(marker.getLatLng()); });
    map.on("click", function (e) { place(e.latlng); });
    var area = el.dataset.areaSelect && document.getElementById(el.dataset.areaSelect);
    if (area) {
      area.addEventListener("change", function () {
        var opt = area.options[area.selectedIndex];
        var a = num(opt && opt.dataset.lat), b = num(opt && opt.dataset.lng);
        if (a !== null && b !== null) place([a, b], 16);
      });
    }
    var locate = el.parentElement && el.parentElement.querySelector("[data-map-locate]");
    if (locate && navigator.geolocation) {
      locate.addEventListener("click", function (e) {
        e.preventDefault();
        navigator.geolocation.getCurrentPosition(function (p) { place([p.coords.latitude, p.coords.longitude], 17); });
      });
    }
    el.plancklyMap = { map: map, place: place };
  }

  function markers(el) {
    var items = [];
    try { items = JSON.parse(el.dataset.mapMarkers || "[]"); } catch (e) { items = []; }
    var map = L.map(el, { scrollWheelZoom: false });
    tiles(el).addTo(map);
    var byKind = {};
    var bounds = [];
    items.forEach(function (m) {
      if (num(m.lat) === null || num(m.lng) === null) return;
      var mk = L.marker([m.lat, m.lng], { icon: icon(m.kind), title: m.label || "" }).addTo(map);
      if (m.label) mk.bindTooltip(m.label);
      byKind[m.kind || "pin"] = mk;
      bounds.push([m.lat, m.lng]);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    else map.setView(bounds[0] || DEFAULT_CENTRE, 15);
    function markerMove(kind, lat, lng, label) {
      var mk = byKind[kind];
      if (!mk) {
        mk = byKind[kind] = L.marker([lat, lng], { icon: icon(kind), title: label || "" }).addTo(map);
        return;
      }
      var from = mk.getLatLng(), start = null, duration = 800;
      function step(t) {
        if (start === null) start = t;
        var k = Math.min(1, (t - start) / duration);
        mk.setLatLng([from.lat + (lat - from.lat) * k, from.lng + (lng - from.lng) * k]);
        if (k < 1) window.requestAnimationFrame(step);
      }
      window.requestAnimationFrame(step);
    }
    el.plancklyMap = { map: map, markerMove: markerMove };
  }

  function init(root) {
    if (typeof L === "undefined") return;
    (root || document).querySelectorAll("[data-map-pin]").forEach(function (el) { if (!el.plancklyMap) pinPicker(el); });
    (root || document).querySelectorAll("[data-map-markers]").forEach(function (el) { if (!el.plancklyMap) markers(el); });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
  window.plancklyMapsInit = init;
})();
