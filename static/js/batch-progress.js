// Follows a batch of emails going out: fetches this page every 2 s and puts its new progress in
// place, until the batch is done. Without scripts the page has a Refresh link instead.
(function () {
  "use strict";
  var state = document.getElementById("batch-state");
  if (!state || state.dataset.finished === "true") { return; }

  function poll() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("batch-state");
        if (!fresh) { return; }
        var words = document.getElementById("batch-words");
        var freshWords = fresh.querySelector("#batch-words");
        // Update the status text in place, so a screen reader hears the change once.
        if (words && freshWords) { words.textContent = freshWords.textContent; }
        var bar = document.getElementById("batch-progress");
        var freshBar = fresh.querySelector("#batch-progress");
        if (bar && freshBar) { bar.max = freshBar.max; bar.value = freshBar.value; }
        var error = fresh.querySelector(".error");
        var shown = state.querySelector(".error");
        if (error && !shown) { state.insertBefore(error, words ? words.nextSibling : null); }
        else if (error && shown) { shown.textContent = error.textContent; }
        if (fresh.dataset.finished === "true") {
          state.dataset.finished = "true";
          var refresh = state.querySelector("a");
          if (refresh) { refresh.parentNode.remove(); }
          return;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
}());
