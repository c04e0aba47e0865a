// The rider page shares the phone's position while a delivery is on the road: every card with
// data-share-location posts {lat, lng, accuracy, heading} to its URL every data-share-every seconds (the server
// takes one per 2 s per delivery at most). Only while the page is open; nothing is shared for a card that is
// not active.
(function () {
  "use strict";
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function start() {
    var cards = document.querySelectorAll("[data-share-location]");
    if (!cards.length || !navigator.geolocation) return;
    var last = null;
    navigator.geolocation.watchPosition(
      function (p) { last = p; },
      function () {},
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 }
    );
    cards.forEach(function (card) {
      var every = Math.max(5, parseInt(card.dataset.shareEvery, 10) || 7) * 1000;
      var map = card.querySelector("[data-map-markers]");
      setInterval(function () {
        if (!last) return;
        var c = last.coords;
        var body = { lat: c.latitude, lng: c.longitude };
        if (c.accuracy != null) body.accuracy = Math.min(c.accuracy, 100000);
        if (c.heading != null && !isNaN(c.heading)) body.heading = c.heading;
        fetch(card.dataset.shareLocation, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify(body),
        }).catch(function () {});
        if (map && map.plancklyMap) map.plancklyMap.markerMove("rider", c.latitude, c.longitude);
      }, every);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
