// The navbar search box: results as you type (htmx fills #navbar-search-menu from search:suggest),
// ArrowDown/ArrowUp move through them, Enter opens the one chosen (or /search/?q=… when none is),
// Escape or a click elsewhere closes the menu, and "/" anywhere outside a field focuses the box.
(function () {
  "use strict";
  var form = document.querySelector("[data-search-box]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var menu = form.querySelector(".search-menu");
  var active = -1;

  function options() { return Array.prototype.slice.call(menu.querySelectorAll("[data-search-option]")); }
  function open() { return menu.childElementCount > 0; }
  function setActive(index) {
    var all = options();
    all.forEach(function (option, i) {
      option.classList.toggle("active", i === index);
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    active = index;
    if (all[index]) all[index].scrollIntoView({ block: "nearest" });
  }
  function close() {
    menu.innerHTML = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target !== menu) return;
    active = -1;
    // A response that arrives after the box was emptied or left shows nothing.
    if (!input.value.trim() || document.activeElement !== input) { close(); return; }
    input.setAttribute("aria-expanded", open() ? "true" : "false");
  });
  input.addEventListener("input", function () { if (!input.value.trim()) close(); });
  input.addEventListener("keydown", function (event) {
    var all = options();
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      setActive(active < all.length - 1 ? active + 1 : 0);
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      setActive(active > 0 ? active - 1 : all.length - 1);
    } else if (event.key === "Enter" && active >= 0 && all[active]) {
      event.preventDefault();
      window.location.assign(all[active].href);
    } else if (event.key === "Escape") {
      close();
    }
  });
  document.addEventListener("click", function (event) { if (!form.contains(event.target)) close(); });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
})();
