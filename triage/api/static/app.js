// triage: players that start at the moment that matched, waveforms to scrub, keyframes to jump by, duplicates
// played in step, jobs' progress. Keyboard handling lives in keys.js. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function playerIn(scope) { return scope ? scope.querySelector("video, audio") : null; }
  function scopeOf(el) { return el.closest(".side") || el.closest("article.card") || el.closest("main") || document; }

  // Seek a player (once it knows its length) and, when asked, play.
  function seek(player, start, play) {
    var go = function () {
      if (Math.abs(player.currentTime - start) > 0.25) player.currentTime = start;
      if (play) player.play().catch(function () {});
    };
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  }
  window.triageSeek = seek;

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".play-from");
    if (!button) return;
    var player = playerIn(scopeOf(button));
    if (player) seek(player, parseFloat(button.dataset.start || "0"), true);
  });

  // A note written while a player has a position records it: the label says when, and can be unticked.
  function noteMoment(player) {
    var card = player.closest("article.card");
    var box = card && card.querySelector(".note .at");
    if (!box) return;
    var t = player.currentTime;
    if (!(t > 0)) return;
    var input = box.querySelector("input");
    input.value = t.toFixed(2);
    var whole = Math.floor(t);
    box.querySelector(".when").textContent = Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
    box.hidden = false;
    if (!box.dataset.touched) input.checked = true;
  }
  document.addEventListener("change", function (event) {
    var box = event.target.closest(".note .at");
    if (box) box.dataset.touched = "1";
  });
  ["pause", "seeked"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      if (event.target.matches && event.target.matches("video, audio")) noteMoment(event.target);
    }, true);
  });

  // Waveforms drawn by wavesurfer.js from the peaks stored at ingest, playing through the card's own <audio>;
  // a click seeks, the matched moment is marked.
  function waveform(box) {
    if (box.dataset.ready || !window.WaveSurfer) return;
    var player = playerIn(scopeOf(box));
    var peaks = JSON.parse(box.dataset.peaks || "[]");
    var duration = parseFloat(box.dataset.duration || "0");
    if (!player || !peaks.length || !duration) return;
    box.dataset.ready = "1";
    box.textContent = "";
    var regions = window.WaveSurfer.Regions ? window.WaveSurfer.Regions.create() : null;
    var ws = window.WaveSurfer.create({
      container: box, media: player, peaks: [peaks], duration: duration, height: 56, normalize: true,
      waveColor: "#7d9bcf", progressColor: "#0a58ca", cursorColor: "#1d1d1f", barWidth: 2, barGap: 1,
      dragToSeek: true, plugins: regions ? [regions] : []
    });
    var start = parseFloat(box.dataset.start || "0"), end = parseFloat(box.dataset.end || "0");
    // mark the moment unless it is (nearly) the whole piece: then there is nothing to point at
    if (regions && (start > 0 || end > start) && (end - start) < 0.9 * duration) {
      ws.on("ready", function () {
        regions.addRegion({ start: start, end: Math.max(end, start + 0.15), color: "rgba(194, 65, 12, 0.10)",
                            drag: false, resize: false });
      });
    }
    ws.on("interaction", function () { player.play().catch(function () {}); });  // a click plays from there
    box.setAttribute("aria-hidden", "true");  // the <audio> controls below are the accessible player
  }

  function startAtMoments(root) {
    root.querySelectorAll("video[data-start], audio[data-start]").forEach(function (p) {
      var start = parseFloat(p.dataset.start || "0");
      if (start > 0 && !p.dataset.sought) { p.dataset.sought = "1"; seek(p, start, false); }
    });
  }

  // Duplicates: play both sides of a pair in step, the copy muted; seeking one seeks the other.
  function pairPlayers(pair) {
    return Array.prototype.slice.call(pair.querySelectorAll(".side")).map(playerIn).filter(Boolean);
  }
  function playBoth(pair) {
    var players = pairPlayers(pair);
    if (players.length < 2) return;
    var first = players[0], second = players[1];
    if (!first.paused) { first.pause(); second.pause(); return; }
    second.muted = true;
    seek(second, first.currentTime, true);
    first.play().catch(function () {});
  }
  window.triagePlayBoth = playBoth;
  function syncPair(pair) {
    if (pair.dataset.synced) return;
    var players = pairPlayers(pair);
    if (players.length < 2) return;
    pair.dataset.synced = "1";
    var busy = false;
    players.forEach(function (p, i) {
      var other = players[1 - i];
      p.addEventListener("seeked", function () {
        if (busy || Math.abs(other.currentTime - p.currentTime) < 0.3) return;
        busy = true; other.currentTime = p.currentTime; setTimeout(function () { busy = false; }, 50);
      });
      p.addEventListener("pause", function () { if (!other.paused) other.pause(); });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".play-both");
    if (button) playBoth(button.closest(".pair"));
  });

  // A search says it is working while the next page loads.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form.search")) event.target.setAttribute("aria-busy", "true");
  });

  // Keep unfinished jobs' progress bars moving without a reload: poll each one until it ends.
  function describe(job) {
    var text = job.kind + " · " + job.status + " · " + job.done + "/" + job.total;
    if (job.eta_s !== null && job.eta_s !== undefined) text += " · about " + Math.round(job.eta_s) + " s left";
    return text;
  }
  function follow(el) {
    fetch("/api/jobs/" + el.dataset.job, { credentials: "same-origin" })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (job) {
        if (!job) return;
        el.querySelector("span").textContent = describe(job);
        var bar = el.querySelector("progress");
        bar.max = job.total || 1;
        bar.value = job.done;
        el.dataset.status = job.status;
        if (job.status === "queued" || job.status === "running") setTimeout(function () { follow(el); }, 2000);
      })
      .catch(function () {});
  }

  function setUp(root) {
    startAtMoments(root);
    root.querySelectorAll(".wave[data-peaks]").forEach(waveform);
    root.querySelectorAll(".pair").forEach(syncPair);
    root.querySelectorAll(".job[data-job]").forEach(function (el) {
      if (!el.dataset.followed && (el.dataset.status === "queued" || el.dataset.status === "running")) {
        el.dataset.followed = "1"; follow(el);
      }
    });
  }
  // htmx calls onLoad for the page and for every piece of it swapped in later.
  if (window.htmx) window.htmx.onLoad(setUp); else setUp(document);
})();
