// Live progress of a schedule being built: polls the job's JSON and updates the page.
// The page works without this script (a refresh link); this only saves the clicks.
(function () {
  "use strict";
  var root = document.getElementById("job-progress");
  if (!root || root.dataset.active !== "true") { return; }
  document.documentElement.classList.add("js");
  var url = root.dataset.progressUrl;
  var bar = document.getElementById("job-bar");

  function field(name) { return root.querySelector('[data-field="' + name + '"]'); }
  function show(name, value) {
    var el = field(name);
    if (el) { el.textContent = (value === null || value === undefined) ? "—" : String(value); }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = Math.min(data.elapsed_s, data.time_limit_s);
        show("elapsed_s", data.elapsed_s);
        show("best_score", data.best_score);
        show("bound", data.bound);
        show("covered", data.covered);
        var notice = field("notice");  // why a queued build has not started, when it has not
        if (notice) { notice.textContent = data.notice || ""; notice.hidden = !data.notice; }
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, 1000);
          return;
        }
        // Finished: the server renders the final state in the right words and language.
        window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
