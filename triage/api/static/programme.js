// triage: the programme workbench (programme.html) and the shortlist cards' "add to programme" control.
// Reorder by keyboard (Alt+Up/Down on a piece) or by drag, set in and out points from the player (i, o), play the
// cut, follow a render. Every form works without this file; it only keeps the curator's place and says what happened.
(function () {
  "use strict";
  var body = document.body;
  var announcer = document.getElementById("announce");
  var storeKey = "triage:programme:" + (body.dataset.callout || "");

  function say(text) {
    if (!announcer || !text) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 30);
  }
  function focusOn(id) {
    var el = id && document.getElementById(id);
    if (!el) return false;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    return true;
  }

  // A refusal (409, 422) from these forms carries its reason in words, placed beside what was acted on: show it
  // like any other answer rather than as a failed request.
  body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status !== 409 && status !== 422) return;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || !(elt.closest("#board") || elt.closest("[data-inline-errors]") || elt.closest("#render"))) return;
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });

  // After a change to the programme: the server says where the focus goes and what to announce.
  body.addEventListener("triage:programme", function (event) {
    say(event.detail.say);
    if (!focusOn(event.detail.focus)) focusOn("running-order");
  });

  // Links and forms that swap the board say where the focus goes next (data-focus-after).
  var pending = null;
  body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var wants = elt && elt.closest && elt.closest("[data-focus-after]");
    pending = wants ? wants.dataset.focusAfter : pending;
  });
  body.addEventListener("htmx:afterSettle", function () {
    if (pending) { focusOn(pending); pending = null; }
  });

  // ---- the running order: Alt+Up / Alt+Down on a piece, and drag and drop -----------------------------------
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var slot = event.target.closest && event.target.closest("li.slot");
    if (!slot || event.target.matches("textarea, select")) return;
    event.preventDefault();
    var button = slot.querySelector(event.key === "ArrowUp" ? ".move-up" : ".move-down");
    if (button && !button.disabled) button.click();
    else say(event.key === "ArrowUp" ? "Already first" : "Already last");
  });

  var dragged = null, before = "";
  function order(list) {
    return Array.prototype.map.call(list.querySelectorAll("li.slot"), function (li) { return li.dataset.sid; }).join(",");
  }
  document.addEventListener("dragstart", function (event) {
    var slot = event.target.closest && event.target.closest("li.slot");
    if (!slot || event.target.closest("input, button, a, select, textarea, audio, video")) return;
    dragged = slot;
    before = order(slot.parentNode);
    slot.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", slot.dataset.sid);
  });
  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var over = event.target.closest && event.target.closest("li.slot");
    event.preventDefault();
    if (!over || over === dragged || over.parentNode !== dragged.parentNode) return;
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  function dropped() {
    if (!dragged) return;
    var slot = dragged, list = slot.parentNode;
    dragged = null;
    slot.classList.remove("dragging");
    var now = order(list);
    if (now === before) return;
    var form = document.getElementById("reorder");
    form.querySelector("[name=order]").value = now;
    form.querySelector("[name=focus]").value = slot.id;
    form.requestSubmit();
  }
  document.addEventListener("drop", function (event) { if (dragged) { event.preventDefault(); dropped(); } });
  document.addEventListener("dragend", dropped);

  // ---- the cut: in and out points from the player -----------------------------------------------------------
  function player() { return document.querySelector("#trim .cut-player"); }
  function setPoint(fieldId) {
    var p = player(), field = document.getElementById(fieldId);
    if (!p || !field) return;
    field.value = p.currentTime.toFixed(2);
    say((fieldId === "cut-in" ? "In" : "Out") + " point " + field.value + " seconds; save the cut to keep it");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".set-point");
    if (button) { setPoint(button.dataset.field); return; }
    if (event.target.closest(".play-cut")) {
      var p = player();
      if (!p) return;
      var start = parseFloat(document.getElementById("cut-in").value) || 0;
      var end = parseFloat(document.getElementById("cut-out").value) || 0;
      if (!p.paused) { p.pause(); return; }
      window.triageSeek(p, start, true);
      var stop = function () { if (end > start && p.currentTime >= end) { p.pause(); p.removeEventListener("timeupdate", stop); } };
      p.addEventListener("timeupdate", stop);
    }
  });
  if (body.dataset.page === "programme") {
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.matches && event.target.matches("input, select, textarea")) return;
      if (event.key === "i") { event.preventDefault(); setPoint("cut-in"); }
      if (event.key === "o") { event.preventDefault(); setPoint("cut-out"); }
    });
  }

  // ---- the render: say when it is done ----------------------------------------------------------------------
  var renderStatus = null;
  body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "render-state") renderStatus = event.detail.target.dataset.status;
  });
  body.addEventListener("htmx:afterSettle", function () {
    var now = document.getElementById("render-state");
    if (!now || renderStatus === null) return;
    var was = renderStatus;
    renderStatus = null;
    if (was === now.dataset.status) return;
    if (now.dataset.status === "done") say("The render is done: its files are listed under Last render");
    else if (now.dataset.status === "failed") say("The render failed");
    else if (now.dataset.status === "queued") say("Render queued");
  });

  // ---- shortlist cards: the programme chosen last is remembered, per call-out --------------------------------
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("select.programme-pick")); }
  function choose(value) {
    picks().forEach(function (s) { if (Array.prototype.some.call(s.options, function (o) { return o.value === value; })) s.value = value; });
  }
  try { var last = window.localStorage.getItem(storeKey); if (last) choose(last); } catch (e) { /* storage off */ }
  document.addEventListener("change", function (event) {
    if (!event.target.matches("select.programme-pick")) return;
    choose(event.target.value);
    try { window.localStorage.setItem(storeKey, event.target.value); } catch (e) { /* storage off */ }
  });
  body.addEventListener("triage:added", function (event) { say(event.detail.say); });
})();
