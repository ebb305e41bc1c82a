// The job page without the timed refresh: follows the job by Server-Sent Events, updates the
// overall bar, and reloads the page when the job changes state (or every 10 s for the folder details).
(function () {
  "use strict";
  var root = document.querySelector("[data-flux]");
  if (!root) { return; }
  var reload = function (delay) { window.setTimeout(function () { window.location.reload(); }, delay); };
  if (!window.EventSource) { reload(5000); return; }
  var bar = document.getElementById("overall");
  var label = document.getElementById("overall-text");
  var state = root.getAttribute("data-state");
  var since = Date.now();
  var source = new window.EventSource(root.getAttribute("data-flux"));
  source.addEventListener("progress", function (e) {
    var d = JSON.parse(e.data);
    if (bar) { bar.value = d.percent; }
    if (label) { label.textContent = d.percent + " %"; }
    if (d.state !== state || Date.now() - since > 10000) { source.close(); reload(0); }
  });
  source.onerror = function () { source.close(); reload(5000); };
}());
