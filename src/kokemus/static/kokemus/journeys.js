/* Journey editor: focus after htmx updates, 422 form errors, drag and drop reordering.
 * Progressive enhancement: every action also works as a plain form post, and every move
 * can be made with the keyboard through the cards' move buttons. */
(function () {
  "use strict";

  function focusFromMarker() {
    var marked = document.querySelectorAll("[data-focus]");
    for (var i = 0; i < marked.length; i++) {
      var id = marked[i].getAttribute("data-focus");
      marked[i].removeAttribute("data-focus");
      if (!id) { continue; }
      var el = document.getElementById(id);
      if (el) { el.focus(); return true; }
    }
    return false;
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    // Validation errors come back as 422 with the form re-rendered: show them.
    if (evt.detail.xhr && evt.detail.xhr.status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (focusFromMarker()) { return; }
    var editing = document.querySelector(".is-editing input:not([type=hidden]), .is-editing select");
    if (editing && !editing.closest("[data-focused]")) {
      var box = editing.closest(".is-editing");
      box.setAttribute("data-focused", "1");
      editing.focus();
    }
  });

  /* Drag and drop (HTML5): drop a card before another card or at the end of a stage. */
  var dragged = null;

  function cardAfter(list, y) {
    var cards = list.querySelectorAll(".tp-card:not(.is-dragging)");
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return cards[i]; }
    }
    return null;
  }

  function clearMarks() {
    document.querySelectorAll(".tp-list.is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
  }

  document.addEventListener("dragstart", function (evt) {
    var card = evt.target.closest && evt.target.closest(".tp-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("is-dragging");
    evt.dataTransfer.effectAllowed = "move";
    evt.dataTransfer.setData("text/plain", card.getAttribute("data-touchpoint-id"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    dragged = null;
    clearMarks();
  });

  document.addEventListener("dragover", function (evt) {
    if (!dragged) { return; }
    var list = evt.target.closest && evt.target.closest(".tp-list");
    if (!list) { return; }
    evt.preventDefault();
    evt.dataTransfer.dropEffect = "move";
    clearMarks();
    list.classList.add("is-drop-target");
    var after = cardAfter(list, evt.clientY);
    if (after) { list.insertBefore(dragged, after); } else { list.appendChild(dragged); }
  });

  document.addEventListener("drop", function (evt) {
    if (!dragged) { return; }
    var list = evt.target.closest && evt.target.closest(".tp-list");
    if (!list) { return; }
    evt.preventDefault();
    var card = dragged;
    var cards = Array.prototype.slice.call(list.querySelectorAll(".tp-card"));
    var position = cards.indexOf(card);
    clearMarks();
    if (!window.htmx) { return; }
    window.htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card,
      target: "#journey-board",
      swap: "outerHTML",
      values: { stage: list.getAttribute("data-stage-id"), position: String(position) }
    });
  });
})();
