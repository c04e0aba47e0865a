// The starter list's form (tenant_apps/catalog/templates/catalog/starter.html): find in the list, tick a row when
// its price or stock is typed, count the ticked rows on the button. The button's words come from the form's
// data-*-label attributes (translated by the template).
document.addEventListener("alpine:init", () => {
  Alpine.data("starterForm", () => ({
    q: "", n: 0, busy: false,
    init() { this.count(); },
    count() { this.n = this.$root.querySelectorAll("input[name=pick]:checked").length; },
    tick(input) {
      const box = input.closest("li").querySelector("input[name=pick]");
      if (input.value.trim() && box && !box.checked) { box.checked = true; this.count(); }
    },
    shown(row) { return !this.q || row.dataset.name.includes(this.q.trim().toLowerCase()); },
    label(n) {
      const words = this.$root.dataset;
      if (!n) return words.tickLabel;
      return n === 1 ? words.oneLabel : words.manyLabel.replace("{n}", n);
    },
  }));
});
