// triage: the pool map (issue 24). Every piece of a call-out as a dot on one <canvas>: coloured by sub-theme, sized
// by score, copies joined by a thin line, decided pieces ringed or crossed. The dots are drawn once to an offscreen
// canvas; hovering, focusing and selecting only copy that picture back and draw their highlights on top. A grid of
// cells finds the dot under the pointer. A drag selects with a box or a freehand lasso; a finger scrolls the page
// unless "Select by touch" is on. Keyboard: arrows walk to the nearest dot that way, Space selects, Enter opens,
// Escape clears the selection; the focused dot is announced. A hidden table lists the dots for screen readers.
// While the server lays a large pool out again (status "updating"), the last layout is drawn, the pieces it lacks
// as hollow dots near their sub-theme, and the page asks again until the layout is done.
(function () {
  "use strict";
  var canvas = document.getElementById("map-canvas");
  if (!canvas) return;
  var frame = document.getElementById("map-frame");
  var tip = document.getElementById("map-tip");
  var status = document.getElementById("map-status");
  var announcer = document.getElementById("announce");
  var picked = document.getElementById("picked");
  var pickedCount = document.getElementById("picked-count");
  var pickedEmpty = document.getElementById("picked-empty");
  var pickedActions = document.getElementById("picked-actions");
  var legend = document.getElementById("map-clusters");
  var decideForm = document.getElementById("picked-decide");
  var sids = document.getElementById("picked-sids");
  var table = document.querySelector("#map-table tbody");
  var started = performance.now();

  // Sub-theme colours: twelve hues told apart at a glance (labels are ink on white, not these colours).
  var PALETTE = ["#1f77b4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#d62728",
                 "#17a2b8", "#8c564b", "#b07cc6", "#4d4d4d"];
  var NO_CLUSTER = "#8c959f";
  var MARK = { shortlisted: "#116329", starred: "#7d4e00", rejected: "#a40e26" };
  var CELL = 24;  // CSS pixels per cell of the hit-testing grid

  var data = null, points = [], byId = {}, px = null, py = null, radius = null;
  var base = null, ctx = canvas.getContext("2d"), ratio = 1, width = 0, height = 0;
  var grid = {}, hover = -1, focus = -1, selected = new Set(), drag = null, tap = null;
  var tool = "box", touchSelect = false;
  var touchButton = document.getElementById("map-touch");

  function say(text) {
    if (!announcer || !text) return;
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 30);
  }

  function colour(p) { return p.cluster === null || p.cluster === undefined ? NO_CLUSTER : PALETTE[p.cluster % PALETTE.length]; }
  function decided(p) { return p.decision && p.decision !== "unrated" ? p.decision : null; }
  function score(p) { return p.score === null || p.score === undefined ? "no score" : "score " + p.score.toFixed(2); }
  function name(p) { return p.title || p.external_id || p.submission_id; }
  function describe(p) {
    return name(p) + (p.contributor ? ", by " + p.contributor : "") + "; " + score(p) +
      (p.cluster_label ? "; " + p.cluster_label : "") + "; " + (decided(p) || "undecided");
  }
  function cardLink(p) { return "/submissions/" + encodeURIComponent(p.submission_id); }

  // ---- layout: data coordinates to CSS pixels, keeping the projection's proportions -------------------------
  function place() {
    var box = frame.getBoundingClientRect();
    width = Math.max(200, Math.floor(box.width));
    height = Math.max(240, Math.round(Math.min(window.innerHeight * 0.72, width * 0.72)));
    ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
    canvas.style.width = "100%"; canvas.style.height = height + "px";
    var n = points.length, minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity, i;
    for (i = 0; i < n; i++) {
      var p = points[i];
      if (p.x < minX) minX = p.x; if (p.x > maxX) maxX = p.x;
      if (p.y < minY) minY = p.y; if (p.y > maxY) maxY = p.y;
    }
    var pad = 28, spanX = maxX - minX || 1, spanY = maxY - minY || 1;
    var scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
    var offX = (width - scale * spanX) / 2, offY = (height - scale * spanY) / 2;
    var shrink = n > 2000 ? 0.55 : n > 500 ? 0.75 : 1;  // a crowd of dots: smaller ones
    px = new Float32Array(n); py = new Float32Array(n); radius = new Float32Array(n);
    grid = {};
    for (i = 0; i < n; i++) {
      var q = points[i];
      px[i] = n === 1 ? width / 2 : offX + (q.x - minX) * scale;
      py[i] = n === 1 ? height / 2 : offY + (maxY - q.y) * scale;  // up is up
      radius[i] = shrink * (3 + 6 * Math.max(0, Math.min(1, q.score || 0)));
      var key = Math.floor(px[i] / CELL) + "," + Math.floor(py[i] / CELL);
      (grid[key] || (grid[key] = [])).push(i);
    }
    data.clusters.forEach(function (c) {
      c.sx = n === 1 ? width / 2 : offX + (c.x - minX) * scale;
      c.sy = n === 1 ? height / 2 : offY + (maxY - c.y) * scale;
    });
  }

  // ---- the picture, drawn once -------------------------------------------------------------------------------
  function drawMark(g, p, x, y, r) {
    var d = decided(p);
    if (!d || !MARK[d]) return;
    g.strokeStyle = MARK[d];
    if (d === "rejected") {
      var s = r + 2.5;
      g.lineWidth = 1.8;
      g.beginPath(); g.moveTo(x - s, y - s); g.lineTo(x + s, y + s); g.moveTo(x + s, y - s); g.lineTo(x - s, y + s); g.stroke();
      return;
    }
    g.lineWidth = 1.8;
    g.beginPath(); g.arc(x, y, r + 2.5, 0, 2 * Math.PI); g.stroke();
    if (d === "starred") { g.lineWidth = 1.2; g.beginPath(); g.arc(x, y, r + 5, 0, 2 * Math.PI); g.stroke(); }
  }

  function overlaps(a, b) { return a.x < b.x + b.w + 4 && b.x < a.x + a.w + 4 && a.y < b.y + b.h + 3 && b.y < a.y + a.h + 3; }
  function label(g, text, x, y, edge, taken) {
    g.font = "600 13px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    var w = g.measureText(text).width + 12, h = 20;
    var lx = Math.max(2, Math.min(width - w - 2, x - w / 2)), ly = Math.max(2, Math.min(height - h - 2, y - h / 2));
    // a label never covers another: moved down (or up) by a line until it is clear
    for (var tries = 1, first = ly; tries < 40; tries++) {
      var spot = { x: lx, y: ly, w: w, h: h };
      if (!taken.some(function (t) { return overlaps(spot, t); })) break;
      var shift = Math.ceil(tries / 2) * (h + 4) * (tries % 2 ? 1 : -1);
      ly = Math.max(2, Math.min(height - h - 2, first + shift));
    }
    taken.push({ x: lx, y: ly, w: w, h: h });
    g.fillStyle = "rgba(255,255,255,0.94)";
    g.strokeStyle = edge; g.lineWidth = 1.5;
    g.beginPath();
    if (g.roundRect) g.roundRect(lx, ly, w, h, 6); else g.rect(lx, ly, w, h);
    g.fill(); g.stroke();
    g.fillStyle = "#1d1d1f";  // ink on white: 16:1
    g.textBaseline = "middle";
    g.fillText(text, lx + 6, ly + h / 2 + 0.5);
  }

  function drawBase() {
    base = document.createElement("canvas");
    base.width = canvas.width; base.height = canvas.height;
    var g = base.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = "#fff"; g.fillRect(0, 0, width, height);
    var n = points.length, i;
    // copies: a thin line from each to the piece kept for its group
    g.strokeStyle = "rgba(84,84,84,0.55)"; g.lineWidth = 1;
    g.beginPath();
    for (i = 0; i < n; i++) {
      var rep = points[i].group;
      if (!rep || rep === points[i].submission_id || byId[rep] === undefined) continue;
      var j = byId[rep];
      g.moveTo(px[i], py[i]); g.lineTo(px[j], py[j]);
    }
    g.stroke();
    // dots, the weakest first so the strong ones sit on top
    var order = points.map(function (_, k) { return k; });
    order.sort(function (a, b) { return (points[a].score || 0) - (points[b].score || 0); });
    g.globalAlpha = n > 2000 ? 0.8 : 0.9;
    order.forEach(function (k) {
      g.beginPath(); g.arc(px[k], py[k], radius[k], 0, 2 * Math.PI);
      if (points[k].placed === false) {  // not laid out yet: shown near its sub-theme, hollow
        g.fillStyle = "#fff"; g.fill(); g.strokeStyle = colour(points[k]); g.lineWidth = 1.6; g.stroke();
      } else { g.fillStyle = colour(points[k]); g.fill(); }
    });
    g.globalAlpha = 1;
    order.forEach(function (k) { drawMark(g, points[k], px[k], py[k], radius[k]); });
    var taken = [];
    data.clusters.slice().sort(function (a, b) { return b.size - a.size; }).forEach(function (c) {
      label(g, c.label, c.sx, c.sy, PALETTE[c.id % PALETTE.length], taken);
    });
  }

  // ---- highlights over the picture -----------------------------------------------------------------------------
  function ring(i, stroke, extra, lw) {
    ctx.strokeStyle = stroke; ctx.lineWidth = lw;
    ctx.beginPath(); ctx.arc(px[i], py[i], radius[i] + extra, 0, 2 * Math.PI); ctx.stroke();
  }
  function redraw() {
    if (!base) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(base, 0, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    selected.forEach(function (i) { ring(i, "#1d1d1f", 3.5, 2); });
    if (hover >= 0) { ring(hover, "#fff", 3, 4); ring(hover, "#1d1d1f", 3, 2); }
    if (focus >= 0 && document.activeElement === canvas) { ring(focus, "#fff", 5, 5); ring(focus, "#0a58ca", 5, 3); }
    if (drag && drag.moved) {
      ctx.fillStyle = "rgba(10,88,202,0.08)"; ctx.strokeStyle = "#0a58ca"; ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      if (drag.path) {
        ctx.beginPath();
        drag.path.forEach(function (q, k) { if (k) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); });
        ctx.closePath(); ctx.fill(); ctx.stroke();
      } else {
        var x = Math.min(drag.x0, drag.x1), y = Math.min(drag.y0, drag.y1);
        ctx.fillRect(x, y, Math.abs(drag.x1 - drag.x0), Math.abs(drag.y1 - drag.y0));
        ctx.strokeRect(x, y, Math.abs(drag.x1 - drag.x0), Math.abs(drag.y1 - drag.y0));
      }
      ctx.setLineDash([]);
    }
  }

  // ---- hit testing -------------------------------------------------------------------------------------------
  function at(x, y) {
    var cx = Math.floor(x / CELL), cy = Math.floor(y / CELL), best = -1, bestD = Infinity;
    for (var gx = cx - 1; gx <= cx + 1; gx++) {
      for (var gy = cy - 1; gy <= cy + 1; gy++) {
        var cell = grid[gx + "," + gy];
        if (!cell) continue;
        for (var k = 0; k < cell.length; k++) {
          var i = cell[k], dx = px[i] - x, dy = py[i] - y, d = dx * dx + dy * dy, reach = radius[i] + 4;
          if (d <= reach * reach && d < bestD) { best = i; bestD = d; }
        }
      }
    }
    return best;
  }
  function local(event) {
    var box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  function showTip(i) {
    if (i < 0) { tip.hidden = true; return; }
    var p = points[i];
    tip.textContent = "";
    var strong = document.createElement("strong"); strong.textContent = name(p); tip.appendChild(strong);
    var lines = [p.contributor ? "by " + p.contributor : "contributor unknown", score(p) + (decided(p) ? " · " + decided(p) : ""),
                 p.cluster_label || "no sub-theme"];
    lines.forEach(function (text) { var line = document.createElement("span"); line.textContent = text; tip.appendChild(line); });
    tip.hidden = false;
    var tx = px[i] + 14, ty = py[i] + 12, w = tip.offsetWidth, h = tip.offsetHeight;
    if (tx + w > width) tx = Math.max(0, px[i] - w - 14);
    if (ty + h > height) ty = Math.max(0, py[i] - h - 12);
    tip.style.left = tx + "px"; tip.style.top = ty + "px";
  }

  // ---- selection -----------------------------------------------------------------------------------------------
  function showSelection() {
    var chosen = Array.from(selected).sort(function (a, b) { return (points[b].score || 0) - (points[a].score || 0); });
    pickedCount.textContent = String(chosen.length);
    pickedEmpty.hidden = chosen.length > 0;
    pickedActions.hidden = chosen.length === 0;
    decideForm.hidden = chosen.length === 0;
    sids.textContent = "";
    chosen.forEach(function (i) {  // the workbench's own bulk form: every piece selected, not only those listed
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "sid"; input.value = points[i].submission_id;
      sids.appendChild(input);
    });
    // the workbench filtered to the selection (its page refuses more than 1,000: the bulk form above takes any number)
    var open = document.getElementById("picked-open");
    open.hidden = chosen.length > 1000;
    open.href = open.pathname + "?ids=" + encodeURIComponent(chosen.map(function (i) { return points[i].submission_id; }).join(","));
    picked.textContent = "";
    chosen.slice(0, 500).forEach(function (i) {
      var p = points[i], li = document.createElement("li"), a = document.createElement("a");
      a.href = cardLink(p); a.textContent = name(p);
      li.dataset.sid = p.submission_id;
      li.appendChild(a);
      var meta = document.createElement("span"); meta.className = "meta";
      meta.textContent = " " + score(p) + (p.cluster_label ? " · " + p.cluster_label : "");
      li.appendChild(meta);
      picked.appendChild(li);
    });
    if (chosen.length > 500) {
      var more = document.createElement("li"); more.className = "meta";
      more.textContent = "and " + (chosen.length - 500) + " more"; picked.appendChild(more);
    }
    redraw();
  }
  function clearSelection() {
    if (!selected.size) return;
    selected.clear(); showSelection(); say("Selection cleared");
  }
  function selectBox(d) {
    var x0 = Math.min(d.x0, d.x1), x1 = Math.max(d.x0, d.x1), y0 = Math.min(d.y0, d.y1), y1 = Math.max(d.y0, d.y1);
    if (!d.add) selected.clear();
    for (var i = 0; i < points.length; i++) {
      if (px[i] >= x0 && px[i] <= x1 && py[i] >= y0 && py[i] <= y1) selected.add(i);
    }
    showSelection();
    say(selected.size + (selected.size === 1 ? " piece" : " pieces") + " selected");
  }

  function inside(path, x, y) {
    // even-odd rule: a ray to the right crosses the outline an odd number of times from inside
    var hit = false;
    for (var k = 0, j = path.length - 1; k < path.length; j = k++) {
      var a = path[k], b = path[j];
      if ((a[1] > y) !== (b[1] > y) && x < (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]) + a[0]) hit = !hit;
    }
    return hit;
  }
  function selectLasso(d) {
    var path = d.path, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    path.forEach(function (q) { x0 = Math.min(x0, q[0]); x1 = Math.max(x1, q[0]); y0 = Math.min(y0, q[1]); y1 = Math.max(y1, q[1]); });
    if (!d.add) selected.clear();
    for (var i = 0; i < points.length; i++) {
      if (px[i] >= x0 && px[i] <= x1 && py[i] >= y0 && py[i] <= y1 && inside(path, px[i], py[i])) selected.add(i);
    }
    showSelection();
    say(selected.size + (selected.size === 1 ? " piece" : " pieces") + " selected");
  }

  // ---- the tools: box or lasso; a finger selects only when asked to ------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll(".map-tools [data-tool]"), function (button) {
    button.addEventListener("click", function () {
      tool = button.dataset.tool;
      Array.prototype.forEach.call(document.querySelectorAll(".map-tools [data-tool]"), function (other) {
        other.setAttribute("aria-pressed", String(other === button));
      });
    });
  });
  if (touchButton) {
    // only where there is a touch screen (asked once: a screenshot may emulate another pointer for a moment)
    touchButton.hidden = !(navigator.maxTouchPoints > 0 || window.matchMedia("(any-pointer: coarse)").matches);
    touchButton.addEventListener("click", function () {
      touchSelect = !touchSelect;
      touchButton.setAttribute("aria-pressed", String(touchSelect));
      canvas.classList.toggle("touch-select", touchSelect);  // CSS: touch-action none only now
      say(touchSelect ? "A drag on the map selects" : "A drag on the map scrolls the page");
    });
  }

  // ---- the pointer -------------------------------------------------------------------------------------------
  canvas.addEventListener("pointerdown", function (event) {
    if (!base || event.button !== 0) return;
    var p = local(event);
    if (event.pointerType === "touch" && !touchSelect) {  // the page scrolls: only a tap is ours
      tap = { x: p.x, y: p.y, id: event.pointerId };
      return;
    }
    drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y, moved: false, add: event.shiftKey, id: event.pointerId,
             path: tool === "lasso" ? [[p.x, p.y]] : null };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!base || (event.pointerType === "touch" && !drag)) return;  // a finger: taps only, no hover
    var p = local(event);
    if (drag) {
      drag.x1 = p.x; drag.y1 = p.y;
      if (drag.path) {
        var last = drag.path[drag.path.length - 1];
        if (Math.abs(p.x - last[0]) + Math.abs(p.y - last[1]) >= 2) drag.path.push([p.x, p.y]);
      }
      if (Math.abs(drag.x1 - drag.x0) + Math.abs(drag.y1 - drag.y0) > 5) drag.moved = true;
      if (drag.moved) { hover = -1; showTip(-1); redraw(); return; }
    }
    var found = at(p.x, p.y);
    if (found !== hover) { hover = found; showTip(found); redraw(); }
    canvas.style.cursor = found >= 0 ? "pointer" : "crosshair";
  });
  canvas.addEventListener("pointerup", function (event) {
    if (tap && tap.id === event.pointerId) {  // a tap: the first shows a dot's title, the second opens it
      var t = local(event), hit = Math.abs(t.x - tap.x) + Math.abs(t.y - tap.y) <= 10 ? at(tap.x, tap.y) : -1;
      tap = null;
      if (hit >= 0 && hit === hover) { window.location.href = cardLink(points[hit]); return; }
      hover = hit; showTip(hit); redraw();
      return;
    }
    if (!drag) return;
    var d = drag; drag = null;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    if (d.moved && d.path && d.path.length >= 3) { selectLasso(d); return; }
    if (d.moved) { selectBox(d); return; }
    var found = at(d.x0, d.y0);
    if (found < 0) return;
    if (event.shiftKey) { if (selected.has(found)) selected.delete(found); else selected.add(found); showSelection(); return; }
    window.location.href = cardLink(points[found]);
  });
  canvas.addEventListener("pointercancel", function () { drag = null; tap = null; redraw(); });
  canvas.addEventListener("pointerleave", function (event) {
    if (drag || event.pointerType === "touch") return;  // a finger always "leaves" as it lifts: the tip stays
    if (hover >= 0) { hover = -1; showTip(-1); redraw(); }
  });

  // ---- the keyboard ----------------------------------------------------------------------------------------------
  function start() {
    // the first arrow: the strongest piece
    var best = 0;
    for (var i = 1; i < points.length; i++) if ((points[i].score || 0) > (points[best].score || 0)) best = i;
    return best;
  }
  function walk(dx, dy) {
    if (focus < 0) return start();
    var best = -1, bestCost = Infinity, x = px[focus], y = py[focus];
    for (var i = 0; i < points.length; i++) {
      if (i === focus) continue;
      var ox = px[i] - x, oy = py[i] - y;
      var along = ox * dx + oy * dy, across = Math.abs(ox * dy - oy * dx);
      if (along <= 0 || across > along * 2) continue;  // ahead, within a wide cone
      var cost = along + 2 * across;
      if (cost < bestCost) { bestCost = cost; best = i; }
    }
    return best < 0 ? focus : best;
  }
  function focusOn(i, quiet) {
    focus = i;
    redraw();
    if (i < 0) return;
    showTip(i);
    hover = -1;
    if (!quiet) say(describe(points[i]) + (selected.has(i) ? "; selected" : ""));
  }
  var STEPS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  canvas.addEventListener("keydown", function (event) {
    if (!base || !points.length || event.altKey || event.ctrlKey || event.metaKey) return;
    var step = STEPS[event.key];
    if (step) {
      event.preventDefault();
      var next = walk(step[0], step[1]);
      if (next === focus) { say("No piece further that way"); return; }
      focusOn(next);
    } else if (event.key === "Enter" && focus >= 0) {
      event.preventDefault();
      window.location.href = cardLink(points[focus]);
    } else if (event.key === " " && focus >= 0) {
      event.preventDefault();
      if (selected.has(focus)) selected.delete(focus); else selected.add(focus);
      showSelection();
      say((selected.has(focus) ? "Selected: " : "Unselected: ") + name(points[focus]) + "; " + selected.size + " in all");
    } else if (event.key === "Escape") {
      if (selected.size) { event.preventDefault(); clearSelection(); }
    }
  });
  canvas.addEventListener("focus", function () {
    if (focus >= 0) focusOn(focus, true); else redraw();
    if (focus < 0 && points.length) say(points.length + " pieces on the map. Arrow keys move between them.");
  });
  canvas.addEventListener("blur", function () { showTip(-1); redraw(); });
  document.getElementById("picked-clear").addEventListener("click", clearSelection);

  // ---- the legend and the table for screen readers ------------------------------------------------------------
  function fillLegend() {
    legend.textContent = "";
    data.clusters.forEach(function (c) {
      var li = document.createElement("li"), swatch = document.createElement("span");
      swatch.className = "swatch"; swatch.style.background = PALETTE[c.id % PALETTE.length];
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(" " + c.label + " "));
      var n = document.createElement("span"); n.className = "meta"; n.textContent = "(" + c.size + ")"; li.appendChild(n);
      legend.appendChild(li);
    });
    if (!data.clusters.length) {
      var none = document.createElement("li"); none.className = "meta"; none.textContent = "No sub-themes yet"; legend.appendChild(none);
    }
  }
  function fillTable() {
    var order = points.map(function (_, k) { return k; });
    order.sort(function (a, b) { return (points[b].score || 0) - (points[a].score || 0); });
    var rows = document.createDocumentFragment();
    order.forEach(function (k) {
      var p = points[k], tr = document.createElement("tr"), th = document.createElement("th"), a = document.createElement("a");
      th.scope = "row"; a.href = cardLink(p); a.textContent = name(p); a.tabIndex = -1;  // read, not tabbed through
      th.appendChild(a); tr.appendChild(th);
      [p.contributor || "", p.cluster_label || "", p.score === null || p.score === undefined ? "" : p.score.toFixed(2),
       decided(p) || "undecided"].forEach(function (text) {
        var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    table.textContent = "";
    table.appendChild(rows);
    if (window.triageMap) window.triageMap.tabled = performance.now();
  }

  function count(n, one, many) { return n.toLocaleString("en") + " " + (n === 1 ? one : many); }
  function layoutNote(found) {
    if (found.status === "updating") {
      return " The layout is being updated" + (found.pending ? ": " + count(found.pending, "new piece is", "new pieces are") +
        " shown as hollow dots near their sub-theme until it is done." : ".");
    }
    return "";
  }

  var fetched = 0;
  function show(found) {
    fetched = performance.now();
    // a redraw after the layout was updated keeps the selection and the focused piece
    var keep = new Set(Array.from(selected).map(function (i) { return points[i].submission_id; }));
    var focusedId = focus >= 0 ? points[focus].submission_id : null;
    data = found;
    points = found.points || [];
    data.clusters = data.clusters || [];
    byId = {};
    points.forEach(function (p, i) { byId[p.submission_id] = i; });
    selected = new Set(); hover = -1; showTip(-1);
    keep.forEach(function (sid) { if (byId[sid] !== undefined) selected.add(byId[sid]); });
    focus = focusedId !== null && byId[focusedId] !== undefined ? byId[focusedId] : -1;
    fillLegend();
    if (!points.length) {
      status.textContent = found.status === "computing" ?
        "Laying out " + count(found.count, "piece", "pieces") + " for the first time: the map appears here when it is done " +
        "(a pool of thousands takes a minute or two)." :
        "No piece of this call-out is ready yet: the map fills in as pieces are processed.";
      frame.hidden = true;
      return;
    }
    frame.hidden = false;
    place();
    drawBase();
    redraw();
    var drawn = performance.now();
    window.triageMap = { loaded: started, fetched: fetched, drawn: drawn, tabled: 0, points: points, at: function (i) { return { x: px[i], y: py[i] }; },
                         focused: function () { return focus >= 0 ? points[focus].submission_id : null; },
                         selected: function () { return Array.from(selected).map(function (i) { return points[i].submission_id; }); },
                         hoverTime: function (moves) {
                           var t0 = performance.now();
                           for (var k = 0; k < moves; k++) { hover = k % points.length; redraw(); }
                           hover = -1; redraw();
                           ctx.getImageData(0, 0, 1, 1);  // the drawing really done, not only queued
                           return (performance.now() - t0) / moves;
                         } };
    requestAnimationFrame(function () { window.triageMap.painted = performance.now(); });  // the frame that shows it
    canvas.dataset.drawn = String(points.length);
    canvas.dataset.status = found.status || "ready";
    status.textContent = count(points.length, "piece", "pieces") + " in " +
      count(data.clusters.length, "sub-theme", "sub-themes") + "." + layoutNote(found);
    if (keep.size) showSelection();
    setTimeout(fillTable, 0);  // after the first picture
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    if (!data || !points.length) return;
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      var before = frame.getBoundingClientRect().width;
      if (Math.floor(before) === width) return;
      place(); drawBase(); hover = -1; showTip(-1); redraw();
    }, 120);
  });

  // The server answers at once; while it lays the pool out ("updating", "computing") it says when to ask again.
  function load() {
    var again = 0;
    fetch(canvas.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) {
        if (!reply.ok) {
          return reply.json().catch(function () { return {}; }).then(function (body) {
            throw new Error(typeof body.detail === "string" ? body.detail : reply.status + " " + reply.statusText);
          });
        }
        again = Math.min(60, Math.max(2, parseInt(reply.headers.get("Retry-After"), 10) || 5));
        return reply.json();
      })
      .then(function (found) {
        show(found);
        if (found.status && found.status !== "ready") setTimeout(load, again * 1000);
      })
      .catch(function (error) {
        status.textContent = "The map could not be drawn: " + error.message;
        status.classList.add("error");
      });
  }
  load();
})();
