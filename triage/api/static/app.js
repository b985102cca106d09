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

// Keep unfinished jobs' progress bars moving without a reload: poll each one until it ends.
(function () {
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
  document.querySelectorAll(".job[data-job]").forEach(function (el) {
    if (el.dataset.status === "queued" || el.dataset.status === "running") follow(el);
  });
})();
