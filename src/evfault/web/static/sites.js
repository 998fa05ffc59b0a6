// evfault: keeps a site page live by fetching the page again and swapping its live part.
// The server renders and escapes everything; this file only moves already-parsed nodes.
"use strict";

(function () {
  const REFRESH_MS = 2000;
  const live = document.getElementById("site-live");
  if (!live) return;
  const url = live.dataset.refresh;
  let busy = false;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url, {headers: {accept: "text/html"}, credentials: "same-origin"});
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("site-live");
      const current = document.getElementById("site-live");
      if (fresh && current) current.replaceWith(document.importNode(fresh, true));
    } catch (err) {
      // the server is restarting or the network is down: try again on the next tick
    } finally {
      busy = false;
    }
  }

  setInterval(refresh, REFRESH_MS);
})();
