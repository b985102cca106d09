// triage: a lineage edge's two players started together, each from its own matched moment (their times differ,
// so they are not kept in step like duplicates), the other side muted. The page works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".play-matched");
    if (!button || !window.triageSeek) return;
    var sides = button.closest(".edge").querySelectorAll(".side");
    Array.prototype.forEach.call(sides, function (side, i) {
      var player = side.querySelector("video, audio");
      if (!player) return;
      player.muted = i > 0;
      window.triageSeek(player, parseFloat(side.dataset.start || "0"), true);
    });
  });
})();
