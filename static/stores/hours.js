// The hours page: show the times only for open days, fill the week from a preset, add exception rows. The form
// posts plain fields; without this script every row still shows and saves.
(function () {
  "use strict";
  var PRESETS = {
    "9-21": { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], open: "09:00", close: "21:00" },
    "10-22-sun-closed": { days: ["mon", "tue", "wed", "thu", "fri", "sat"], open: "10:00", close: "22:00", closed: ["sun"] },
  };
  function syncRow(row) {
    var mode = row.querySelector("[data-mode]");
    var periods = row.querySelector("[data-periods]");
    if (mode && periods) periods.hidden = mode.value !== "open";
  }
  function field(form, day, name) { return form.querySelector('[name="' + day + "_" + name + '"]'); }
  function setDay(form, day, mode, open1, close1, open2, close2) {
    field(form, day, "mode").value = mode;
    field(form, day, "open1").value = open1 || "";
    field(form, day, "close1").value = close1 || "";
    field(form, day, "open2").value = open2 || "";
    field(form, day, "close2").value = close2 || "";
    var row = form.querySelector('[data-day="' + day + '"]');
    syncRow(row);
    breaks(row);
  }
  function applyPreset(form, name) {
    if (name === "copy-mon") {
      var v = ["mode", "open1", "close1", "open2", "close2"].map(function (n) { return field(form, "mon", n).value; });
      form.querySelectorAll("[data-day]").forEach(function (row) {
        if (row.dataset.day !== "mon") setDay(form, row.dataset.day, v[0], v[1], v[2], v[3], v[4]);
      });
      return;
    }
    var p = PRESETS[name];
    if (!p) return;
    p.days.forEach(function (d) { setDay(form, d, "open", p.open, p.close); });
    (p.closed || []).forEach(function (d) { setDay(form, d, "closed"); });
  }
  function breaks(row) {
    // The second period of a day shows when it holds a time; otherwise "Add a break" opens it.
    var second = row.querySelector("[data-second]"), add = row.querySelector("[data-break-add]");
    if (!second || !add) return;
    var filled = Array.prototype.some.call(second.querySelectorAll("input"), function (i) { return i.value; });
    second.hidden = !filled;
    add.hidden = filled;
  }
  function init() {
    var form = document.querySelector("[data-hours-form]");
    if (!form) return;
    form.querySelectorAll("[data-day]").forEach(breaks);
    form.addEventListener("click", function (e) {
      if (!e.target.matches("[data-break-add]")) return;
      var row = e.target.closest("[data-day]");
      row.querySelector("[data-second]").hidden = false;
      e.target.hidden = true;
      row.querySelector("[data-second] input").focus();
    });
    form.querySelectorAll("[data-day], [data-exception]").forEach(syncRow);
    form.addEventListener("change", function (e) {
      if (e.target.matches("[data-mode]")) syncRow(e.target.closest("[data-day], [data-exception]"));
    });
    form.querySelectorAll("[data-preset]").forEach(function (b) {
      b.addEventListener("click", function () { applyPreset(form, b.dataset.preset); });
    });
    var add = form.querySelector("[data-exception-add]");
    var list = form.querySelector("[data-exceptions]");
    if (add && list) {
      add.addEventListener("click", function () {
        var rows = list.querySelectorAll("[data-exception]");
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.classList.remove("day-row--error");
        copy.querySelectorAll("input").forEach(function (i) { i.value = ""; });
        copy.querySelector("[data-mode]").value = "closed";
        syncRow(copy);
        list.appendChild(copy);
        copy.querySelector("input").focus();
      });
    }
  }
  document.addEventListener("DOMContentLoaded", init);
})();
