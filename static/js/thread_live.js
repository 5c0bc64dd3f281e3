// The live thread page (crm/live.py): timeline entries pushed over the page's socket arrive as
// an out-of-band fragment for #timeline. They are put in place here instead of swapped in:
// - an entry already on the page (a card whose status or assignee changed) is replaced where
//   it is; one arriving twice (a reconnect, two tabs) is not added again;
// - a new entry goes on top (the timeline is newest first), the "nothing yet" line goes away.
// Nothing else on the page is touched: the composer and what is typed in it stay as they are.
(function () {
  "use strict";
  var FRESH_MS = 4000;

  function mark(el) {
    el.classList.add("tl-live-new");
    window.setTimeout(function () { el.classList.remove("tl-live-new"); }, FRESH_MS);
  }

  function place(timeline, entries) {
    var added = [];
    entries.forEach(function (entry) {
      var existing = entry.id ? document.getElementById(entry.id) : null;
      if (existing && timeline.contains(existing)) {
        // The mark of the writer's own save (app.js) stays on the card.
        if (existing.classList.contains("tl-just-saved")) entry.classList.add("tl-just-saved");
        existing.replaceWith(entry);
      } else if (!existing) {
        added.push(entry);
      }
      htmx.process(entry);
      mark(entry);
    });
    // The fragment is newest first: inserting its new entries from the last keeps that order.
    for (var i = added.length - 1; i >= 0; i--) timeline.insertBefore(added[i], timeline.firstElementChild);
    if (added.length) timeline.querySelectorAll(".timeline-empty").forEach(function (el) { el.remove(); });
  }

  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail || {};
    var target = detail.target;
    if (!target || target.id !== "timeline" || !detail.fragment) return;
    detail.shouldSwap = false;
    place(target, Array.prototype.slice.call(detail.fragment.querySelectorAll("li.timeline-item")));
  });
})();
