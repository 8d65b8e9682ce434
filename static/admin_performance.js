// /admin/performance charts (uPlot, vendored): data from the page's own URL as JSON, refreshed.
(function () {
  "use strict";
  var root = document.getElementById("perf-charts");
  if (!root || !window.uPlot) return;
  var source = root.dataset.source;
  var refreshMs = 1000 * (parseInt(root.dataset.refreshSeconds, 10) || 10);
  var select = document.getElementById("endpoint-select");
  var plots = {};
  // Samples taken by this page; the empty first point gives the axis a 10-minute span from the start.
  var queue = { x: [Date.now() / 1000 - 600], y: [null] };
  var latest = null;

  function width(el) { return Math.max(240, el.clientWidth); }

  function options(el, label, series, yRange) {
    series.forEach(function (s) { s.points = { show: true, size: 4 }; });
    return {
      width: width(el), height: 220,
      scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
      axes: [{ label: "time (UTC)" }, { label: label, size: 60 }],
      series: [{ label: "time" }].concat(series),
      legend: { live: false },
    };
  }

  // One chart per container: created on first data, then only fed new data.
  function draw(id, label, series, data, yRange) {
    var el = document.getElementById(id);
    if (!el) return;
    if (!plots[id]) {
      el.textContent = "";
      plots[id] = new uPlot(options(el, label, series, yRange), data, el);
      window.Broadsheet = window.Broadsheet || {};
      (window.Broadsheet.charts = window.Broadsheet.charts || {})[id] = plots[id];
    } else {
      plots[id].setData(data);
    }
  }

  function fillSelect(names) {
    var chosen = select.value;
    var current = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (current.join("\n") !== names.join("\n")) {
      select.textContent = "";
      names.forEach(function (name) {
        var option = document.createElement("option");
        option.value = option.textContent = name;
        select.appendChild(option);
      });
    }
    if (names.indexOf(chosen) >= 0) {
      select.value = chosen;
    } else {  // the busiest named route ("(no route)" is 404s and the like)
      var named = names.filter(function (n) { return n.charAt(0) !== "("; });
      if (named.length) select.value = named[0];
    }
  }

  function drawLatency() {
    var charts = latest.charts;
    var name = select.value;
    var series = charts.endpoints[name] || { p50_ms: [], p99_ms: [] };
    if (plots["chart-latency"] && plots["chart-latency"].series[1].label !== name + " p50") {
      plots["chart-latency"].destroy();
      delete plots["chart-latency"];
    }
    draw("chart-latency", "ms", [
      { label: name + " p50", stroke: "#2b6cb0", width: 2, spanGaps: false },
      { label: name + " p99", stroke: "#c53030", width: 2, dash: [6, 4], spanGaps: false },
    ], [charts.x, series.p50_ms, series.p99_ms]);
  }

  function render(data) {
    if (!data || !data.charts) return;
    latest = data;
    var charts = data.charts;
    fillSelect(Object.keys(charts.endpoints));
    if (select.options.length) drawLatency();
    draw("chart-hits", "% hits", [{ label: "hit ratio", stroke: "#2f855a", width: 2 }], [charts.x, charts.hit_ratio_pct], [0, 100]);
    draw("chart-requests", "requests", [{ label: "requests", stroke: "#2b6cb0", fill: "rgba(43,108,176,.15)" }],
         [charts.x, charts.requests]);
    draw("chart-tasks", "tasks", [{ label: "tasks done", stroke: "#6b46c1", fill: "rgba(107,70,193,.15)" }],
         [charts.x, charts.tasks]);
    if (data.queue_depth !== null && data.queue_depth !== undefined) {
      queue.x.push(Date.now() / 1000);
      queue.y.push(data.queue_depth);
      document.getElementById("queue-depth").textContent = data.queue_depth;
    }
    draw("chart-queue", "messages", [{ label: "queue depth", stroke: "#b7791f", width: 2 }], [queue.x, queue.y]);
    if (data.cache_hit_ratio !== null) {
      document.getElementById("hit-ratio").textContent = (100 * data.cache_hit_ratio).toFixed(1) + "%";
    }
  }

  function load() {
    return fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(render)
      .catch(function () { /* keep the last charts; try again at the next tick */ });
  }

  select.addEventListener("change", function () { if (latest) drawLatency(); });
  window.addEventListener("resize", function () {
    Object.keys(plots).forEach(function (id) {
      plots[id].setSize({ width: width(document.getElementById(id)), height: 220 });
    });
  });
  load();
  setInterval(function () { if (!document.hidden) load(); }, refreshMs);
})();
