// Mentions: @ and # autocomplete in description fields (Tribute, vendored).
//
// Every textarea[name=description] gets one Tribute with two collections: "@" lists employees
// and departments, "#" products, orders, counterparties, threads, communications and tasks.
// Suggestions come from /mentions/autocomplete/?q=…&trigger=…&format=json (matching, ranking and
// Cyrillic folding happen on the server); choosing one inserts its stable token, e.g.
// "@[Мария Иванова](user:12)". Keyboard navigation (↑ ↓ Enter Tab Esc) is Tribute's.
// Forms inserted later by htmx are picked up on htmx:afterSettle.
(function () {
  "use strict";
  if (typeof Tribute !== "function") return;

  var ENDPOINT = "/mentions/autocomplete/";
  var SELECTOR = "textarea[name=description]";
  var DEBOUNCE_MS = 120;
  var emptyText = "";  // "No matches", translated: sent with every answer

  function escapeHtml(value) {
    return String(value == null ? "" : value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Remote values: debounced, and an answer older than the latest request is dropped, so a slow
  // response for "@М" can never replace the list for "@Мар".
  function remoteValues(trigger) {
    var timer = null;
    var latest = 0;
    return function (text, callback) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var ticket = ++latest;
        var url = ENDPOINT + "?format=json&trigger=" + encodeURIComponent(trigger) + "&q=" + encodeURIComponent(text || "");
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            if (ticket !== latest) return;
            if (data.empty) emptyText = data.empty;
            callback(Array.isArray(data.results) ? data.results : []);
          })
          .catch(function () { if (ticket === latest) callback([]); });
      }, DEBOUNCE_MS);
    };
  }

  function menuItem(item) {
    // Names come from users: everything is escaped, nothing from the server becomes markup.
    var value = item.original;
    return (
      '<span class="mention-menu-item mention-' + escapeHtml(value.key) + '">' +
      '<span class="mention-menu-kind">' + escapeHtml(value.kind) + "</span>" +
      '<span class="mention-menu-label">' + escapeHtml(value.label) + "</span>" +
      (value.hint ? '<span class="mention-menu-hint">' + escapeHtml(value.hint) + "</span>" : "") +
      "</span>"
    );
  }

  function collection(trigger) {
    return {
      trigger: trigger,
      values: remoteValues(trigger),
      lookup: "label",
      fillAttr: "token",
      searchOpts: { skip: true },  // the server already matched (names, numbers, codes, Cyrillic)
      menuItemTemplate: menuItem,
      selectTemplate: function (item) { return item ? item.original.token : ""; },
      noMatchTemplate: function () {
        return emptyText ? '<li class="mention-menu-empty no-match">' + escapeHtml(emptyText) + "</li>" : "";
      },
      menuItemLimit: 12,
      menuShowMinLength: 0,
      requireLeadingSpace: true,
      containerClass: "tribute-container mention-menu",
      itemClass: "mention-menu-option",
    };
  }

  var tribute = new Tribute({ collection: [collection("@"), collection("#")] });

  function attach(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var fields = Array.prototype.slice.call(scope.querySelectorAll(SELECTOR));
    if (scope.matches && scope.matches(SELECTOR)) fields.push(scope);
    fields.forEach(function (field) {
      if (field.dataset.mentions === "on") return;
      field.dataset.mentions = "on";
      tribute.attach(field);
    });
  }

  // Tribute's menu lives in <body>: say which field it belongs to while it is open.
  // (Tribute's events do not bubble: listen in the capture phase.)
  document.addEventListener("tribute-active-true", function (event) {
    if (event.target.setAttribute) event.target.setAttribute("aria-expanded", "true");
  }, true);
  document.addEventListener("tribute-active-false", function (event) {
    if (event.target.setAttribute) event.target.setAttribute("aria-expanded", "false");
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { attach(document); });
  } else {
    attach(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { attach(event.target); });
  window.crmMentions = { attach: attach, tribute: tribute };
})();
