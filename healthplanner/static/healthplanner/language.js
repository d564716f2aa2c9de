// The admin's language menu: choosing a language submits its form (a file, not an inline
// handler, so the Content-Security-Policy needs no 'unsafe-inline' for scripts).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
