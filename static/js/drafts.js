// Drafts: what someone types into a form is kept in this tab's sessionStorage until the form is
// sent and saved, so a sign-in in between (the session timed out, or the password is asked again)
// does not lose it. When the same form is shown again, what was typed is put back, with a notice
// and a button to clear it.
//
// The life of a draft:  typing -> "editing";  sending -> "sent";  the next page is then either
// a page that stands between the form and its saving (sign-in, the code step, the password again,
// an error page: <body data-keep-drafts>) -> "interrupted", or any other page -> the draft is
// gone (the form was saved, or came back with its errors and the values filled in by the server).
// "editing" and "interrupted" drafts are put back into their form.
//
// Never kept: passwords, hidden fields (the CSRF token), files, fields that refuse autofill
// (autocomplete="off" / "one-time-code": confirmations and sign-in codes), and anything on a page
// whose address is itself a secret: participants', welcome, reset and invitation links say so with
// <meta name="drafts" content="off"> (their referrer policy is strict-origin, which CSRF over HTTPS
// needs, so it cannot be the sign).
(function () {
  "use strict";
  var PREFIX = "draft:";
  var MAX_AGE_MS = 24 * 3600 * 1000;
  var store;
  try {
    store = window.sessionStorage;
    store.getItem(PREFIX);
  } catch (error) { return; }  // storage switched off: forms work as before
  if (document.querySelector('meta[name="drafts"][content="off"], meta[name="referrer"][content="no-referrer"]')) {
    return;
  }
  var body = document.body;

  function read(key) {
    try { return JSON.parse(store.getItem(key)); } catch (error) { return null; }
  }
  function write(key, draft) {
    try { store.setItem(key, JSON.stringify(draft)); } catch (error) { /* full: no draft */ }
  }

  // What became of the forms sent from the previous page.
  var keys = [];
  for (var i = 0; i < store.length; i += 1) {
    if (store.key(i).indexOf(PREFIX) === 0) { keys.push(store.key(i)); }
  }
  keys.forEach(function (key) {
    var draft = read(key);
    if (!draft || Date.now() - draft.at > MAX_AGE_MS) {
      store.removeItem(key);
    } else if (draft.state === "sent") {
      if (body.hasAttribute("data-keep-drafts")) {
        draft.state = "interrupted";
        write(key, draft);
      } else {
        store.removeItem(key);
      }
    }
  });
  if (body.hasAttribute("data-keep-drafts")) { return; }  // sign-in forms keep no drafts

  function kept(field) {
    if (!field.name || field.disabled || field.name === "csrf_token" || field.hasAttribute("data-no-draft")) {
      return false;
    }
    var autocomplete = (field.getAttribute("autocomplete") || "").toLowerCase();
    if (autocomplete === "off" || autocomplete === "one-time-code" || autocomplete.indexOf("password") !== -1) {
      return false;
    }
    if (field.tagName === "TEXTAREA" || field.tagName === "SELECT") { return true; }
    var type = (field.type || "text").toLowerCase();
    return ["hidden", "password", "file", "submit", "button", "reset", "image"].indexOf(type) === -1;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  // Each field by its name and its place among the fields of that name (a group of radio buttons).
  function snapshot(form) {
    var values = {};
    var seen = {};
    fieldsOf(form).forEach(function (field) {
      var n = seen[field.name] = (seen[field.name] || 0) + 1;
      var id = field.name + "#" + n;
      if (field.type === "checkbox" || field.type === "radio") {
        values[id] = field.checked;
      } else if (field.tagName === "SELECT" && field.multiple) {
        values[id] = Array.prototype.filter.call(field.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[id] = field.value;
      }
    });
    return values;
  }

  var restoring = false;  // the change events apply() sends are not someone typing

  function apply(form, values) {
    var seen = {};
    var changed = false;
    restoring = true;
    fieldsOf(form).forEach(function (field) {
      var n = seen[field.name] = (seen[field.name] || 0) + 1;
      var value = values[field.name + "#" + n];
      if (value === undefined) { return; }
      if (field.type === "checkbox" || field.type === "radio") {
        changed = changed || field.checked !== value;
        field.checked = value;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (o) { o.selected = value.indexOf(o.value) !== -1; });
        changed = true;
      } else {
        changed = changed || field.value !== value;
        field.value = value;
      }
      // Scripts that draw a field differently (the availability grid) follow the new value.
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
    restoring = false;
    return changed;
  }

  function notice(form, original, key) {
    var box = document.createElement("div");
    box.className = "draft-notice";
    box.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = body.getAttribute("data-draft-restored") || "";
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "secondary";
    clear.textContent = body.getAttribute("data-draft-discard") || "";
    clear.addEventListener("click", function () {
      store.removeItem(key);
      apply(form, original);
      box.parentNode.removeChild(box);
      var first = fieldsOf(form)[0];
      if (first) { first.focus(); }
    });
    box.appendChild(text);
    box.appendChild(clear);
    form.insertBefore(box, form.firstChild);
  }

  var forms = Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post" && !form.hasAttribute("data-no-draft")
      && fieldsOf(form).length > 0;
  });
  forms.forEach(function (form, index) {
    var key = PREFIX + window.location.pathname + window.location.search + "#" + index + ":" +
      (form.getAttribute("action") || "");
    var draft = read(key);
    if (draft && (draft.state === "editing" || draft.state === "interrupted")) {
      var original = snapshot(form);
      if (apply(form, draft.values)) {
        notice(form, original, key);
      }
      draft.state = "editing";
      write(key, draft);
    }
    function keep(state) {
      write(key, { state: state, at: Date.now(), values: snapshot(form) });
    }
    form.addEventListener("input", function () { keep("editing"); });
    form.addEventListener("change", function () {
      if (!restoring) { keep("editing"); }
    });
    form.addEventListener("submit", function () { keep("sent"); });
  });
}());
