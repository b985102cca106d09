// triage: a lineage edge's two players started together, each from its own matched moment (their times differ,
// so they are not kept in step like duplicates), the other side muted; pressed again while they play, both pause.
// The page works without this file: each player is cued to its range by its media fragment.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".play-matched");
    if (!button || !window.triageSeek) return;
    var sides = Array.prototype.slice.call(button.closest(".edge").querySelectorAll(".side"));
    var players = sides.map(function (side) { return side.querySelector("video, audio"); });
    if (players.some(function (p) { return p && !p.paused; })) {
      players.forEach(function (p) { if (p) p.pause(); });
      return;
    }
    players.forEach(function (player, i) {
      if (!player) return;
      player.muted = i > 0;
      window.triageSeek(player, parseFloat(sides[i].dataset.start || "0"), true);
    });
  });
})();
