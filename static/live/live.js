// Live pages over Server-Sent Events (shared_apps/live; docs/decisions/0010-live-streams.md).
//
//   <div data-live-src="/api/v1/orders/7/events [more urls]"   one EventSource per url, same origin, cookies sent
//        data-live-last-id="123"                               the last event the page was rendered with: the stream
//                                                              replays what happened since (then the browser's
//                                                              Last-Event-ID takes over on every reconnect)
//        data-live-refresh="#order-live"                       re-fetched by htmx (hx-trigger="live") on each event
//        data-live-map="#order-live [data-map-markers]"                          position events move the rider marker of the maps
//                                                              this selector matches
//        data-live-fallback-seconds="30">                      a slow poll, only while no stream can connect (or
//                                                              when the element names no stream at all)
//
// Each event is delivered once (deduplicated by id across reconnects and urls) and re-dispatched on the element as
// a DOM event `live:<kind>` with detail {id, data}; `live:any` follows every one. An event `reload` reloads the page
// (the client was too far behind to replay).
(function () {
  "use strict";
  // status/order: an order moved (shared_apps/live publishers); delivery.*: the fulfilment side (a step, a rider's
  // position: {position: {lat, lng}}); reload: too far behind to replay
  var KINDS = ["status", "order", "position", "eta", "delivery", "delivery.changed", "delivery.position", "reload"];
  var POSITIONS = ["position", "delivery.position"];  // they move a marker, nothing to re-fetch
  var SEEN_KEPT = 500;

  function Live(el) {
    this.el = el;
    this.urls = (el.dataset.liveSrc || "").split(/\s+/).filter(Boolean);
    this.lastId = el.dataset.liveLastId || "";
    this.seen = new Set();
    this.sources = [];
    this.opened = false;
    this.pollTimer = null;
    this.refreshTimer = null;
    this.fallbackMs = 1000 * (parseFloat(el.dataset.liveFallbackSeconds) || 30);
  }

  Live.prototype.start = function () {
    if (!window.EventSource || !this.urls.length) return this.poll();
    var self = this;
    this.urls.forEach(function (url) { self.open(url); });
  };

  Live.prototype.open = function (url) {
    var self = this;
    var full = url + (this.lastId ? (url.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + this.lastId : "");
    var source = new EventSource(full, { withCredentials: true });
    this.sources.push(source);
    source.onopen = function () { self.opened = true; self.stopPoll(); self.el.dataset.liveState = "open"; };
    source.onerror = function () {
      // CONNECTING: the browser retries by itself (after `retry:`), sending Last-Event-ID. CLOSED: it gave up (an
      // error status, no stream server): poll slowly and try a fresh stream now and then.
      if (source.readyState !== EventSource.CLOSED) return;
      self.el.dataset.liveState = "polling";
      self.sources = self.sources.filter(function (s) { return s !== source; });
      self.poll();
      window.setTimeout(function () { self.open(url); }, self.fallbackMs);
    };
    KINDS.forEach(function (kind) {
      source.addEventListener(kind, function (e) { self.receive(kind, e); });
    });
  };

  Live.prototype.receive = function (kind, e) {
    if (e.lastEventId) {
      if (this.seen.has(e.lastEventId)) return;
      this.seen.add(e.lastEventId);
      if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value);
      this.lastId = e.lastEventId;
    }
    if (kind === "reload") { window.location.reload(); return; }
    var data = {};
    try { data = JSON.parse(e.data || "{}"); } catch (err) { data = {}; }
    var detail = { id: e.lastEventId, kind: kind, data: data };
    var moves = POSITIONS.indexOf(kind) >= 0;
    if (moves) this.moveRider(data.position || data);
    this.el.dispatchEvent(new CustomEvent("live:" + kind, { detail: detail, bubbles: true }));
    this.el.dispatchEvent(new CustomEvent("live:any", { detail: detail, bubbles: true }));
    if (!moves) this.refresh();
  };

  Live.prototype.moveRider = function (data) {
    // every map the element names (its own, and any a re-fetched fragment drew), animated between positions
    if (!this.el.dataset.liveMap || !data) return;
    var lat = parseFloat(data.lat !== undefined ? data.lat : data.latitude);
    var lng = parseFloat(data.lng !== undefined ? data.lng : data.longitude);
    if (isNaN(lat) || isNaN(lng)) return;
    document.querySelectorAll(this.el.dataset.liveMap).forEach(function (map) {
      if (map.plancklyMap && map.plancklyMap.markerMove) map.plancklyMap.markerMove("rider", lat, lng, data.label);
    });
  };

  Live.prototype.refresh = function () {
    // a burst of events (several parts moving at once) costs one re-fetch
    var self = this;
    if (!this.el.dataset.liveRefresh || !window.htmx) return;
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(function () {
      var target = document.querySelector(self.el.dataset.liveRefresh);
      if (target) window.htmx.trigger(target, "live");
    }, 150);
  };

  Live.prototype.poll = function () {
    var self = this;
    if (this.pollTimer) return;
    this.pollTimer = window.setInterval(function () { self.refresh(); }, this.fallbackMs);
  };

  Live.prototype.stopPoll = function () {
    if (this.pollTimer) window.clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  function init(root) {
    (root || document).querySelectorAll("[data-live-src], [data-live-refresh]").forEach(function (el) {
      if (el.plancklyLive) return;
      el.plancklyLive = new Live(el);
      el.plancklyLive.start();
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  window.plancklyLiveInit = init;
})();

// The branch board: a new order rings and counts on a badge (and in the tab's title) until the board is looked at.
(function () {
  "use strict";
  var NEW = ["placed"];
  var audio = null;

  function ring() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.18].forEach(function (at) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, audio.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.15);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + 0.16);
      });
    } catch (err) { /* no sound (autoplay policy before any click): the badge still shows */ }
  }

  document.addEventListener("live:order", function (e) {
    var board = e.target.closest && e.target.closest("[data-live-board]");
    if (!board || NEW.indexOf(e.detail.data.status) < 0) return;
    var badge = document.querySelector(board.dataset.liveBoard);
    var count = (parseInt(board.dataset.liveNew || "0", 10) || 0) + 1;
    board.dataset.liveNew = String(count);
    if (badge) { badge.textContent = count + " new"; badge.hidden = false; }
    document.title = "(" + count + ") " + document.title.replace(/^\(\d+\) /, "");
    ring();
  });

  function seen() {
    document.querySelectorAll("[data-live-board]").forEach(function (board) {
      board.dataset.liveNew = "0";
      var badge = document.querySelector(board.dataset.liveBoard);
      if (badge) badge.hidden = true;
    });
    document.title = document.title.replace(/^\(\d+\) /, "");
  }
  document.addEventListener("click", seen);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) window.setTimeout(seen, 4000); });
})();
