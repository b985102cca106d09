// triage: the keyboard, in one place (hotkeys-js binds the keys and leaves text fields alone). The workbench:
// move between cards, decide, rate, note, play, select, undo. The duplicate review: move between pairs, rule, play
// both. After every action the focus stays where the curator works; what happened is announced for screen readers.
(function () {
  "use strict";
  var body = document.body;
  var page = body.dataset.page;
  var announcer = document.getElementById("announce");
  var dialog = document.getElementById("keys");

  function say(text) {
    if (!announcer || !text) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 30);  // a change, even when the words repeat
  }

  function openKeys() { if (dialog && !dialog.open) dialog.showModal(); }
  document.addEventListener("click", function (event) {
    if (event.target.closest(".keys-open")) openKeys();
  });
  if (!window.hotkeys) return;
  var hotkeys = window.hotkeys;
  hotkeys("shift+/,?", function (event) { event.preventDefault(); openKeys(); });

  // A list the keyboard walks (the cards, the duplicate pairs): the item worked on is remembered even while the
  // focus sits on one of its controls, and marked "current".
  function roving(selector) {
    var last = null, lastIndex = 0;  // the index too: a swap may replace the item itself
    var list = {
      all: function () { return Array.prototype.slice.call(document.querySelectorAll(selector)); },
      current: function () {
        var here = document.activeElement && document.activeElement.closest(selector);
        return here || (last && document.contains(last) ? last : null);
      },
      focus: function (item) {
        if (!item) return;
        item.focus({ preventScroll: true });
        item.scrollIntoView({ block: "nearest" });
      },
      step: function (by) {
        var all = list.all();
        if (!all.length) return;
        var at = all.indexOf(list.current());
        list.focus(all[at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + by))]);
      },
      index: function () { return lastIndex; },
      remember: function (item) { if (item) { last = item; lastIndex = Math.max(0, list.all().indexOf(item)); } }
    };
    document.addEventListener("focusin", function (event) {
      var item = event.target.closest && event.target.closest(selector);
      if (!item || item === last) return;
      if (last) last.classList.remove("current");
      list.remember(item);
      item.classList.add("current");
    });
    return list;
  }

  // ---- the workbench ----------------------------------------------------------------------------------------
  var cardList = roving("#cards article.card.result, article.piece");
  function cards() { return cardList.all().filter(function (c) { return !c.matches("article.piece"); }); }
  var current = cardList.current, focusCard = cardList.focus, step = cardList.step;
  function decisionOf(card) {
    var state = card.querySelector(".state");
    return state ? state.dataset.decision : "unrated";
  }
  function nextUndecided(from) {
    var all = cards();
    var at = all.indexOf(from);
    var after = all.slice(at + 1).concat(all.slice(0, Math.max(at, 0)));
    return after.find(function (c) { return decisionOf(c) === "unrated"; }) || null;
  }
  function press(form, value) {
    // a click, not requestSubmit: htmx sends the value of the button that was clicked
    var button = form && form.querySelector('button[value="' + value + '"]');
    if (button) button.click();
  }

  // selection, for deciding several cards at once
  var bulk = document.getElementById("bulk");
  var anchor = null;
  function picks() { return cards().filter(function (c) { var box = c.querySelector(".pick"); return box && box.checked; }); }
  function showSelection() {
    if (!bulk) return;
    var n = picks().length;
    bulk.classList.toggle("active", n > 0);
    bulk.querySelector(".n").textContent = String(n);
    cards().forEach(function (c) { var box = c.querySelector(".pick"); c.classList.toggle("selected", !!(box && box.checked)); });
  }
  function toggle(card, on) {
    var box = card && card.querySelector(".pick");
    if (!box) return;
    box.checked = on === undefined ? !box.checked : on;
    anchor = card;
    showSelection();
  }
  function clearSelection() {
    cards().forEach(function (c) { var box = c.querySelector(".pick"); if (box) box.checked = false; });
    showSelection();
  }
  document.addEventListener("change", function (event) { if (event.target.matches(".pick")) showSelection(); });
  document.addEventListener("click", function (event) {
    if (event.target.closest(".clear-selection")) { clearSelection(); return; }
    var card = event.target.closest("#cards article.card.result");
    if (!card || !event.shiftKey || event.target.closest("button, a, input, video, audio, select")) return;
    event.preventDefault();
    var all = cards();
    if (anchor && document.contains(anchor)) {  // shift-click: the range from the last card picked
      var a = all.indexOf(anchor), b = all.indexOf(card);
      all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (c) { c.querySelector(".pick").checked = true; });
      anchor = card;
      showSelection();
    } else {
      toggle(card);
    }
  });

  function decide(decision) {
    var chosen = picks();
    if (chosen.length && bulk) { press(bulk, decision); return; }
    var card = current();
    if (card) press(card.querySelector("form.decide"), decision);
  }
  function rate(value) {
    var card = current();
    if (card) press(card.querySelector("form.vote"), value);
  }
  function playOrPause() {
    var card = current();
    var player = card && card.querySelector("video, audio");
    if (!player) return;
    if (!player.paused) { player.pause(); return; }
    var start = parseFloat(card.dataset.start || "0");
    var fresh = player.currentTime < 0.05 || player.ended;
    window.triageSeek(player, fresh ? start : player.currentTime, true);
  }
  function writeNote() {
    var card = current();
    if (!card) return;
    var player = card.querySelector("video, audio");
    if (player && !player.paused) player.pause();  // the note is about this moment: it records it
    var field = card.querySelector(".note input[name=text]");
    if (field) field.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var card = event.target.closest && event.target.closest("#cards article.card.result, article.piece");
    if (card && event.target.matches("input, select, textarea")) { event.preventDefault(); focusCard(card); }
  });

  if (page === "workbench" || page === "submission") {
    var keys = {
      "j,down": function () { step(1); }, "k,up": function () { step(-1); },
      s: function () { decide("shortlisted"); }, t: function () { decide("starred"); },
      x: function () { decide("rejected"); }, u: function () { decide("unrated"); },
      "1": function () { rate("1"); }, "2": function () { rate("2"); }, "3": function () { rate("3"); },
      "4": function () { rate("4"); }, "5": function () { rate("5"); }, "0": function () { rate("0"); },
      space: playOrPause, n: writeNote,
      o: function () { var c = current(); var a = c && c.querySelector("h3 a"); if (a) window.location.href = a.href; },
      "shift+x": function () { toggle(current()); },
      p: function () { var c = current(); var b = c && c.querySelector("form.add-to button"); if (b) b.click(); },
      z: function () { var b = document.querySelector("form.undo button"); if (b) b.click(); },
      "/": function () { var q = document.getElementById("q"); if (q) q.focus(); },
      esc: function () { if (picks().length) { clearSelection(); say("Selection cleared"); } }
    };
    Object.keys(keys).forEach(function (combo) {
      hotkeys(combo, function (event) {
        var on = document.activeElement;
        // space and arrows keep their own meaning on players, buttons and links
        if ((combo === "space" || combo.indexOf("down") >= 0) && on && on.matches("video, audio, button, a, summary")) return;
        if (page === "submission" && /^(j|k|shift\+x|\/)/.test(combo)) return;
        if (page === "submission" && !current()) cardList.remember(document.querySelector("article.piece"));
        if (combo === "esc" && !picks().length) return;  // Esc keeps its own meaning (closing the keys' help)
        event.preventDefault();
        keys[combo]();
      });
    });
    var skip = document.querySelector(".skip");
    if (skip && page === "workbench") {
      skip.addEventListener("click", function (event) { event.preventDefault(); focusCard(cards()[0]); });
    }
  }

  // an action the server refused: say why, where a screen reader hears it and in sight
  body.addEventListener("htmx:responseError", function (event) {
    var reply = event.detail.xhr, text = reply.responseText || "";
    try { var data = JSON.parse(text); text = typeof data.detail === "string" ? data.detail : "the request was not valid"; }
    catch (e) { var found = /<p class="error"[^>]*>([^<]*)</.exec(text); text = found ? found[1] : reply.statusText; }
    say("Not saved: " + text);
    var box = document.getElementById("problem");
    if (box) { box.textContent = "Not saved: " + text; box.hidden = false; }
  });
  body.addEventListener("htmx:sendError", function () { say("Not saved: the server cannot be reached"); });

  // what the server says an action did (HX-Trigger-After-Settle): announce it, and put the focus where work goes on
  body.addEventListener("triage:decided", function (event) {
    var card = document.getElementById("card-" + event.detail.sid);
    var next = card && page === "workbench" ? nextUndecided(card) : null;
    say(event.detail.say + (next ? "" : ". Every card on this page is decided."));
    focusCard(next || card);
  });
  body.addEventListener("triage:bulk", function (event) {
    clearSelection();
    say(event.detail.say);
    var first = document.getElementById("card-" + (event.detail.sids || [])[0]);
    focusCard(first && nextUndecided(first) || first);
  });
  body.addEventListener("triage:undone", function (event) {
    say(event.detail.say);
    var card = event.detail.sid && document.getElementById("card-" + event.detail.sid);
    if (card) focusCard(card);
  });
  body.addEventListener("triage:exemplar", function (event) {
    say(event.detail.say);
    var button = document.querySelector("#card-" + event.detail.sid + " .exemplar button");
    if (button) button.focus();
  });
  body.addEventListener("triage:noted", function (event) {
    say(event.detail.say);
    focusCard(document.getElementById("card-" + event.detail.sid));
  });

  // ---- the duplicate review ---------------------------------------------------------------------------------
  if (page !== "duplicates") return;
  var pairList = roving("article.pair");
  function rule(selector) {
    var pair = pairList.current();
    var button = pair && pair.querySelector(selector);
    if (button) button.click();
  }
  var ruling = {
    "j,down": function () { pairList.step(1); }, "k,up": function () { pairList.step(-1); },
    c: function () { rule(".rule-confirm"); }, x: function () { rule(".rule-apart"); },
    "2": function () { rule(".rule-keep"); }, z: function () { rule(".rule-undo"); },
    space: function () { var p = pairList.current(); if (p) window.triagePlayBoth(p); }
  };
  Object.keys(ruling).forEach(function (combo) {
    hotkeys(combo, function (event) {
      var on = document.activeElement;
      if ((combo === "space" || combo.indexOf("down") >= 0) && on && on.matches("video, audio, button, a")) return;
      event.preventDefault();
      ruling[combo]();
    });
  });
  var skipToPairs = document.querySelector(".skip");
  if (skipToPairs) {
    skipToPairs.addEventListener("click", function (event) { event.preventDefault(); pairList.focus(pairList.all()[0]); });
  }
  body.addEventListener("triage:ruled", function (event) {
    say(event.detail.say);
    var before = pairList.index();
    var target = document.getElementById(event.detail.focus);
    if (target && !target.matches("article.pair")) target = target.querySelector("article.pair");
    var all = pairList.all();
    pairList.focus(target || all[Math.min(before, all.length - 1)]);
    if (!all.length) { var review = document.getElementById("review"); if (review) review.focus(); }
  });
})();
