// The dashboard's "Reports from drivers" tile, kept current: the unseen reports are fetched again
// every few seconds (a driver's report is no bus event) and the list is redrawn from them.
// Drivers' words go in through textContent only.
(function () {
  "use strict";
  const tile = document.getElementById("driver-reports-tile");
  if (!tile || !window.fetch) return;
  const POLL_MS = 5000;
  const canOperate = tile.dataset.canOperate === "true";
  const csrf = document.querySelector('meta[name="csrf-token"]');

  function text(tag, className, value) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = value;
    return node;
  }

  function item(r) {
    const li = document.createElement("li");
    li.dataset.id = r.id;
    const link = text("a", "charger-link", r.charger_id);
    link.href = r.charger_url;
    li.append(link, " ");
    if (r.connector_id) li.append(text("span", "muted", "#" + r.connector_id), " ");
    li.append(text("span", "muted", r.created_at.replace("T", " ").replace("Z", " UTC") + " · " + r.lang));
    li.append(text("p", "driver-report-message", r.message));
    if (r.contact) {
      const contact = text("p", "muted", "Contact: ");
      contact.append(text("span", "driver-report-contact", r.contact));
      li.append(contact);
    }
    if (canOperate && csrf) {
      const form = document.createElement("form");
      form.method = "post";
      form.action = "/driver-reports/" + encodeURIComponent(r.id) + "/seen";
      form.className = "inline-form";
      const token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = csrf.content;
      const button = text("button", "small", "Seen");
      button.type = "submit";
      form.append(token, button);
      li.append(form);
    }
    return li;
  }

  function draw(reports) {
    document.getElementById("driver-reports-count").textContent = String(reports.length);
    const list = document.getElementById("driver-reports-list");
    list.replaceChildren(...reports.map(item));
    list.hidden = reports.length === 0;
    document.getElementById("driver-reports-empty").hidden = reports.length > 0;
  }

  async function poll() {
    try {
      const response = await fetch("/api/v1/driver-reports?unseen=true&limit=20",
                                   { headers: { accept: "application/json" } });
      if (response.ok) draw((await response.json()).reports);
    } catch (err) {
      // the server is away for a moment: the next round tries again
    }
    window.setTimeout(poll, POLL_MS);
  }
  window.setTimeout(poll, POLL_MS);
})();
