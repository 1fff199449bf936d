// The badge form (templates/badges/_unknown.html): "Use this badge" fills the badge
// number and its format in place, instead of reloading the form through its link.
(function () {
  "use strict";
  var uid = document.getElementById("uid");
  var format = document.getElementById("reader_format");
  if (!uid) { return; }
  document.querySelectorAll("[data-fill-uid]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      uid.value = link.getAttribute("data-fill-uid");
      if (format && link.getAttribute("data-fill-format")) {
        format.value = link.getAttribute("data-fill-format");
      }
      document.querySelectorAll("[data-fill-uid]").forEach(function (other) {
        other.removeAttribute("aria-pressed");
      });
      link.setAttribute("aria-pressed", "true");
      uid.focus();
    });
  });
}());
