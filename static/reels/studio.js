// The console's reel upload: sign on our server, upload the file straight to Cloudinary (in chunks above
// chunk_size, as Cloudinary's own widget does: every chunk a POST of the same signed fields, with
// X-Unique-Upload-Id and Content-Range), then hand Cloudinary's answer to our API, which verifies its signature.
(function () {
  "use strict";
  var form = document.getElementById("reel-form");
  if (!form) return;
  var status = document.getElementById("reel-status");
  var progress = document.getElementById("reel-progress");
  var fileInput = document.getElementById("reel-file");
  var info = document.getElementById("reel-file-info");
  var maxDuration = Number(form.dataset.maxDuration);
  var maxProducts = Number(form.dataset.maxProducts);
  var api = "/api/v1/console/reels";

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function say(text) { status.textContent = text; }
  function checked(name) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=" + name + "]:checked"), function (i) {
      return Number(i.value);
    });
  }
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.message || r.statusText);
        return data;
      });
    });
  }
  function uploadChunk(signed, file, first, last, uploadId) {
    var data = new FormData();
    ["api_key", "timestamp", "signature", "folder", "allowed_formats", "eager", "eager_async",
     "eager_notification_url", "notification_url"].forEach(function (k) {
      if (signed[k] !== undefined && signed[k] !== null && signed[k] !== "") data.append(k, signed[k]);
    });
    data.append("file", file.slice(first, last + 1), file.name);
    var headers = {};
    if (uploadId) {
      headers["X-Unique-Upload-Id"] = uploadId;
      headers["Content-Range"] = "bytes " + first + "-" + last + "/" + file.size;
    }
    return fetch(signed.upload_url, { method: "POST", body: data, headers: headers }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
        return body;
      });
    });
  }
  function upload(signed, file) {
    var size = Number(signed.chunk_size) || file.size;
    if (file.size <= size) return uploadChunk(signed, file, 0, file.size - 1, null);
    var uploadId = "reel-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    var first = 0;
    function next(answer) {
      if (first >= file.size) return answer;
      var last = Math.min(first + size, file.size) - 1;
      return uploadChunk(signed, file, first, last, uploadId).then(function (body) {
        first = last + 1;
        progress.value = Math.round((100 * first) / file.size);
        return next(body);
      });
    }
    return next(null);
  }
  function duration(file) {
    return new Promise(function (resolve) {
      var video = document.createElement("video");
      video.preload = "metadata";
      video.onloadedmetadata = function () { resolve({ seconds: video.duration, w: video.videoWidth, h: video.videoHeight }); URL.revokeObjectURL(video.src); };
      video.onerror = function () { resolve(null); };
      video.src = URL.createObjectURL(file);
    });
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    info.textContent = "";
    if (!file) return;
    duration(file).then(function (meta) {
      if (!meta) return;
      info.textContent = Math.round(meta.seconds) + " s · " + meta.w + "×" + meta.h;
      if (meta.seconds > maxDuration + 0.5) info.textContent += " — too long: reels are up to " + maxDuration + " s";
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    var branches = checked("branch_ids"), products = checked("product_ids");
    if (!file) return say("Choose a video.");
    if (!branches.length) return say("Choose where it shows.");
    if (!products.length || products.length > maxProducts) return say("Tag 1 to " + maxProducts + " products.");
    var when = form.querySelector("input[name=when]:checked").value;
    var publishAt = null;
    if (when === "later" && form.publish_at.value) publishAt = new Date(form.publish_at.value).toISOString();
    var button = document.getElementById("reel-submit");
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    say("Uploading…");
    postJson(api + "/sign")
      .then(function (signed) { return upload(signed, file); })
      .then(function (answer) {
        progress.value = 100;
        say("Saving…");
        return postJson(api, {
          upload: answer, branch_ids: branches, product_ids: products,
          caption: form.caption.value, publish_at: publishAt, submit: true
        });
      })
      .then(function (reel) {
        say(reel.status_label + (reel.rejection_reason ? ": " + reel.rejection_reason : ""));
        window.location.reload();
      })
      .catch(function (err) {
        say(err.message || String(err));
        button.disabled = false;
      });
  });
})();
