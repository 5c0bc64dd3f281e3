// Page glue. Kept small: behaviour lives in htmx attributes and server-rendered fragments.
(function () {
  "use strict";
  // A marker tests (and curious users) can read: is the live socket connected?
  document.body.dataset.socket = "closed";
  document.body.addEventListener("htmx:wsOpen", function () {
    document.body.dataset.socket = "open";
  });
  document.body.addEventListener("htmx:wsClose", function () {
    document.body.dataset.socket = "closed";
  });
})();

// After a write from the thread page (crm/views.py _done): the page's main content is swapped in
// place; the card of what was saved is brought into view and marked, wherever it sits.
(function () {
  "use strict";
  var saved = null;
  document.body.addEventListener("crm-saved", function (event) {
    saved = event.detail && event.detail.id;
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    var item = saved && document.getElementById(saved);
    if (!item) return;
    saved = null;
    item.classList.add("tl-just-saved");
    var box = item.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) item.scrollIntoView({ block: "center" });
  });
})();

// Counterparty type-ahead: picking a suggestion links the record; typing again makes it free text.
(function () {
  "use strict";
  function setLinked(picker, linked) {
    var state = picker.querySelector("[data-picker-state]");
    if (state) {
      state.innerHTML = linked
        ? '<i class="bi bi-building-check text-success" aria-hidden="true"></i>'
        : '<i class="bi bi-pencil" aria-hidden="true"></i>';
    }
    picker.querySelector("input[type=text]").setAttribute("aria-expanded", "false");
  }
  function reloadContacts(counterpartyId) {
    var select = document.getElementById("id_contact");
    if (!select || !select.dataset.optionsUrl) return;
    htmx.ajax("GET", select.dataset.optionsUrl + "?counterparty=" + encodeURIComponent(counterpartyId || ""),
      { target: select, swap: "innerHTML" });
  }
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-pick-id]");
    var openMenus = document.querySelectorAll(".typeahead-menu");
    if (!option) {
      openMenus.forEach(function (menu) { if (!menu.contains(event.target)) menu.innerHTML = ""; });
      return;
    }
    var picker = option.closest("[data-picker]");
    picker.querySelector("input[name=counterparty]").value = option.dataset.pickId;
    picker.querySelector("input[name=counterparty_name]").value = option.dataset.pickName;
    picker.querySelector(".typeahead-menu").innerHTML = "";
    setLinked(picker, true);
    reloadContacts(option.dataset.pickId);
    // The picked option is gone with the menu: focus stays in the field, not on <body>, without
    // the field's focus trigger opening the menu again.
    var field = picker.querySelector("input[name=counterparty_name]");
    field.dataset.skipSearch = "1";
    field.focus();
    delete field.dataset.skipSearch;
  });
  document.addEventListener("htmx:confirm", function (event) {
    if (event.target.dataset && event.target.dataset.skipSearch) event.preventDefault();
  });
  document.addEventListener("input", function (event) {
    if (event.target.name !== "counterparty_name") return;
    var picker = event.target.closest("[data-picker]");
    var hidden = picker && picker.querySelector("input[name=counterparty]");
    if (hidden && hidden.value) {
      hidden.value = "";
      setLinked(picker, false);
      reloadContacts("");
    }
  });
  document.addEventListener("keydown", function (event) {
    var menu = event.target.closest("[data-picker]") && event.target.closest("[data-picker]").querySelector(".typeahead-menu");
    if (!menu || !menu.children.length) return;
    var options = Array.prototype.slice.call(menu.querySelectorAll("[data-pick-id]"));
    var index = options.indexOf(document.activeElement);
    if (event.key === "ArrowDown") { event.preventDefault(); (options[index + 1] || options[0]).focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (options[index - 1] || options[options.length - 1]).focus(); }
    else if (event.key === "Escape") { menu.innerHTML = ""; }
  });
})();

