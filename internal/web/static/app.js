// vinventory's page script: charts (uPlot, loaded on demand), confirmation
// of destructive forms, and job progress. Pages work without it: every
// table, filter and form is plain HTML.
(function () {
  "use strict";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function loadUPlot(done) {
    if (window.uPlot) { done(); return; }
    var src = document.querySelector("meta[name=uplot]").content;
    var s = document.createElement("script");
    s.src = src;
    s.onload = done;
    document.head.appendChild(s);
  }

  function drawCharts() {
    var els = document.querySelectorAll("[data-chart]");
    if (!els.length) return;
    loadUPlot(function () {
      var colours = [css("--theme_chart_1"), css("--theme_chart_2"), css("--theme_chart_3"), css("--theme_chart_4")];
      var axis = { stroke: css("--theme_text_weak"), grid: { stroke: css("--theme_border"), width: 1 }, ticks: { stroke: css("--theme_border") } };
      els.forEach(function (el) {
        var data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
        var series = [{}];
        data.series.forEach(function (name, i) {
          var s = { label: name, stroke: colours[i % colours.length], width: 2, spanGaps: false,
            value: function (u, v) { return v == null ? "–" : (Math.round(v * 100) / 100).toLocaleString() + (data.units ? " " + data.units : ""); } };
          if (data.bars) { s.paths = uPlot.paths.bars({ size: [0.7, 40] }); s.fill = colours[i % colours.length]; }
          series.push(s);
        });
        var width = Math.max(260, el.clientWidth);
        var plot = new uPlot({ width: width, height: 240, series: series, axes: [axis, axis], cursor: { drag: { x: false, y: false } } },
          [data.x].concat(data.y), el);
        new ResizeObserver(function () { plot.setSize({ width: Math.max(260, el.clientWidth), height: 240 }); }).observe(el);
      });
    });
  }

  // Forms with data-confirm ask before they are sent.
  document.addEventListener("submit", function (e) {
    var msg = e.target.dataset && e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Job rows with data-job-progress refresh until the job ends.
  function pollJobs() {
    document.querySelectorAll("[data-job-progress]").forEach(function (el) {
      var url = el.dataset.jobProgress;
      var tick = function () {
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (j) {
            if (!j) return;
            el.textContent = j.text;
            if (!j.done) setTimeout(tick, 2000);
          })
          .catch(function () {});
      };
      setTimeout(tick, 1000);
    });
  }

  function start() { drawCharts(); pollJobs(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
