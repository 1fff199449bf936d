// The demo's simulator page (templates/simulator/index.html): keep the sessions and
// events of the chosen device fresh by fetching the page again every few seconds
// and swapping in its #sim-activity part. Without JavaScript, "Refresh" does it.
(function () {
  "use strict";
  var part = document.getElementById("sim-activity");
  if (!part || !window.fetch || !window.DOMParser) { return; }
  var url = part.getAttribute("data-refresh-url");
  var every = 3000;
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("sim-activity");
        if (fresh) { part.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* the next round tries again */ });
  }
  window.setInterval(refresh, every);
}());
