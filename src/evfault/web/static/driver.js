// The public charger page, live: every change of the charger arrives as its whole view (the
// JSON the server renders the page from) and the page is drawn again from it. If the server
// refuses the stream (too many open), the page polls the same view instead.
// Every text goes in through textContent: a charger's words never become markup.
(function () {
  "use strict";
  const root = document.getElementById("charger-live");
  if (!root) return;

  // Catalog text marks code in backticks (the server renders it with markdown-it): built as
  // <code> nodes, never as markup.
  function appendInlineMarkdown(node, text) {
    const parts = String(text).split("`");
    node.textContent = "";
    if (parts.length % 2 === 0) { node.textContent = String(text); return; }
    parts.forEach((part, i) => {
      if (i % 2) {
        const code = document.createElement("code");
        code.textContent = part;
        node.appendChild(code);
      } else {
        node.appendChild(document.createTextNode(part));
      }
    });
  }
  const POLL_MS = 1500;
  const severityWords = document.getElementById("severity-words").dataset;
  const errorTemplate = document.getElementById("error-template");

  function token(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 40) || "unknown";
  }

  function errorItem(e) {
    const li = errorTemplate.content.firstElementChild.cloneNode(true);
    li.lang = e.lang;
    li.dataset.code = e.code;
    const badge = li.querySelector(".badge");
    badge.className = "badge sev-" + token(e.severity);
    badge.textContent = severityWords[token(e.severity)] || e.severity;
    li.querySelector(".code-chip").textContent = e.code;
    li.querySelector(".error-title").textContent = e.title;
    appendInlineMarkdown(li.querySelector(".error-summary"), e.summary);
    const steps = li.querySelector(".error-now");
    for (const step of e.driver_now) {
      const item = document.createElement("li");
      appendInlineMarkdown(item, step);
      steps.appendChild(item);
    }
    if (!e.driver_now.length) {
      li.querySelector(".error-now-heading").remove();
      steps.remove();
    }
    const more = li.querySelector(".error-more");
    if (e.help_url) more.href = e.help_url; else more.remove();
    return li;
  }

  function fillErrors(list, errors) {
    list.replaceChildren(...errors.map(errorItem));
  }

  function connectorItem(c) {
    const li = document.createElement("li");
    li.className = "tile connector state-" + token(c.state);
    li.dataset.connector = c.connector_id;
    li.dataset.state = c.state;
    const head = document.createElement("div");
    head.className = "connector-head";
    const name = document.createElement("h2");
    name.className = "connector-name";
    name.textContent = c.label;
    const pill = document.createElement("span");
    pill.className = "state-pill state-" + token(c.state);
    pill.textContent = c.state_text;
    head.append(name, " ", pill);
    const hint = document.createElement("p");
    hint.className = "state-hint";
    hint.textContent = c.state_hint;
    const list = document.createElement("ul");
    list.className = "driver-errors";
    fillErrors(list, c.errors);
    li.append(head, hint, list);
    return li;
  }

  function draw(view) {
    const hero = document.getElementById("hero");
    hero.classList.toggle("ok", view.can_charge);
    hero.classList.toggle("not-ok", !view.can_charge);
    document.getElementById("headline").textContent = view.headline;
    const whole = document.getElementById("charger-errors");
    whole.hidden = view.charger_errors.length === 0;
    fillErrors(document.getElementById("charger-error-list"), view.charger_errors);
    document.getElementById("connectors").replaceChildren(...view.connectors.map(connectorItem));
    root.dataset.generatedAt = view.generated_at || "";
  }

  let pollTimer = null;
  async function poll() {
    try {
      const response = await fetch(root.dataset.twin, { headers: { accept: "application/json" } });
      if (response.ok) draw(await response.json());
    } catch (err) {
      // offline for a moment: the next poll tries again
    }
    pollTimer = window.setTimeout(poll, POLL_MS);
  }

  function startPolling() {
    if (pollTimer !== null) return;
    root.dataset.state = "polling";
    poll();
  }

  if (!window.EventSource) {
    startPolling();
    return;
  }
  const source = new EventSource(root.dataset.events);
  source.addEventListener("open", () => { root.dataset.state = "live"; });
  source.addEventListener("view", (event) => {
    root.dataset.state = "live";
    draw(JSON.parse(event.data));
  });
  source.addEventListener("gone", () => { source.close(); window.location.reload(); });
  source.addEventListener("error", () => {
    // A refused stream (503) is closed for good; a dropped one reconnects by itself.
    if (source.readyState === EventSource.CLOSED) startPolling();
  });
})();
