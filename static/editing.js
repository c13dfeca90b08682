// Availability grid: each cell's select becomes a button that cycles available -> if need be ->
// not available on click, and the arrow keys move between cells. Without this script the
// selects work as they are; the form posts the selects either way.
(function () {
  "use strict";
  var grids = document.querySelectorAll("[data-grid]");
  Array.prototype.forEach.call(grids, function (grid) {
    grid.classList.add("js-grid");
    var rows = Array.prototype.map.call(grid.querySelectorAll("tbody tr"), function (tr) {
      return Array.prototype.map.call(tr.querySelectorAll("td"), function (td) { return td; });
    });

    function label(select) {
      var own = grid.querySelector('label[for="' + select.id + '"]');
      return own ? own.textContent : "";
    }

    function render(cell, select, button) {
      var option = select.options[select.selectedIndex];
      button.textContent = option.textContent;
      button.setAttribute("aria-label", label(select) + ": " + option.textContent);
      cell.className = cell.className.replace(/\blevel-\S+/, "") + " level-" + select.value;
    }

    rows.forEach(function (cells, r) {
      cells.forEach(function (cell, c) {
        var select = cell.querySelector("select");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "cell-button";
        if (!select) { return; }
        cell.appendChild(button);
        render(cell, select, button);
        button.addEventListener("click", function () {
          select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
          render(cell, select, button);
          // As if the select itself had changed: the form's draft (js/drafts.js) follows the grid.
          select.dispatchEvent(new Event("change", { bubbles: true }));
        });
        button.addEventListener("keydown", function (event) {
          var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
          var move = moves[event.key];
          if (!move) { return; }
          event.preventDefault();
          var nr = r + move[0], nc = c + move[1];
          // Skip empty cells (days without that time) in the direction of travel.
          while (rows[nr] && rows[nr][nc] && !rows[nr][nc].querySelector(".cell-button")) {
            nr += move[0]; nc += move[1];
          }
          var target = rows[nr] && rows[nr][nc] && rows[nr][nc].querySelector(".cell-button");
          if (target) {
            button.tabIndex = -1;
            target.tabIndex = 0;
            target.focus();
            // Focus alone leaves a half-hidden cell half hidden when the grid scrolls sideways (200%
            // zoom, a phone): bring the whole cell into view.
            target.scrollIntoView({ block: "nearest", inline: "nearest" });
          }
        });
      });
    });
    // Exactly one cell is in the tab order (roving tabindex): Tab enters the grid, arrows move inside.
    var buttons = grid.querySelectorAll(".cell-button");
    Array.prototype.forEach.call(buttons, function (b, i) { b.tabIndex = i === 0 ? 0 : -1; });
  });
}());

// Ranked lists: each Move up / Move down / Remove button posts the form and the page comes back.
// Put the keyboard focus back on the same activity's button (or, when it reached the end of the list
// or was removed, on the nearest button that is left), so someone using the keyboard can press the
// button again instead of tabbing from the top of the page.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-keep-focus]");
  Array.prototype.forEach.call(forms, function (form) {
    var key = "keep-focus:" + window.location.pathname;
    var last = null;
    try {
      last = window.sessionStorage.getItem(key);
      window.sessionStorage.removeItem(key);
    } catch (error) { last = null; }
    if (last) {
      var buttons = Array.prototype.slice.call(form.querySelectorAll('button[name="action"]'));
      var code = last.slice(last.indexOf(":") + 1);
      var sameItem = function (b) { return b.value.slice(b.value.indexOf(":") + 1) === code; };
      var target = buttons.filter(function (b) { return b.value === last; })[0] ||
        buttons.filter(function (b) { return sameItem(b) && b.value.indexOf("remove:") !== 0; })[0] ||
        buttons.filter(sameItem)[0] || form.querySelector("select") || buttons[0];
      if (target) { target.focus(); }
    }
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button.name === "action") {
        try { window.sessionStorage.setItem(key, button.value); } catch (error) { /* private mode: no memory */ }
      }
    });
  });
}());
