// Small behaviours that pages used to write inline (onchange=, onclick=), which the Content-Security-Policy forbids:
// data-autosubmit on a field submits its form when it changes; data-print on a button prints the page.
document.addEventListener("change", function (event) {
  var field = event.target.closest && event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
