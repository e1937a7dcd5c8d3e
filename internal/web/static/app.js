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
      // The value axis grows with its longest label (e.g. 250,000 MB).
      var yAxis = Object.assign({}, axis, { size: function (u, values) {
        var n = 0;
        (values || []).forEach(function (v) { n = Math.max(n, String(v).length); });
        return Math.max(50, n * 7 + 20);
      } });
      els.forEach(function (el) {
        var data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
        var series = [{}];
        var ci = -1;
        data.series.forEach(function (name, i) {
          // A dashed series (a max line) takes its average's colour.
          var dashed = data.dash && data.dash[i];
          if (!dashed || ci < 0) ci++;
          var colour = colours[ci % colours.length];
          var s = { label: name, stroke: colour, width: dashed ? 1.5 : 2, spanGaps: false,
            value: function (u, v) { return v == null ? "–" : (Math.round(v * 100) / 100).toLocaleString() + (data.units ? " " + data.units : ""); } };
          if (dashed) s.dash = [6, 4];
          if (data.bars) { s.paths = uPlot.paths.bars({ size: [0.7, 40] }); s.fill = colour; }
          series.push(s);
        });
        var width = Math.max(260, el.clientWidth);
        var plot = new uPlot({ width: width, height: 240, series: series, axes: [axis, yAxis], cursor: { drag: { x: false, y: false } } },
          [data.x].concat(data.y), el);
        el._plot = plot;
        el._chart = data;
        new ResizeObserver(function () { plot.setSize({ width: Math.max(260, el.clientWidth), height: 240 }); }).observe(el);
      });
    });
  }

  // Utilisation range pickers: a range link fetches its data-api (the
  // /api/metrics read as the visitor) and redraws the section's charts
  // and figures in place; without script, or when the read fails, the
  // link loads the page with ?range=.
  function fmtFig(v, units) {
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }) + " " + units;
  }
  function redrawUtil(box, ans) {
    var byMetric = {};
    (ans.series || []).forEach(function (s) { byMetric[s.metric] = s; });
    var rows = [];
    box.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = el._chart, plot = el._plot;
      if (!c || !plot || !c.metrics) return;
      var xs = {};
      c.metrics.forEach(function (m) {
        (byMetric[m.metric] ? byMetric[m.metric].buckets : []).forEach(function (b) { xs[Date.parse(b.start) / 1000] = true; });
      });
      var x = Object.keys(xs).map(Number).sort(function (a, b) { return a - b; });
      var idx = {};
      x.forEach(function (t, i) { idx[t] = i; });
      var ys = c.metrics.map(function (m, i) {
        var y = x.map(function () { return null; });
        var last = null, peak = null;
        (byMetric[m.metric] ? byMetric[m.metric].buckets : []).forEach(function (b) {
          var v = b[m.stat] * m.scale;
          y[idx[Date.parse(b.start) / 1000]] = v;
          last = v;
          if (peak === null || v > peak) peak = v;
        });
        if (last !== null) rows.push([c.series[i], fmtFig(last, c.units), fmtFig(peak, c.units)]);
        return y;
      });
      c.x = x; c.y = ys;
      plot.setData([x].concat(ys));
    });
    var tbody = box.querySelector(".table-wrap tbody"); // not uPlot's legend table
    if (tbody) {
      tbody.textContent = "";
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        r.forEach(function (t, i) {
          var td = document.createElement("td");
          td.textContent = t;
          if (i > 0) td.className = "num";
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      if (!rows.length) {
        var tr = document.createElement("tr"), td = document.createElement("td");
        td.colSpan = 3; td.className = "empty"; td.textContent = "No points in this range.";
        tr.appendChild(td); tbody.appendChild(tr);
      }
    }
    return rows.length;
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("[data-util] a[data-range]");
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    var box = a.closest("[data-util]");
    if (!box.querySelector("[data-chart] canvas")) return; // nothing drawn: load the page
    e.preventDefault();
    var status = box.querySelector("[data-util-status]");
    status.textContent = "Loading " + a.textContent + "…";
    box.setAttribute("aria-busy", "true");
    fetch(a.dataset.api, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.json(); })
      .then(function (ans) {
        var n = redrawUtil(box, ans);
        box.querySelectorAll("a[data-range]").forEach(function (l) {
          if (l === a) l.setAttribute("aria-current", "true"); else l.removeAttribute("aria-current");
        });
        status.textContent = n ? "Showing the last " + a.textContent + "." : "No metrics in the last " + a.textContent + ".";
        box.removeAttribute("aria-busy");
        if (window.history && history.replaceState) history.replaceState(null, "", a.href);
      })
      .catch(function () { window.location.href = a.href; });
  });

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


  // Live updates: one EventSource on /stream per page that shows live
  // objects (a VM's fields, list rows, dashboard counters, collector
  // cards); when it fails repeatedly (or EventSource is missing) the page
  // polls the JSON reads under /live/json every 10 s instead. Everything
  // is written with textContent: names stay inert.
  var enc = encodeURIComponent;
  var entityPaths = { vm: "vms", host: "hosts", cluster: "clusters", datastore: "datastores", network: "networks", resource_pool: "resource-pools" };
  var idFields = { vm: "vm_id", host: "host_id", cluster: "cluster_id", datastore: "datastore_id", network: "network_id", resource_pool: "pool_id" };

  function fmtNum(v, digits) {
    return Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function powerCell(state) {
    if (!state) return document.createTextNode("–");
    var s = document.createElement("span");
    var cls = state === "poweredOn" ? "success" : state === "poweredOff" ? "neutral" : "warning";
    s.className = "badge " + cls;
    s.textContent = state === "poweredOn" ? "on" : state === "poweredOff" ? "off" : state;
    return s;
  }
  function linkCell(text, href) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }
  // cellContent renders field of row (entity e) as the server would.
  function cellContent(e, field, row) {
    var vc = row.vcenter, id = row[idFields[e]];
    switch (field) {
      case "power_state": return powerCell(row.power_state);
      case "vcpu_count": return document.createTextNode(fmtNum(row.vcpu_count, 0));
      case "ram_gb": return document.createTextNode(fmtNum(row.ram_mb / 1024, 1) + " GB");
      case "ram_gb_num": return document.createTextNode(fmtNum(row.ram_mb / 1024, 1));
      case "host": return row.host_id ? linkCell(row.host || row.host_id, "/hosts/" + enc(vc) + "/" + enc(row.host_id)) : document.createTextNode(row.host || "");
      case "resource_pool": return row.resource_pool_id ? linkCell(row.resource_pool || row.resource_pool_id, "/resource-pools/" + enc(vc) + "/" + enc(row.resource_pool_id)) : document.createTextNode(row.resource_pool || "");
      case "name":
        var name = row.name + (row.is_template ? " (template)" : "");
        return linkCell(name, "/" + entityPaths[e] + "/" + enc(vc) + "/" + enc(id));
    }
    return document.createTextNode(row[field] == null ? "" : String(row[field]));
  }
  function setCell(el, e, row) {
    var field = el.dataset.live;
    var node = cellContent(e, field, row);
    if (field === "name" && el.tagName === "DD") node = document.createTextNode(row.name);
    var before = el.textContent + "|" + (el.firstElementChild ? el.firstElementChild.className : "");
    var after = node.textContent + "|" + (node.nodeType === 1 ? node.className : "");
    if (before === after) return false;
    el.replaceChildren(node);
    return true;
  }
  function flash(el) {
    el.classList.remove("live-flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("live-flash");
    clearTimeout(el._liveFlash);
    el._liveFlash = setTimeout(function () { el.classList.remove("live-flash"); }, 2000);
  }
  // applyRow updates what the page shows of one object; row is null for
  // a delete.
  function applyRow(e, vc, id, row, op) {
    var main = document.getElementById("main");
    var obj = main && main.dataset.liveObject ? JSON.parse(main.dataset.liveObject) : null;
    if (obj && obj.entity === e && obj.vcenter === vc && obj.id === id && row) {
      main.querySelectorAll("dd[data-live]").forEach(function (dd) { if (setCell(dd, e, row)) flash(dd); });
    }
    document.querySelectorAll('table[data-live-entity="' + e + '"] tr[data-key="' + CSS.escape(vc + "/" + id) + '"]').forEach(function (tr) {
      var changed = false;
      if (row) tr.querySelectorAll("td[data-live]").forEach(function (td) { if (setCell(td, e, row)) changed = true; });
      if (op === "delete") { tr.classList.add("live-gone"); changed = true; }
      if (changed || op) flash(tr);
    });
  }
  var countsTimer = null;
  function refreshCounts() {
    if (!document.querySelector("[data-live-count]") || countsTimer) return;
    countsTimer = setTimeout(function () {
      countsTimer = null;
      var set = function (name, q) {
        getJSON("/live/json/vms?limit=1&count=true&template=false" + q, function (j) {
          var el = document.querySelector('[data-live-count="' + name + '"]');
          if (el && j && j.total != null && el.textContent !== fmtNum(j.total, 0)) { el.textContent = fmtNum(j.total, 0); flash(el); }
        });
      };
      set("vms", "");
      set("powered_on", "&power_state=poweredOn");
    }, 500);
  }
  function applyCollector(c) {
    document.querySelectorAll("[data-collector]").forEach(function (card) {
      if (card.dataset.collector !== c.endpoint) return;
      var b = card.querySelector("h3 .badge");
      if (!b) return;
      var state = "ok", cls = "success";
      if (!c.enabled) { state = "disabled"; cls = "neutral"; }
      else if (!c.last_attempt) { state = "waiting"; cls = "neutral"; }
      else if (c.consecutive_failures > 0) { state = "failing (" + c.consecutive_failures + " in a row)"; cls = "danger"; }
      if (b.textContent !== state) { b.textContent = state; b.className = "badge " + cls; flash(card); }
      var err = card.querySelector(".error-text");
      if (c.last_error) {
        if (!err) { err = document.createElement("p"); err.className = "error-text"; card.querySelector("dl").after(err); }
        err.textContent = c.last_error;
      } else if (err) err.remove();
    });
  }
  // Alerts: a new alert that belongs to the list shown appears at its top
  // (flashed); one whose state left the list is marked gone; the
  // counters follow. Rows are built with textContent like the server's.
  var sevClass = { critical: "danger", warning: "warning" };
  var alertPaths = { vm: "vms", host: "hosts", datastore: "datastores" };
  function when(t) { return t && t.slice(0, 4) !== "0001" ? t.slice(0, 16).replace("T", " ") : "\u2013"; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function actionForm(a, action, label, tab, quiet) {
    var f = el("form"), id = (action === "ack" ? "ack-" : "res-") + a.id;
    f.method = "post";
    f.action = "/alerts/" + a.id + "/" + action + "?tab=" + enc(tab);
    f.setAttribute("aria-label", (action === "ack" ? "Acknowledge" : "Resolve") + " alert " + a.id);
    var i = el("input");
    i.id = id; i.name = "comment"; i.placeholder = "Comment"; i.maxLength = 2000;
    i.setAttribute("aria-label", "Comment for " + (action === "ack" ? "acknowledging" : "resolving") + " alert " + a.id);
    var b = el("button", quiet ? "btn btn-quiet" : "btn", label);
    b.type = "submit";
    f.append(i, b);
    return f;
  }
  function alertRow(a, t) {
    var tab = new URLSearchParams(location.search).get("tab") || "active";
    var tr = el("tr");
    tr.dataset.key = String(a.id);
    var cells = [];
    cells.push(el("td", "num", String(a.id)));
    var sev = el("td");
    sev.append(el("span", "badge " + (sevClass[a.severity] || "neutral"), a.severity));
    cells.push(sev);
    var ent = el("td"), name = a.entity_name || a.entity_id;
    ent.append(alertPaths[a.entity_type] ? linkCell(name, "/" + alertPaths[a.entity_type] + "/" + enc(a.vcenter) + "/" + enc(a.entity_id)) : document.createTextNode(name));
    ent.append(" ", el("span", "weak", a.vcenter));
    cells.push(ent, el("td", "", a.rule_id), el("td", "", a.summary));
    var st = el("td", "", a.state);
    st.dataset.alertState = "";
    cells.push(st, el("td", "", when(a.opened_at || a.seen_at)));
    if (tab === "acknowledged") cells.push(el("td", "", (a.acked_by || "") + " " + when(a.acked_at)), el("td", "", a.ack_comment || ""));
    if (tab === "history") cells.push(el("td", "", (a.resolved_by || "condition cleared") + " " + when(a.resolved_at)), el("td", "", a.ack_comment || ""));
    if (t.hasAttribute("data-can-operate") && tab !== "history") {
      var act = el("td"), box = el("div", "alert-actions");
      if (a.state === "open") box.append(actionForm(a, "ack", "Acknowledge", tab, false));
      box.append(actionForm(a, "resolve", "Resolve", tab, true));
      var q = new URLSearchParams({ tab: "silences", rule_id: a.rule_id, vcenter: a.vcenter, entity_type: a.entity_type, entity_id: a.entity_id });
      box.append(linkCell("Silence", "/alerts?" + q.toString() + "#silence-form"));
      act.append(box);
      cells.push(act);
    }
    tr.append.apply(tr, cells);
    return tr;
  }
  function applyAlert(a) {
    document.querySelectorAll("table[data-live-alerts]").forEach(function (t) {
      var states = t.dataset.liveAlerts.split(","), body = t.tBodies[0];
      var tr = body.querySelector('tr[data-key="' + CSS.escape(String(a.id)) + '"]');
      var belongs = states.indexOf(a.state) >= 0;
      if (tr && !belongs) { tr.classList.add("live-gone"); flash(tr); return; }
      if (!belongs) return;
      var row = alertRow(a, t);
      var empty = body.querySelector("tr[data-empty]");
      if (empty) empty.remove();
      if (tr) tr.replaceWith(row); else body.prepend(row);
      flash(row);
    });
    refreshAlertCounts();
  }
  var alertCountsTimer = null;
  function refreshAlertCounts() {
    if (!document.querySelector("[data-alert-count]") || alertCountsTimer) return;
    alertCountsTimer = setTimeout(function () {
      alertCountsTimer = null;
      getJSON("/live/json/alerts/counts", function (j) {
        if (!j) return;
        document.querySelectorAll("[data-alert-count]").forEach(function (e) {
          var k = e.dataset.alertCount.split("."), n = 0;
          if (k.length === 2) n = (j[k[0]] || {})[k[1]] || 0;
          else Object.keys(j[k[0]] || {}).forEach(function (s) { n += j[k[0]][s]; });
          var txt = fmtNum(n, 0);
          if (e.textContent !== txt) { e.textContent = txt; flash(e); }
        });
      });
    }, 300);
  }
  function getJSON(url, done) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(done)
      .catch(function () {});
  }
  function setStatus(state, text) {
    var el = document.getElementById("live-status");
    if (!el) return;
    el.hidden = false;
    el.className = "live-status " + state;
    el.dataset.state = state;
    el.textContent = text;
    el.title = state === "polling" ? "Live updates unavailable: refreshing every 10 seconds" : "";
  }
  function liveTargets() {
    var main = document.getElementById("main");
    return (main && main.dataset.liveObject) || document.querySelector("table[data-live-entity], [data-live-count], [data-collector], table[data-live-alerts], [data-alert-count]");
  }
  // poll reads what the page shows from the JSON API.
  function poll() {
    var main = document.getElementById("main");
    if (main && main.dataset.liveObject) {
      var o = JSON.parse(main.dataset.liveObject);
      getJSON("/live/json/" + entityPaths[o.entity] + "/" + enc(o.vcenter) + "/" + enc(o.id), function (j) {
        if (j && j.vm) applyRow(o.entity, o.vcenter, o.id, j.vm, "");
      });
    }
    document.querySelectorAll("table[data-live-entity]").forEach(function (t) {
      var e = t.dataset.liveEntity, q = new URLSearchParams(location.search), keep = new URLSearchParams();
      var names = ["sort", "cursor"];
      document.querySelectorAll("form.filters [name]").forEach(function (f) { names.push(f.name); });
      q.forEach(function (v, k) { if (names.indexOf(k) >= 0 && v) keep.append(k, v); });
      if (!keep.has("sort")) keep.set("sort", "name");
      keep.set("limit", String(Math.max(1, t.tBodies[0].rows.length)));
      getJSON("/live/json/" + entityPaths[e] + "?" + keep.toString(), function (j) {
        if (j && j.items) j.items.forEach(function (row) { applyRow(e, row.vcenter, row[idFields[e]], row, ""); });
      });
    });
    refreshCounts();
    refreshAlertCounts();
    if (document.querySelector("[data-collector]")) {
      getJSON("/live/json/collectors", function (j) { if (j && j.items) j.items.forEach(applyCollector); });
    }
  }
  var pollTimer = null;
  function startPolling() {
    setStatus("polling", "polling");
    if (!pollTimer) pollTimer = setInterval(poll, 10000);
  }
  function startLive() {
    if (!document.body.dataset.liveStream || !liveTargets()) return; // no live updates on this server
    if (!window.EventSource) { startPolling(); return; }
    var failures = 0;
    var types = "change,collector" + (document.querySelector("table[data-live-alerts], [data-alert-count]") ? ",alert" : "");
    var es = new EventSource(document.body.dataset.liveStream + "?types=" + types);
    setStatus("reconnecting", "connecting");
    es.onopen = function () { failures = 0; setStatus("connected", "live"); };
    es.onerror = function () {
      failures++;
      if (failures >= 3 || es.readyState === EventSource.CLOSED) { es.close(); startPolling(); return; }
      setStatus("reconnecting", "reconnecting");
    };
    es.addEventListener("change", function (m) {
      var c = JSON.parse(m.data);
      var row = c.vm || c.host || c.cluster || c.datastore || c.network || c.resource_pool || null;
      applyRow(c.entity, c.vcenter, c.id, row, c.op);
      if (c.entity === "vm") refreshCounts();
    });
    es.addEventListener("collector", function (m) { applyCollector(JSON.parse(m.data)); });
    es.addEventListener("alert", function (m) { applyAlert(JSON.parse(m.data)); });
    es.addEventListener("resync", function () { poll(); });
  }

  function start() { drawCharts(); pollJobs(); startLive(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
