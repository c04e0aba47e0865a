// The rider page shares the phone's position while a delivery is on the road: every card with
// data-share-location posts {lat, lng, accuracy, heading} to its URL every data-share-every seconds (the server
// takes one per 2 s per delivery at most). Only while the page is open; nothing is shared for a card that is
// not active. The list is re-fetched now and then (live.js, hx-select="#rider-live"): the cards are looked up on
// every tick, so a card that became active meanwhile shares too and a replaced one is never shared twice.
(function () {
  "use strict";
  var last = null;
  var timer = null;

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function share() {
    if (!last) return;
    var c = last.coords;
    document.querySelectorAll("[data-share-location]").forEach(function (card) {
      var body = { lat: c.latitude, lng: c.longitude };
      if (c.accuracy != null) body.accuracy = Math.min(c.accuracy, 100000);
      if (c.heading != null && !isNaN(c.heading)) body.heading = c.heading;
      fetch(card.dataset.shareLocation, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body),
      }).catch(function () {});
      var map = card.querySelector("[data-map-markers]");
      if (map && map.plancklyMap) map.plancklyMap.markerMove("rider", c.latitude, c.longitude);
    });
  }

  function start() {
    var card = document.querySelector("[data-share-location]");
    if (timer || !card || !navigator.geolocation) return;
    navigator.geolocation.watchPosition(
      function (p) { last = p; },
      function () {},
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 }
    );
    var every = Math.max(5, parseInt(card.dataset.shareEvery, 10) || 7) * 1000;
    timer = window.setInterval(share, every);
  }

  // a re-fetch must not wipe a handover code being typed or a photo being chosen
  document.addEventListener("htmx:beforeSwap", function (e) {
    var live = document.getElementById("rider-live");
    if (!live || e.detail.elt !== live) return;
    if (e.detail.xhr.status !== 200) { e.detail.shouldSwap = false; return; }
    var busy = Array.prototype.some.call(live.querySelectorAll(".deliver-form input"), function (input) {
      return input.type === "file" ? input.files && input.files.length : input.type !== "hidden" && input.value;
    });
    if (busy || (document.activeElement && live.contains(document.activeElement) && document.activeElement.tagName === "INPUT")) {
      e.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterSettle", start);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
