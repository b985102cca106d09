// Start every player at the moment that earned it its place, and let "play from" buttons seek.
(function () {
  function playerFor(el) {
    var scope = el.closest("article") || document;
    return scope.querySelector("video, audio");
  }
  function seek(player, start, play) {
    var go = function () {
      if (Math.abs(player.currentTime - start) > 0.25) player.currentTime = start;
      if (play) player.play().catch(function () {});
    };
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  }
  document.querySelectorAll("video[data-start], audio[data-start]").forEach(function (p) {
    var start = parseFloat(p.dataset.start || "0");
    if (start > 0) seek(p, start, false);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".play-from");
    if (!button) return;
    var player = playerFor(button);
    if (player) seek(player, parseFloat(button.dataset.start || "0"), true);
  });
})();
