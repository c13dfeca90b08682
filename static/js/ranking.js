// Rank by tapping: the first group tapped is choice 1, the next choice 2, and so on; tapping a chosen
// group takes it out and moves the later ones up. It only sets the page's own selects, so the form
// sends the same fields without this script. Choosing a number in a select that another group holds
// gives that group this one's old number, or, if this one had none, moves that group and the later ones
// down one: two groups never share a number and none is dropped.
(function () {
  "use strict";
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.tap-rank"));
  if (!buttons.length) { return; }
  function selectOf(button) { return document.getElementById(button.dataset.select); }
  function rankOf(select) { return select.value ? parseInt(select.value, 10) : 0; }
  function selects() { return buttons.map(selectOf); }

  function render() {
    selects().forEach(function (s) { s.dataset.before = s.value; });  // what a later change swaps from
    buttons.forEach(function (button) {
      var rank = rankOf(selectOf(button));
      button.textContent = rank ? button.dataset.remove.replace("{n}", String(rank)) : button.dataset.add;
      button.setAttribute("aria-pressed", rank ? "true" : "false");
    });
  }

  function compact() {
    var ranked = selects().filter(function (s) { return rankOf(s) > 0; });
    ranked.sort(function (a, b) { return rankOf(a) - rankOf(b); });
    ranked.forEach(function (s, i) { s.value = String(i + 1); });
  }

  buttons.forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var select = selectOf(button);
      if (rankOf(select)) {
        select.value = "";
      } else {
        var highest = selects().reduce(function (most, s) { return Math.max(most, rankOf(s)); }, 0);
        select.value = String(highest + 1);
      }
      compact();
      render();
    });
    var select = selectOf(button);
    select.addEventListener("change", function () {
      var chosen = select.value;
      var holder = selects().filter(function (other) { return other !== select && chosen && other.value === chosen; })[0];
      if (holder && select.dataset.before) {
        holder.value = select.dataset.before;  // two ranked groups swap numbers
      } else if (holder) {
        // A group not chosen before takes a held number: the holder and those after it move down one,
        // never out ("Not for me" would silently drop a group the person wanted).
        var ranked = selects().filter(function (s) { return s !== select && rankOf(s) > 0; });
        ranked.sort(function (a, b) { return rankOf(a) - rankOf(b); });
        var before = ranked.filter(function (s) { return rankOf(s) < parseInt(chosen, 10); }).length;
        ranked.splice(before, 0, select);
        ranked.forEach(function (s, i) { s.value = String(i + 1); });
      }
      render();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
  render();
}());