// Content-Security-Policy glue: what inline handlers and htmx event filters did (both need
// 'unsafe-inline' / 'unsafe-eval', which the policy forbids).
(function () {
  "use strict";
  // <select data-submit-on-change>: the language switch submits its form when changed.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-submit-on-change]") && event.target.form) {
      event.target.form.submit();
    }
  });
  // List filters (form[data-live-filters]): typing in a search field sends "filter-typed"
  // (htmx debounces it), changing any other field "filter-changed".
  function liveFilterForm(target) {
    return target.form && target.form.hasAttribute("data-live-filters");
  }
  document.addEventListener("input", function (event) {
    if (event.target.type === "search" && liveFilterForm(event.target)) {
      event.target.dispatchEvent(new CustomEvent("filter-typed", { bubbles: true }));
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.type !== "search" && liveFilterForm(event.target)) {
      event.target.dispatchEvent(new CustomEvent("filter-changed", { bubbles: true }));
    }
  });
})();

// Lists on a phone are cards (app.css): each cell is labelled with its column's header, read from
// the table so a new column needs no extra markup. Runs on load and on every htmx swap.
(function () {
  "use strict";
  function labelCells(table) {
    var labels = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.replace(/\s+/g, " ").trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (!cell.hasAttribute("colspan") && labels[index]) cell.dataset.label = labels[index];
      });
    });
  }
  htmx.onLoad(function (root) {
    var tables = root.matches && root.matches("table.list-table") ? [root] : root.querySelectorAll("table.list-table");
    Array.prototype.forEach.call(tables, labelCells);
    var enclosing = root.closest && root.closest("table.list-table");
    if (enclosing) labelCells(enclosing);
  });
})();

// Dialogs filled by htmx (.modal[data-crm-modal], e.g. the promote dialog): shown once swapped
// in, removed again when closed, so the next opening starts from a fresh form.
(function () {
  "use strict";
  document.addEventListener("htmx:load", function (event) {
    var dialog = event.target.matches && event.target.matches("[data-crm-modal]") ? event.target : null;
    if (!dialog || !window.bootstrap) return;
    dialog.addEventListener("hidden.bs.modal", function () { dialog.remove(); });
    dialog.addEventListener("shown.bs.modal", function () {
      var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
    window.bootstrap.Modal.getOrCreateInstance(dialog).show();
  });
})();

// The communication form's e-mail fields (send, to, cc) matter for an outgoing e-mail only: shown
// when direction "out" and channel "email" are chosen (without JavaScript they are always shown).
(function () {
  "use strict";
  function sync(form) {
    var fields = form.querySelector("[data-mail-fields]");
    if (!fields) return;
    var direction = form.querySelector("input[name=direction]:checked");
    var channel = form.querySelector("input[name=channel]:checked");
    fields.hidden = !(direction && direction.value === "out" && channel && channel.value === "email");
  }
  function syncAll() {
    document.querySelectorAll("#communication-form").forEach(sync);
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("#communication-form");
    if (form && (event.target.name === "direction" || event.target.name === "channel")) sync(form);
  });
  document.addEventListener("DOMContentLoaded", syncAll);
  document.body.addEventListener("htmx:afterSettle", syncAll);
  syncAll();
})();

// An htmx request that got no usable answer swaps nothing, so a form keeps what was typed in it;
// without a word the click would seem to do nothing. The proxy refuses a body over its limit
// (413), a restarting server answers 502–504, the network may be gone: say which, in the page's
// language (the texts are data attributes of #toasts, translated by the server). One at a time.
(function () {
  "use strict";
  var container = document.getElementById("toasts");
  if (!container) return;
  function say(text) {
    container.querySelectorAll(".request-error-toast").forEach(function (old) { old.remove(); });
    var toast = document.createElement("div");
    toast.className = "toast request-error-toast text-bg-danger border-0";
    toast.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    toast.appendChild(body);
    container.appendChild(toast);
    toast.addEventListener("hidden.bs.toast", function () { toast.remove(); });
    bootstrap.Toast.getOrCreateInstance(toast, { delay: 10000 }).show();
  }
  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    say(status === 413 ? container.dataset.errorTooLarge
      : container.dataset.errorStatus.replace("{status}", String(status)));
  });
  document.body.addEventListener("htmx:sendError", function () {
    say(container.dataset.errorNetwork);
  });
})();
