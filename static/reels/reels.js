/* The reels player. The reel in view (60 % of it on screen) plays muted; every other one is paused. The next two
   reels get their poster and their first segments only (hls.js with a short buffer, or the MP4's metadata); the rest
   have no source until they come near. The next page is asked for by cursor when three reels are left.
   HLS plays natively where the browser can (Safari), through hls.js where Media Source Extensions can, else the
   MP4 (or WebM) fallback. Views, watch times, taps and adds to cart are batched to /api/v1/reels/events. */
(function () {
  "use strict";

  var root = document.querySelector("[data-reels]");
  if (!root) return;
  var feedEl = root.querySelector("[data-feed]");
  var endEl = root.querySelector("[data-end]");
  var t = root.dataset;
  var msg = {};  // data-t-<name>: the page's translated words
  Object.keys(t).forEach(function (k) {
    if (/^t[A-Z]/.test(k)) msg[k.charAt(1).toLowerCase() + k.slice(2)] = t[k];
  });
  var first = JSON.parse(document.getElementById("reels-first-page").textContent);
  var csrf = (JSON.parse(document.body.getAttribute("hx-headers") || "{}") || {})["X-CSRFToken"] || "";

  var reels = [];
  var cursor = first.next_cursor;
  var loading = false;
  var muted = true;
  var active = -1;
  var queue = [];
  var PRELOAD_AHEAD = 2;
  var VISIBLE = 0.6;

  // ---- events: batched, sent every few seconds and when the page goes away -------------------------------------
  function record(event) {
    queue.push(event);
    if (queue.length >= 40) flush();
  }
  function flush() {
    if (!queue.length) return;
    var body = JSON.stringify({ events: queue.splice(0, 50) });
    fetch(t.events, {
      method: "POST", body: body, keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }
    }).catch(function () {});
  }
  setInterval(flush, 5000);
  window.addEventListener("pagehide", function () { pause(active); flush(); });

  // ---- playback --------------------------------------------------------------------------------------------------
  function hlsJsCan() {
    return !!(window.Hls && window.Hls.isSupported() && window.MediaSource &&
      MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'));
  }
  function attach(i, preload) {
    var reel = reels[i];
    if (!reel || reel.attached) return;
    var video = reel.video;
    reel.attached = true;
    if (reel.data.hls_url && video.canPlayType("application/vnd.apple.mpegurl")) {
      video.preload = preload ? "metadata" : "auto";
      video.src = reel.data.hls_url;
      reel.mode = "native-hls";
    } else if (reel.data.hls_url && hlsJsCan()) {
      // a short buffer while waiting to be seen: the first segments, not the whole reel
      reel.hls = new window.Hls({ maxBufferLength: preload ? 4 : 30, maxMaxBufferLength: 60, capLevelToPlayerSize: true });
      reel.hls.loadSource(reel.data.hls_url);
      reel.hls.attachMedia(video);
      reel.mode = "hls.js";
    } else {
      var mp4 = reel.data.mp4_url && video.canPlayType("video/mp4") ? reel.data.mp4_url : null;
      video.preload = preload ? "metadata" : "auto";
      video.src = mp4 || reel.data.webm_url || reel.data.mp4_url || "";
      reel.mode = mp4 ? "mp4" : "webm";
    }
    reel.el.dataset.mode = reel.mode;
  }
  function play(i) {
    var reel = reels[i];
    if (!reel) return;
    attach(i, false);
    if (reel.hls) reel.hls.config.maxBufferLength = 30;
    reel.video.muted = muted;
    reel.startedAt = Date.now();
    var started = reel.video.play();
    if (started && started.catch) started.catch(function () {});
    if (!reel.viewed) {
      reel.viewed = true;
      record({ reel: reel.data.id, kind: "view" });
    }
  }
  function pause(i) {
    var reel = reels[i];
    if (!reel) return;
    reel.video.pause();
    if (reel.startedAt) {
      record({ reel: reel.data.id, kind: "watch", watch_ms: Date.now() - reel.startedAt });
      reel.startedAt = null;
    }
  }
  function activate(i) {
    if (i === active) return;
    if (active >= 0) pause(active);
    active = i;
    play(i);
    for (var k = 1; k <= PRELOAD_AHEAD; k++) preload(i + k);
    if (reels.length - i <= 3) more();
  }
  function preload(i) {
    var reel = reels[i];
    if (!reel) return;
    if (reel.data.poster_url) new Image().src = reel.data.poster_url;
    attach(i, true);
  }

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var i = Number(entry.target.dataset.index);
      if (entry.intersectionRatio >= VISIBLE) activate(i);
      else if (i === active) { pause(i); active = -1; }
    });
  }, { root: feedEl, threshold: [0, VISIBLE, 1] });

  // ---- writes: like, save, follow (posted to the page's routes: a new visitor becomes a guest) ------------------
  function post(url, data) {
    var body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" }
    });
  }
  function toggle(button, url) {
    var on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(on));
    post(url, { on: on ? "1" : "0" }).then(function (r) {
      if (!r.ok) button.setAttribute("aria-pressed", String(!on));
    });
  }
  function addToCart(reel, product, status, button) {
    button.disabled = true;
    record({ reel: reel.data.id, kind: "add_to_cart", product_id: product.id });
    post(t.cart, { listing_id: product.listing_id, quantity: "1", surface: "reel", next: location.pathname }).then(function (r) {
      return r.text().then(function (html) {
        button.disabled = false;
        status.textContent = "";
        if (!r.ok) { status.textContent = msg.failed; return; }
        var badge = document.createElement("div");
        badge.innerHTML = html;
        var old = document.getElementById("cart-link");
        var fresh = badge.querySelector("#cart-link");
        if (old && fresh) old.replaceWith(fresh);
        status.append(msg.added + " · ");
        var link = document.createElement("a");
        link.href = "/cart";
        link.textContent = msg.viewCart;
        status.append(link);
      });
    }).catch(function () { button.disabled = false; status.textContent = msg.failed; });
  }
  function share(reel) {
    var url = location.origin + reel.data.share_url;
    record({ reel: reel.data.id, kind: "share" });
    if (navigator.share) {
      navigator.share({ url: url, text: reel.data.caption }).catch(function () {});
    } else if (navigator.clipboard) {
      navigator.clipboard.writeText(url).then(function () { reel.el.querySelector("[data-share] span").textContent = msg.copied; });
    }
  }

  // ---- rendering -------------------------------------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function sideButton(name, label, pressed) {
    var b = el("button", { type: "button", "aria-pressed": String(!!pressed), "data-action": name, "aria-label": label });
    b.append(el("span", {}, label));
    return b;
  }
  function render(data) {
    var i = reels.length;
    var article = el("article", { class: "reel", "data-index": String(i), "data-reel": String(data.id) });
    if (data.poster_url) article.style.backgroundImage = "url(" + JSON.stringify(data.poster_url) + ")";
    var video = el("video", { playsinline: "", loop: "", muted: "", preload: "none", "aria-label": data.caption || data.merchant.name });
    video.muted = true;
    if (data.poster_url) video.poster = data.poster_url;
    article.append(video);
    var hint = el("button", { type: "button", class: "reel-unmute" }, msg.unmute);
    hint.hidden = !muted;
    article.append(hint);

    var side = el("div", { class: "reel-side" });
    var like = sideButton("like", msg.like, data.liked);
    var save = sideButton("save", msg.save, data.saved);
    var shareButton = sideButton("share", msg.share, false);
    shareButton.setAttribute("data-share", "");
    side.append(like, save, shareButton);
    article.append(side);

    var info = el("div", { class: "reel-info" });
    var shop = el("div", { class: "reel-shop" });
    shop.append(data.merchant.url ? el("a", { href: data.merchant.url }, data.merchant.name) : el("span", {}, data.merchant.name));
    var follow = el("button", { type: "button", class: "follow", "aria-pressed": String(data.merchant.following) },
      data.merchant.following ? msg.following : msg.follow);
    shop.append(follow);
    if (data.distance_km != null) shop.append(el("small", {}, data.distance_km + " " + msg.away));
    info.append(shop);
    if (data.caption) info.append(el("p", { class: "reel-caption" }, data.caption));
    var reel = { data: data, el: article, video: video };
    data.products.forEach(function (product) {
      var card = el("div", { class: "reel-product", "data-product": String(product.id) });
      var name = el("a", { class: "name", href: product.url }, product.name + (product.variant_name ? " · " + product.variant_name : ""));
      name.addEventListener("click", function () { record({ reel: data.id, kind: "product_tap", product_id: product.id }); flush(); });
      card.append(name, el("span", { class: "price" }, product.price_text || ""));
      var actions = el("div", { class: "actions" });
      var status = el("span", { class: "status", role: "status" });
      if (product.listing_id && product.in_stock) {
        var add = el("button", { type: "button", class: "button", "data-add": "" }, msg.add);
        add.addEventListener("click", function () { addToCart(reel, product, status, add); });
        actions.append(add);
      } else {
        actions.append(el("span", { class: "muted" }, msg.out));
      }
      if (data.merchant.url) actions.append(el("a", { class: "button secondary", href: data.merchant.url }, msg.open));
      card.append(actions, status);
      info.append(card);
    });
    article.append(info);

    video.addEventListener("click", function () {
      muted = !muted;
      reels.forEach(function (r) { r.video.muted = muted; r.el.querySelector(".reel-unmute").hidden = !muted; });
    });
    hint.addEventListener("click", function () { video.click(); });
    like.addEventListener("click", function () { toggle(like, "/reels/" + data.id + "/like"); });
    save.addEventListener("click", function () { toggle(save, "/reels/" + data.id + "/save"); });
    shareButton.addEventListener("click", function () { share(reel); });
    follow.addEventListener("click", function () {
      toggle(follow, "/reels/shops/" + data.merchant.slug + "/follow");
      follow.textContent = follow.getAttribute("aria-pressed") === "true" ? msg.following : msg.follow;
    });

    reels.push(reel);
    feedEl.append(article);
    observer.observe(article);
  }
  function append(page) {
    page.reels.forEach(function (data) {
      if (!reels.some(function (r) { return r.data.id === data.id; })) render(data);
    });
    cursor = page.next_cursor;
    if (!reels.length) { endEl.textContent = msg.empty; endEl.hidden = false; }
  }
  function more() {
    if (loading || !cursor) return;
    loading = true;
    var url = t.api + "?lat=" + first.lat + "&lng=" + first.lng + "&cursor=" + encodeURIComponent(cursor);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (page) { loading = false; if (page) append(page); })
      .catch(function () { loading = false; });
  }

  append(first);
  feedEl.focus({ preventScroll: true });
})();
