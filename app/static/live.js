// The managers' live view (templates/main/_live.html). Every few seconds it asks
// data-live-url with If-None-Match; a 304 means nothing changed, a 200 brings the
// rows, which are redrawn with the same columns the server drew. Text goes in as
// text (never as HTML). Polling pauses while the tab is hidden and stops for good
// when the session is gone (401/403 or a redirect to the login page).
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-live-url");
  var etag = root.getAttribute("data-etag") || "";
  var seconds = Math.max(parseInt(root.getAttribute("data-poll-seconds"), 10) || 3, 1);
  var minutesFormat = root.getAttribute("data-minutes-format") || "{minutes} min";
  var hoursFormat = root.getAttribute("data-hours-format") || "{hours} h {minutes} min";
  var state = document.getElementById("live-state");
  var timer = null;
  var stopped = false;
  var busy = false;

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text == null ? "" : String(text); }
    row.appendChild(td);
    return td;
  }

  function time(iso, text) {
    var el = document.createElement("time");
    el.setAttribute("datetime", iso);
    el.textContent = text;
    return el;
  }

  function decision(event) {
    var box = document.createDocumentFragment();
    if (event.granted !== null && event.granted !== undefined) {
      var tag = document.createElement("span");
      tag.className = "badge-state" + (event.granted ? "" : " inactive");
      tag.textContent = event.decision;
      box.appendChild(tag);
    }
    if (event.reason_label) {
      box.appendChild(document.createTextNode(" "));
      var why = document.createElement("small");
      why.className = "muted";
      why.textContent = event.reason_label;
      box.appendChild(why);
    }
    return box;
  }

  function fill(id, items, columns, draw) {
    var body = document.getElementById(id);
    if (!body) { return; }
    var rows = document.createDocumentFragment();
    items.forEach(function (item) { rows.appendChild(draw(item)); });
    if (!items.length) {
      var empty = document.createElement("tr");
      empty.className = "empty";
      var td = cell(empty, body.getAttribute("data-empty") || "", "muted");
      td.colSpan = columns;
      rows.appendChild(empty);
    }
    body.replaceChildren(rows);
  }

  function duration(since) {
    var start = Date.parse(since);
    if (isNaN(start)) { return ""; }
    var minutes = Math.max(Math.floor((Date.now() - start) / 60000), 0);
    if (minutes < 60) { return minutesFormat.replace("{minutes}", minutes); }
    return hoursFormat.replace("{hours}", Math.floor(minutes / 60))
      .replace("{minutes}", minutes % 60);
  }

  function durations() {
    root.querySelectorAll("td.duration[data-since]").forEach(function (td) {
      td.textContent = duration(td.getAttribute("data-since"));
    });
  }

  function seenIds() {
    var seen = {};
    root.querySelectorAll("#live-events tr[data-event-id]").forEach(function (tr) {
      seen[tr.getAttribute("data-event-id")] = true;
    });
    return seen;
  }

  function draw(data) {
    document.getElementById("live-online").textContent = data.devices.online;
    document.getElementById("live-offline").textContent = data.devices.offline;
    var seen = seenIds();
    fill("live-events", data.events, 6, function (e) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-event-id", e.id);
      if (!seen[String(e.id)]) { tr.className = "new"; }
      cell(tr, time(e.at, e.time));
      cell(tr, e.device_name);
      cell(tr, e.resource || "");
      cell(tr, e.type_label);
      cell(tr, decision(e));
      cell(tr, e.member || "");
      return tr;
    });
    fill("live-sessions", data.sessions, 4, function (s) {
      var tr = document.createElement("tr");
      cell(tr, time(s.started_at, s.since));
      cell(tr, "", "duration").setAttribute("data-since", s.started_at);
      cell(tr, s.resource || s.device_name);
      cell(tr, s.member || "");
      return tr;
    });
    fill("live-alerts", data.alerts, 3, function (a) {
      var tr = document.createElement("tr");
      tr.className = "alert-row";
      cell(tr, time(a.since_at, a.since));
      cell(tr, a.kind_label);
      var link = document.createElement("a");
      link.href = a.url;
      link.textContent = a.device_name;
      cell(tr, link);
      return tr;
    });
    if (data.poll_seconds) { seconds = Math.max(data.poll_seconds, 1); }
    durations();
  }

  function schedule() {
    if (!stopped) { timer = window.setTimeout(poll, seconds * 1000); }
  }

  function poll() {
    timer = null;
    if (busy || document.hidden) { return; }  // resumed by visibilitychange
    busy = true;
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.status === 304) { durations(); return null; }
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          stopped = true;  // logged out: the login page is a reload away
          return null;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (data) {
        if (data) { draw(data); }
        root.removeAttribute("data-stale");
        if (state) { state.textContent = stopped ? root.getAttribute("data-stopped-label") : ""; }
      })
      .catch(function () {
        root.setAttribute("data-stale", "1");
        if (state) { state.textContent = root.getAttribute("data-stale-label") || "\u2026"; }
      })
      .then(function () { busy = false; schedule(); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !busy && !stopped) { poll(); }
  });
  durations();
  schedule();
}());
