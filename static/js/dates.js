// Date and date-time inputs (crm/widgets.py): text inputs in the page's format (24.12.2026 14:30 in
// Bulgarian, 12/24/2026 14:30 in English) with a calendar button. The calendar (flatpickr) is
// bound to a hidden helper input, not to the text input: flatpickr would rewrite (or, for text it
// cannot parse, empty) what the user typed when the input loses focus. Here typing is the user's
// own and the server checks it; only picking a day writes the input, in the same format.
(function () {
  "use strict";
  if (!window.flatpickr) return;
  var locale = document.documentElement.lang === "bg" && flatpickr.l10ns.bg ? flatpickr.l10ns.bg : "default";
  var TOKENS = { d: "(\\d{1,2})", m: "(\\d{1,2})", Y: "(\\d{4})", y: "(\\d{2})", H: "(\\d{1,2})", i: "(\\d{2})", S: "(\\d{2})" };
  var ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

  function build(parts) {
    var date = new Date(parts.Y, parts.m - 1, parts.d, parts.H || 0, parts.i || 0, parts.S || 0);
    // new Date rolls 31.02 over into March: a date that does not round-trip is no date.
    var same = date.getFullYear() === parts.Y && date.getMonth() === parts.m - 1 && date.getDate() === parts.d &&
      date.getHours() === (parts.H || 0) && date.getMinutes() === (parts.i || 0);
    return same ? date : null;
  }
  // The input's format or ISO; anything else opens the calendar at today.
  function parse(text, format) {
    text = text.trim();
    var iso = ISO.exec(text);
    if (iso) return build({ Y: +iso[1], m: +iso[2], d: +iso[3], H: +(iso[4] || 0), i: +(iso[5] || 0), S: +(iso[6] || 0) });
    var order = [];
    var pattern = format.replace(/[dmYyHiS]|[^dmYyHiS]+/g, function (part) {
      if (TOKENS[part]) { order.push(part); return TOKENS[part]; }
      return part.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&").replace(/\s+/g, "\\s+");
    });
    var match = new RegExp("^" + pattern + "$").exec(text);
    if (!match) return null;
    var parts = {};
    order.forEach(function (token, index) { parts[token] = +match[index + 1]; });
    if (parts.y !== undefined) parts.Y = 2000 + parts.y;
    return build(parts);
  }

  function bind(input) {
    if (input.dataset.datepickerBound) return;
    input.dataset.datepickerBound = "1";
    var format = input.dataset.dateFormat;
    var group = document.createElement("div");
    group.className = "input-group flex-nowrap date-picker" + (input.classList.contains("form-control-sm") ? " input-group-sm" : "");
    input.parentNode.insertBefore(group, input);
    group.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary date-picker-button";
    button.title = input.dataset.pickerLabel || "";
    button.setAttribute("aria-label", button.title);
    button.innerHTML = '<i class="bi bi-calendar3" aria-hidden="true"></i>';
    group.appendChild(button);
    var anchor = document.createElement("input");
    anchor.type = "hidden";
    group.parentNode.insertBefore(anchor, group.nextSibling);
    var picker = flatpickr(anchor, {
      locale: locale,
      enableTime: input.dataset.datepicker === "datetime",
      time_24hr: true,
      dateFormat: format,
      // ISO in the data attributes: parsed here, flatpickr would read them in the input's format.
      minDate: input.dataset.minDate ? parse(input.dataset.minDate, format) : null,
      maxDate: input.dataset.maxDate ? parse(input.dataset.maxDate + "T23:59", format) : null,
      clickOpens: false,
      disableMobile: true, // the native mobile picker would follow the phone's language again
      positionElement: input,
      ignoredFocusElements: [button],
      onChange: function (dates) {
        if (!dates.length) return;
        input.value = picker.formatDate(dates[0], format);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      },
    });
    anchor.hidden = true; // flatpickr made it a text input
    anchor.tabIndex = -1;
    button.addEventListener("click", function () {
      if (picker.isOpen) { picker.close(); return; }
      var date = parse(input.value, format);
      if (date) picker.setDate(date, false); else picker.clear(false);
      picker.open();
    });
  }

  htmx.onLoad(function (root) {
    var inputs = root.matches && root.matches("input[data-datepicker]") ? [root] : root.querySelectorAll("input[data-datepicker]");
    Array.prototype.forEach.call(inputs, bind);
  });
})();
