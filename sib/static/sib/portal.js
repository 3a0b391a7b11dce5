// Progressive enhancement only: every page works without this file.
"use strict";

// A second click on a submit button while the page is loading would post the form twice.
// Record the first submission and ignore the next ones (the buttons stay enabled, so the
// clicked button's name and value are still sent).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "true";
});

// Coming back to the page with the browser's Back button must allow submitting again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitted]").forEach(function (form) {
    delete form.dataset.submitted;
  });
});
