// Mentions: a small editor for description fields, with @ and # suggestions.
//
// Every textarea[name=description] gets a contenteditable box in its place. The textarea stays
// the form's field (and the contract): it always holds the stored text, tokens included, e.g.
// "Моля, @[Мария Иванова](user:12), да се обади."; without JS it is the plain textarea it was.
// In the box a picked mention is a chip (a non-editable span carrying its token) that Backspace
// and Delete remove as one unit; everything else is plain text (white-space: pre-wrap).
//
// Why our own editor rather than Tribute (used before): Tribute replaced the typed "@query" with
// its selectTemplate even when nothing matched (typed text vanished on Enter/Tab), selected the
// first item on Enter whatever the user typed ("#5" became a counterparty), and in its
// contenteditable mode inserts HTML we would have to clean up again. What a description needs is
// small — text, line breaks and chips — so we own the DOM: only text nodes, chips and one final
// <br> (so a trailing new line shows) are ever in the box; anything else the browser produces is
// flattened back to text. No markup is ever built from strings: labels go in through textContent.
//
// Token rules (docs/decisions.md "Mention editor"):
// - a token is @[Label](kind:id) or #[Label](kind:id) as mentions/parsing.py reads it; existing
//   tokens become chips on load and serialize back to exactly the same characters;
// - a suggestion is inserted only when the user picks it: a click, or Enter/Tab on a highlighted
//   item. The first item is highlighted by itself only when its label (or a word of it) starts
//   with what was typed and that is not a bare number; otherwise ↓/↑ highlight, and Enter is a
//   new line and Tab leaves the field as usual, the typed text untouched;
// - after a chip comes one space, dropped again if the next thing typed is punctuation;
// - paste and drop insert plain text only (an HTML clipboard keeps only its text).
// Suggestions come from /mentions/autocomplete/?q=…&trigger=…&format=json (matching, ranking,
// Cyrillic folding and the translated "no matches" text are the server's).
(function () {
  "use strict";

  var ENDPOINT = "/mentions/autocomplete/";
  var SELECTOR = "textarea[name=description]";
  var DEBOUNCE_MS = 120;
  var MAX_QUERY = 60;
  // The same token as mentions/parsing.py (_CHIP).
  var TOKEN = /([@#])\[([^\[\]\r\n]{1,200})\]\(([a-z][a-z_]{0,31}):([1-9]\d{0,17})\)/g;
  // A trigger starts a query at the start of a text or after a space or opening punctuation
  // (as a plain @handle does on the server), so "ivan@example.bg" opens nothing.
  var QUERY = /(^|[\s(\[{"'«„“,;])([@#])([^@#\n]*)$/;
  var CLOSING_PUNCTUATION = /^[.,;:!?…)\]}»“”]/;
  var uid = 0;

  // --- the box's content: text nodes, chips, a final <br> ------------------------------------

  function isChip(node) {
    return node && node.nodeType === 1 && node.classList.contains("mention-chip") && node.dataset.token;
  }

  function makeChip(trigger, label, key, token) {
    var chip = document.createElement("span");
    chip.className = "mention-chip mention-" + key;
    chip.contentEditable = "false";
    chip.dataset.token = token;
    chip.textContent = trigger + label;
    return chip;
  }

  function fill(box, text) {
    box.textContent = "";
    var last = 0;
    TOKEN.lastIndex = 0;
    var match;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match.index > last) box.appendChild(document.createTextNode(text.slice(last, match.index)));
      box.appendChild(makeChip(match[1], match[2], match[3], match[0]));
      last = match.index + match[0].length;
    }
    if (last < text.length) box.appendChild(document.createTextNode(text.slice(last)));
    box.appendChild(document.createElement("br"));
  }

  // The stored text of any DOM the browser may have left in the box; `caret` (a {node, offset}
  // position) is translated to an offset in that text on the way.
  function serialize(box, caret) {
    var out = "";
    var caretAt = -1;
    function mark(node, offset) {
      if (caret && caret.node === node && caret.offset === offset) caretAt = out.length;
    }
    function walk(parent, top) {
      var children = parent.childNodes;
      for (var i = 0; i < children.length; i++) {
        var node = children[i];
        mark(parent, i);
        if (node.nodeType === 3) {
          if (caret && caret.node === node) caretAt = out.length + caret.offset;
          out += node.data;
        } else if (isChip(node)) {
          out += node.dataset.token;
        } else if (node.nodeName === "BR") {
          if (!(top && i === children.length - 1)) out += "\n";
        } else if (node.nodeType === 1) {
          var block = /^(DIV|P|LI|H[1-6]|BLOCKQUOTE|PRE)$/.test(node.nodeName);
          if (block && out && out.slice(-1) !== "\n") out += "\n";
          walk(node, false);
        }
      }
      mark(parent, children.length);
    }
    walk(box, true);
    return { text: out, caret: caretAt };
  }

  function isCanonical(box) {
    var children = box.childNodes;
    if (!children.length || children[children.length - 1].nodeName !== "BR") return false;
    for (var i = 0; i < children.length - 1; i++) {
      var node = children[i];
      if (node.nodeType === 3) {
        if (!node.data || (i && children[i - 1].nodeType === 3)) return false;
      } else if (!isChip(node)) {
        return false;
      }
    }
    return true;
  }

  // The DOM position at `offset` characters into the stored text (a chip is its token's length:
  // an offset inside it lands after it).
  function positionAt(box, offset) {
    var children = box.childNodes;
    var seen = 0;
    for (var i = 0; i < children.length; i++) {
      var node = children[i];
      if (node.nodeType === 3) {
        if (offset <= seen + node.data.length) return { node: node, offset: offset - seen };
        seen += node.data.length;
      } else if (isChip(node)) {
        seen += node.dataset.token.length;
        if (offset < seen) return { node: box, offset: i + 1 };
      }
    }
    return { node: box, offset: Math.max(0, children.length - 1) };
  }

  // --- selection helpers ------------------------------------------------------------------------

  function currentRange(box) {
    var selection = window.getSelection();
    if (!selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    return box.contains(range.startContainer) && box.contains(range.endContainer) ? range : null;
  }

  function placeCaret(node, offset) {
    var range = document.createRange();
    range.setStart(node, offset);
    range.collapse(true);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Insert plain text at the caret (replacing a selection), the caret after it.
  function insertText(box, text) {
    var range = currentRange(box);
    if (!range) return;
    range.deleteContents();
    var node = range.startContainer;
    var offset = range.startOffset;
    if (node.nodeType === 3) {
      node.insertData(offset, text);
      placeCaret(node, offset + text.length);
    } else {
      var before = node.childNodes[offset] || null;
      var previous = before ? before.previousSibling : node.lastChild;
      if (previous && previous.nodeType === 3) {
        var at = previous.data.length;
        previous.appendData(text);
        placeCaret(previous, at + text.length);
      } else if (before && before.nodeType === 3) {
        before.insertData(0, text);
        placeCaret(before, text.length);
      } else {
        var created = document.createTextNode(text);
        node.insertBefore(created, before);
        placeCaret(created, text.length);
      }
    }
  }

  // The chip right before (direction -1) or after (+1) a collapsed caret, if any.
  function chipBeside(box, range, direction) {
    var node = range.startContainer;
    var offset = range.startOffset;
    var neighbour = null;
    if (node.nodeType === 3) {
      if (direction < 0 && offset === 0) neighbour = node.previousSibling;
      if (direction > 0 && offset === node.data.length) neighbour = node.nextSibling;
    } else if (node === box) {
      neighbour = direction < 0 ? node.childNodes[offset - 1] : node.childNodes[offset];
    }
    return isChip(neighbour) ? neighbour : null;
  }

  // --- suggestions ------------------------------------------------------------------------------

  function escapeRegExp(value) {
    return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // Enter may pick the first suggestion by itself only when it plainly is what was typed.
  function obviousMatch(query, item) {
    var folded = query.trim().toLowerCase();
    if (!folded || /^\d+$/.test(folded)) return false;
    var label = String(item.label || "").toLowerCase();
    return new RegExp("(^|[\\s\\-])" + escapeRegExp(folded)).test(label);
  }

  function Editor(field) {
    var self = this;
    this.field = field;
    this.query = null; // {trigger, text, node, start, key}
    this.results = [];
    this.active = -1;
    this.empty = "";
    this.dismissed = null;
    this.pendingSpace = null; // the space put after a chip: {node, offset}
    this.timer = null;
    this.ticket = 0;
    this.cache = {};
    // Our own undo: the browser's history does not know the changes made here (chips, line
    // breaks, paste), and replaying it over them could drop text. States of the stored text;
    // typing within a second is one step.
    this.history = [{ text: field.value, caret: field.value.length }];
    this.future = [];
    this.lastStep = 0;
    this.grouping = false;

    var id = "mention-editor-" + ++uid; // unique: htmx may bring a new form with the same field id
    var box = (this.box = document.createElement("div"));
    box.className = "form-control mention-editor rows-" + Math.min(Number(field.getAttribute("rows")) || 3, 10);
    if (field.classList.contains("is-invalid")) box.classList.add("is-invalid");
    box.contentEditable = "true";
    box.id = id;
    box.setAttribute("role", "textbox");
    box.setAttribute("aria-multiline", "true");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("spellcheck", "true");
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    if (label) {
      if (!label.id) label.id = field.id + "-label";
      box.setAttribute("aria-labelledby", label.id);
    }
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (name) {
      if (field.hasAttribute(name)) box.setAttribute(name, field.getAttribute(name));
    });

    var menu = (this.menu = document.createElement("ul"));
    menu.className = "mention-menu list-unstyled";
    menu.id = id + "-menu";
    menu.setAttribute("role", "listbox");
    menu.hidden = true;
    box.setAttribute("aria-controls", menu.id);
    box.setAttribute("aria-expanded", "false");

    fill(box, field.value);
    field.classList.add("mention-source");
    field.setAttribute("tabindex", "-1");
    field.setAttribute("aria-hidden", "true");
    field.insertAdjacentElement("afterend", box);
    document.body.appendChild(menu);

    box.addEventListener("beforeinput", function (event) { self.onBeforeInput(event); });
    box.addEventListener("input", function () { self.onInput(); });
    box.addEventListener("keydown", function (event) { self.onKeyDown(event); });
    box.addEventListener("paste", function (event) { self.onPaste(event); });
    box.addEventListener("drop", function (event) { self.onDrop(event); });
    box.addEventListener("blur", function () { self.close(); });
    box.addEventListener("scroll", function () { if (self.query && !menu.hidden) self.position(); });
    box.addEventListener("click", function () { self.pendingSpace = null; self.refresh(); });
    menu.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the caret in the box
      var option = event.target.closest("[role=option]");
      if (option) self.pick(Number(option.dataset.index));
    });
    // Someone (a script, autofill, a test) set the field itself: show what it now holds.
    field.addEventListener("input", function () { self.reload(); });
    if (label) label.addEventListener("click", function (event) { event.preventDefault(); box.focus(); });
    if (field.form) {
      field.form.addEventListener("submit", function () { self.sync(); }, true);
      field.form.addEventListener("reset", function () { setTimeout(function () { self.reload(); }, 0); });
    }
  }

  Editor.prototype.reload = function () {
    fill(this.box, this.field.value);
    this.apart();
    this.remember(this.field.value, -1);
    this.apart();
    this.close();
  };

  // Write the box's text into the field; repair the box if the browser left other markup in it.
  Editor.prototype.sync = function () {
    var box = this.box;
    var range = currentRange(box);
    var state = serialize(box, range && range.collapsed ? { node: range.startContainer, offset: range.startOffset } : null);
    if (!isCanonical(box)) {
      fill(box, state.text);
      if (state.caret >= 0 && document.activeElement === box) {
        var position = positionAt(box, state.caret);
        placeCaret(position.node, position.offset);
      }
    }
    if (this.field.value !== state.text) {
      this.remember(state.text, state.caret);
      this.field.value = state.text;
      this.field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  };

  Editor.prototype.remember = function (text, caret) {
    var now = Date.now();
    var top = this.history[this.history.length - 1];
    if (this.grouping && now - this.lastStep < 1000 && this.history.length > 1) {
      top.text = text;
      top.caret = caret;
    } else {
      this.history.push({ text: text, caret: caret });
      if (this.history.length > 200) this.history.shift();
    }
    this.future = [];
    this.lastStep = now;
    this.grouping = true;
  };

  // A step of its own (a chip, a line break, a paste), not merged with the typing around it.
  Editor.prototype.apart = function () {
    this.grouping = false;
  };

  Editor.prototype.undo = function () {
    if (this.history.length < 2) return;
    this.future.push(this.history.pop());
    this.showState(this.history[this.history.length - 1]);
  };

  Editor.prototype.redo = function () {
    if (!this.future.length) return;
    var state = this.future.pop();
    this.history.push(state);
    this.showState(state);
  };

  Editor.prototype.showState = function (state) {
    fill(this.box, state.text);
    this.field.value = state.text;
    this.field.dispatchEvent(new Event("change", { bubbles: true }));
    var position = positionAt(this.box, state.caret < 0 ? state.text.length : state.caret);
    placeCaret(position.node, position.offset);
    this.grouping = false;
    this.pendingSpace = null;
    this.close();
  };

  Editor.prototype.onBeforeInput = function (event) {
    var type = event.inputType;
    if (type === "historyUndo" || type === "historyRedo") {
      event.preventDefault();
      if (type === "historyUndo") this.undo();
      else this.redo();
      return;
    }
    if (type === "insertParagraph" || type === "insertLineBreak") {
      event.preventDefault();
      this.pendingSpace = null;
      this.apart();
      insertText(this.box, "\n");
      this.onInput();
    } else if (type === "insertText" && event.data && this.pendingSpace && CLOSING_PUNCTUATION.test(event.data)) {
      var pending = this.pendingSpace;
      var range = currentRange(this.box);
      this.pendingSpace = null;
      if (range && range.collapsed && range.startContainer === pending.node && range.startOffset === pending.offset &&
          pending.node.data.charAt(pending.offset - 1) === " ") {
        event.preventDefault();
        pending.node.deleteData(pending.offset - 1, 1);
        placeCaret(pending.node, pending.offset - 1);
        insertText(this.box, event.data);
        this.onInput();
      }
    } else if (/^format/.test(type) || type === "insertFromPaste" || type === "insertFromDrop" ||
               type === "insertLink" || type === "insertOrderedList" || type === "insertUnorderedList" ||
               type === "insertHorizontalRule") {
      // Bold, links, lists: a description is plain text. Paste and drop are handled below.
      event.preventDefault();
    } else {
      this.pendingSpace = null;
    }
  };

  Editor.prototype.onInput = function () {
    this.sync();
    this.refresh();
  };

  Editor.prototype.onPaste = function (event) {
    event.preventDefault();
    var data = event.clipboardData;
    var text = data ? data.getData("text/plain") : "";
    if (!text && data && data.getData("text/html")) {
      // An inert document: nothing in it runs or loads; only its visible text is kept.
      var parsed = new DOMParser().parseFromString(data.getData("text/html"), "text/html");
      parsed.querySelectorAll("script, style, template, noscript").forEach(function (node) { node.remove(); });
      text = parsed.body ? parsed.body.textContent : "";
    }
    if (!text) return;
    this.pendingSpace = null;
    this.apart();
    insertText(this.box, text.replace(/\r\n?/g, "\n"));
    this.onInput();
    this.apart();
  };

  Editor.prototype.onDrop = function (event) {
    event.preventDefault();
    var text = event.dataTransfer ? event.dataTransfer.getData("text/plain") : "";
    if (!text) return;
    var point = document.caretRangeFromPoint ? document.caretRangeFromPoint(event.clientX, event.clientY) : null;
    if (point && this.box.contains(point.startContainer)) placeCaret(point.startContainer, point.startOffset);
    this.box.focus();
    this.apart();
    insertText(this.box, text.replace(/\r\n?/g, "\n"));
    this.onInput();
    this.apart();
  };

  Editor.prototype.onKeyDown = function (event) {
    if (event.isComposing) return;
    // Undo and redo from the keyboard are ours too: the browser sends no "historyRedo" (nor,
    // after our own changes, "historyUndo") when its own history is empty.
    var key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (key === "z" || key === "y")) {
      event.preventDefault();
      if (key === "z" && !event.shiftKey) this.undo();
      else this.redo();
      return;
    }
    var open = !this.menu.hidden;
    var count = this.results.length;
    if (open && count && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      this.highlight(this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count);
      return;
    }
    if (open && this.active >= 0 && (event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      event.preventDefault();
      this.pick(this.active);
      return;
    }
    if (open && event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // a dialog around the form stays open
      this.dismissed = this.query && this.query.key;
      this.close();
      return;
    }
    if ((event.key === "Backspace" || event.key === "Delete") && !event.ctrlKey && !event.altKey && !event.metaKey) {
      var range = currentRange(this.box);
      var chip = range && range.collapsed && chipBeside(this.box, range, event.key === "Backspace" ? -1 : 1);
      if (chip) {
        event.preventDefault();
        var parent = chip.parentNode;
        var index = Array.prototype.indexOf.call(parent.childNodes, chip);
        parent.removeChild(chip);
        placeCaret(parent, index);
        this.apart();
        this.onInput();
        this.apart();
      }
    }
  };

  // --- the menu ---------------------------------------------------------------------------------

  // Which "@query" / "#query" the caret is at the end of, if any.
  Editor.prototype.findQuery = function () {
    var range = currentRange(this.box);
    if (!range || !range.collapsed || range.startContainer.nodeType !== 3) return null;
    var node = range.startContainer;
    var match = QUERY.exec(node.data.slice(0, range.startOffset));
    if (!match) return null;
    var text = match[3];
    if (text.length > MAX_QUERY || /^\s/.test(text) || (text.match(/ /g) || []).length > 2) return null;
    var start = range.startOffset - text.length - 1;
    return { trigger: match[2], text: text, node: node, start: start, end: range.startOffset, key: match[2] + start + ":" + text.split(" ")[0] };
  };

  Editor.prototype.refresh = function () {
    var query = this.findQuery();
    if (!query || (this.dismissed && this.dismissed === query.key)) {
      if (!query) this.dismissed = null;
      this.close();
      return;
    }
    this.dismissed = null;
    this.query = query;
    var cacheKey = query.trigger + query.text;
    if (this.cache[cacheKey]) {
      this.show(this.cache[cacheKey]);
      return;
    }
    var self = this;
    clearTimeout(this.timer);
    this.active = -1; // nothing Enter could pick while the answer is on its way
    this.timer = setTimeout(function () { self.fetch(query.trigger, query.text, cacheKey); }, DEBOUNCE_MS);
  };

  // An answer older than the latest request is dropped, so a slow response for "@М" can never
  // replace the list for "@Мар".
  Editor.prototype.fetch = function (trigger, text, cacheKey) {
    var self = this;
    var ticket = ++this.ticket;
    var url = ENDPOINT + "?format=json&trigger=" + encodeURIComponent(trigger) + "&q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .catch(function () { return { results: [] }; })
      .then(function (data) {
        if (data.empty) self.empty = data.empty;
        var results = Array.isArray(data.results) ? data.results : [];
        self.cache[cacheKey] = results;
        if (ticket !== self.ticket || !self.query || self.query.trigger + self.query.text !== cacheKey) return;
        self.show(results);
      });
  };

  Editor.prototype.show = function (results) {
    var query = this.query;
    // A sentence that merely starts with "@word" and matched nothing: no menu once it goes on.
    if (!results.length && / /.test(query.text)) {
      this.close();
      return;
    }
    this.results = results;
    var menu = this.menu;
    menu.textContent = "";
    results.forEach(function (item, index) {
      var option = document.createElement("li");
      option.className = "mention-menu-option mention-" + String(item.key || "").replace(/[^a-z_]/g, "");
      option.id = menu.id + "-" + index;
      option.dataset.index = String(index);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var head = document.createElement("span");
      head.className = "mention-menu-head";
      var name = document.createElement("span");
      name.className = "mention-menu-label";
      name.textContent = item.label;
      var kind = document.createElement("span");
      kind.className = "mention-menu-kind";
      kind.textContent = item.kind || "";
      head.appendChild(name);
      head.appendChild(kind);
      option.appendChild(head);
      if (item.hint) {
        var hint = document.createElement("span");
        hint.className = "mention-menu-hint";
        hint.textContent = item.hint;
        option.appendChild(hint);
      }
      menu.appendChild(option);
    });
    if (!results.length) {
      var empty = document.createElement("li");
      empty.className = "mention-menu-empty";
      empty.setAttribute("role", "presentation");
      empty.textContent = this.empty;
      menu.appendChild(empty);
    }
    this.highlight(results.length && obviousMatch(query.text, results[0]) ? 0 : -1);
    menu.hidden = false;
    this.box.setAttribute("aria-expanded", "true");
    this.position();
  };

  Editor.prototype.highlight = function (index) {
    this.active = index;
    var options = this.menu.querySelectorAll("[role=option]");
    for (var i = 0; i < options.length; i++) {
      var on = i === index;
      options[i].classList.toggle("active", on);
      options[i].setAttribute("aria-selected", on ? "true" : "false");
      if (on && options[i].scrollIntoView) options[i].scrollIntoView({ block: "nearest" });
    }
    if (index >= 0) this.box.setAttribute("aria-activedescendant", this.menu.id + "-" + index);
    else this.box.removeAttribute("aria-activedescendant");
  };

  // Under the caret (above it when there is no room below), inside the viewport.
  Editor.prototype.position = function () {
    var query = this.query;
    var range = document.createRange();
    range.setStart(query.node, Math.min(query.start, query.node.data.length));
    range.setEnd(query.node, Math.min(query.start + 1, query.node.data.length));
    var rect = range.getClientRects()[0] || this.box.getBoundingClientRect();
    var menu = this.menu;
    var width = menu.offsetWidth;
    var height = menu.offsetHeight;
    var left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - width - 8));
    var top = rect.bottom + 4;
    if (top + height > window.innerHeight && rect.top - height - 4 > 0) top = rect.top - height - 4;
    // CSSOM writes, not a style attribute in markup: allowed by the Content-Security-Policy.
    menu.style.left = left + window.scrollX + "px";
    menu.style.top = top + window.scrollY + "px";
  };

  Editor.prototype.close = function () {
    clearTimeout(this.timer);
    this.ticket++;
    this.query = null;
    this.results = [];
    this.active = -1;
    this.menu.hidden = true;
    this.menu.textContent = "";
    this.box.setAttribute("aria-expanded", "false");
    this.box.removeAttribute("aria-activedescendant");
  };

  // Replace the typed "@query" with the chip of results[index], then one space.
  Editor.prototype.pick = function (index) {
    var item = this.results[index];
    var query = this.query;
    if (!item || !query || !query.node.parentNode) return;
    TOKEN.lastIndex = 0;
    var parts = TOKEN.exec(item.token || "");
    if (!parts) return;
    var node = query.node;
    var after = node.splitText(query.end);
    node.deleteData(query.start, node.data.length - query.start);
    var chip = makeChip(parts[1], parts[2], parts[3], parts[0]);
    node.parentNode.insertBefore(chip, after);
    if (!node.data) node.parentNode.removeChild(node);
    if (/^\s/.test(after.data)) {
      placeCaret(after, 1);
      this.pendingSpace = null;
    } else {
      after.insertData(0, " ");
      placeCaret(after, 1);
      this.pendingSpace = { node: after, offset: 1 };
    }
    this.close();
    this.apart();
    this.sync();
    this.apart();
  };

  // --- wiring -------------------------------------------------------------------------------

  function attach(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var fields = Array.prototype.slice.call(scope.querySelectorAll(SELECTOR));
    if (scope.matches && scope.matches(SELECTOR)) fields.push(scope);
    fields.forEach(function (field) {
      if (field.dataset.mentions === "on") return;
      field.dataset.mentions = "on";
      field.mentionEditor = new Editor(field);
    });
  }

  // htmx swapped a form out: its menu (kept in <body>, above everything) goes too.
  document.addEventListener("htmx:afterSettle", function (event) {
    attach(event.target);
    document.querySelectorAll("ul.mention-menu").forEach(function (menu) {
      if (!document.getElementById(menu.id.replace(/-menu$/, ""))) menu.remove();
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { attach(document); });
  } else {
    attach(document);
  }
  window.crmMentions = { attach: attach };
})();
