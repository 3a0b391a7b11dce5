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

// An upload form with data-progress="ID" shows element ID (a progress bar) while the file
// is sent and checked, so a long import does not look like a page that froze.
document.addEventListener("submit", function (event) {
  var target = event.target.dataset.progress;
  if (target && !event.defaultPrevented) {
    var element = document.getElementById(target);
    if (element) element.hidden = false;
  }
});

// A report being built: ask the API for its state every second and a half, show it, and
// reload the page once it is ready or failed (the page then offers the download).
(function () {
  var box = document.querySelector("[data-poll-url]");
  if (!box || !box.dataset.pollUrl) return;
  var status = box.querySelector("[data-status]");
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.dataset.pollUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (report) {
        if (!report) return;
        if (bar) bar.value = report.progress;
        var text = box.dataset["label" + report.status.charAt(0).toUpperCase() + report.status.slice(1)];
        if (status && text && status.dataset.status !== report.status) {
          status.textContent = text;
          status.dataset.status = report.status;
        }
        if (report.status === "ready" || report.status === "failed") {
          window.location.reload();
          return true;
        }
      })
      .catch(function () { /* a missed poll is retried */ })
      .then(function (done) { if (!done) window.setTimeout(poll, 1500); });
  }
  window.setTimeout(poll, 1000);
})();
