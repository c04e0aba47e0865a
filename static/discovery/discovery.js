/* Marketplace pages: "Use my location" for the location picker, and the search filters panel
   (always open on wide screens; on phones it keeps the state the customer chose across result swaps). */
(function () {
  "use strict";

  // ---- location picker ------------------------------------------------------------------------------------------
  function geolocate(button) {
    var form = button.form;
    var status = form.querySelector(".geo-status");
    button.disabled = true;
    status.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lng.value = position.coords.longitude.toFixed(5);
        form.elements.area.value = "";
        status.textContent = "Found you. Loading the shops around you…";
        form.submit(); // a plain POST: the server keeps the choice and sends us back
      },
      function () {
        button.disabled = false;
        status.textContent = "We could not get your location. Pick your area from the list instead.";
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
    );
  }

  if ("geolocation" in navigator) {
    document.querySelectorAll("[data-geolocate]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { geolocate(button); });
    });
  }

  // ---- search filters panel -------------------------------------------------------------------------------------
  var wide = window.matchMedia("(min-width: 48rem)");
  var chosen = null; // what the customer did on a phone: null (not touched), true (opened) or false (closed)

  function settle() {
    document.querySelectorAll("details.filters").forEach(function (panel) {
      panel.open = wide.matches || chosen === true;
    });
  }

  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.filters") && !wide.matches) {
      chosen = event.target.open;
    }
  }, true);
  wide.addEventListener("change", settle);
  settle();
  document.addEventListener("htmx:afterSettle", settle);
  document.addEventListener("htmx:historyRestore", settle);
})();
