// evfault: keeps the dashboard and the charger page live over Server-Sent Events.
//
// Safety rule for this file: text that came from a charger (ids, info, vendor codes, raw
// frames) reaches the DOM only as textContent or attribute values set through the DOM API,
// never as HTML, and links are built here from ids, never taken from the data.
"use strict";

(function () {
  const page = document.body.dataset.page;
  showLocalTimes(document); // every operator page: its times in the operator's zone
  if (page !== "dashboard" && page !== "charger") {
    return;
  }

  // Re-render at most this often, however many changes arrive: a storm stays cheap.
  const RENDER_INTERVAL_MS = 250;
  // The dashboard asks the server for a fresh board at most this often while changes stream in
  // (and never with a request still in flight): its cost to the server stays bounded.
  const BOARD_INTERVAL_MS = 500;
  // The charger page re-fetches its view after changes settle for this long.
  const REFETCH_DELAY_MS = 150;

  // ---- small helpers ----------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function token(value) {
    const text = String(value).toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 40);
    return text || "unknown";
  }

  function chargerHref(id) {
    return "/chargers/" + encodeURIComponent(id);
  }

  function helpHref(scheme, code) {
    return "/help/" + encodeURIComponent(scheme) + "/" + encodeURIComponent(code);
  }

  let clockOffset = 0; // server time minus browser time, so ages agree with the server

  function serverNow() {
    return Date.now() + clockOffset;
  }

  function learnServerTime(iso) {
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) clockOffset = t - Date.now();
  }

  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) {
      return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
    }
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }

  function since(iso) {
    const t = Date.parse(iso || "");
    return Number.isNaN(t) ? "—" : duration((serverNow() - t) / 1000);
  }

  // The operator's time zone: the server's time_zone setting, else the browser's own.
  function clock(iso) {
    const t = Date.parse(iso || "");
    if (Number.isNaN(t)) return "—";
    const zone = document.body.dataset.tz || undefined;
    try {
      const parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
        minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
      }).formatToParts(new Date(t));
      const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
      return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second + " " + p.timeZoneName;
    } catch (err) { // a zone this browser does not know: UTC, as the server wrote it
      return new Date(t).toISOString().slice(0, 19).replace("T", " ") + " UTC";
    }
  }

  // A moment as the pages show it: <time class="clock"> in the operator's zone.
  function clockNode(iso) {
    return el("time", { class: "clock", datetime: iso || "", text: clock(iso) });
  }

  // The server writes times in UTC (<time class="clock">); shown here in the operator's zone.
  function showLocalTimes(root) {
    for (const node of root.querySelectorAll("time.clock")) {
      node.textContent = clock(node.getAttribute("datetime"));
    }
  }

  function ageNode(iso, ago) {
    const node = el("time", { class: "age", datetime: iso || "", title: clock(iso), "data-ago": ago });
    node.textContent = ago ? (iso ? since(iso) + " ago" : "never") : since(iso);
    return node;
  }

  function refreshAges(root) {
    for (const node of root.querySelectorAll("time.age")) {
      const iso = node.getAttribute("datetime");
      if (!iso) continue;
      node.textContent = since(iso) + (node.hasAttribute("data-ago") ? " ago" : "");
    }
  }

  // ---- building blocks (the same DOM the templates in _macros.html produce) ----------

  function badge(severity) {
    return el("span", { class: "badge sev-" + token(severity), text: severity });
  }

  function connectorLabel(n) {
    return n === 0 ? "Charger" : "#" + n;
  }

  function readingText(reading) {
    if (!reading) return "";
    const number = reading.text || String(reading.value); // the charger's precision: 5.00 VDC
    return reading.unit ? number + " " + reading.unit : number;
  }

  // Catalog text marks code in backticks (the only Markdown it uses; the server renders the
  // same with markdown-it): `info` becomes <code>info</code>, built as nodes, never as markup.
  function markdownInline(text) {
    const parts = String(text).split("`");
    if (parts.length % 2 === 0) return [String(text)]; // an unpaired backtick: plain text
    return parts.map((part, i) => (i % 2 ? el("code", { text: part }) : part));
  }

  function readingCell(e) {
    if (e.reading) return el("span", { class: "reading", text: readingText(e.reading) });
    if (e.info) return el("span", { class: "info-text", text: e.info });
    return el("span", { class: "muted", text: "—" });
  }

  function errorRow(e, showCharger) {
    const title = el("td", { "data-label": "Error" }, el("span", { class: "title", text: e.title }));
    if (e.pill) title.append(" ", el("span", { class: e.pill.class, text: e.pill.text }));
    if (e.vendor_id) title.append(" ", el("span", { class: "vendor-id", text: e.vendor_id }));
    const open = el("td", { "data-label": "Open for" }, ageNode(e.opened_at, false));
    open.firstChild.title = "opened " + clock(e.opened_at);
    return el("tr", { "data-id": e.id, class: "row-sev-" + token(e.severity) },
      el("td", { "data-label": "Severity" }, badge(e.severity)),
      showCharger ? el("td", { "data-label": "Charger" },
        el("a", { class: "charger-link", href: chargerHref(e.charger_id), text: e.charger_id })) : null,
      el("td", { "data-label": "Connector", text: connectorLabel(e.connector_id) }),
      el("td", { "data-label": "Code" },
        el("a", { class: "code", href: helpHref(e.scheme, e.code), text: e.code }), " ",
        el("span", { class: "scheme", text: e.scheme })),
      title,
      el("td", { "data-label": "Reading" }, readingCell(e)),
      open);
  }

  function explanationCard(e) {
    const card = el("div", { class: "explain" },
      el("p", { class: "explain-head" }, badge(e.severity), " ", el("strong", { text: e.code }), " " + e.title));
    if (e.reading || e.info) card.append(el("p", { class: "explain-reading" }, "Reported: ", readingCell(e)));
    const x = e.explanation;
    if (!x) {
      card.append(el("p", { text: "evfault does not know this code yet; the charger's manufacturer documents it." }));
      return card;
    }
    card.append(el("p", {}, ...markdownInline(x.summary)));
    if (x.operator_steps.length) {
      card.append(el("p", { class: "explain-label", text: "Recommended steps" }),
        el("ol", { class: "steps" }, ...x.operator_steps.map((s, i) => el("li", {}, ...markdownInline(s), ...stepButtons(e, i)))));
    }
    card.append(el("p", {}, el("a", { href: helpHref(e.scheme, e.code), text: "Full explanation" })));
    return card;
  }

  // The recommended steps evfault can take, as buttons (for operators: the page carries the
  // session's CSRF token and the buttons' words in the page's language in #command-context).
  function stepButtons(e, index) {
    const context = document.getElementById("command-context");
    if (!context || !e.explanation || !e.explanation.step_actions) return [];
    const words = JSON.parse(context.dataset.words || "{}");
    const id = e.charger_id;
    return e.explanation.step_actions.filter((a) => a.step === index).map((a) => {
      const target = id + (a.per_connector ? " · " + connectorLabel(e.connector_id) : "");
      const fields = [["csrf_token", context.dataset.csrf], ["command", a.command]];
      for (const [name, value] of Object.entries(a.args)) fields.push(["arg." + name, String(value)]);
      if (a.per_connector) fields.push(["arg.connector_id", String(e.connector_id)]);
      return el("form", {
        class: "command-form step-action", method: "post",
        action: "/chargers/" + encodeURIComponent(id) + "/commands",
        "data-confirm": (words["confirm_" + a.action] || "").replace("{target}", target),
      }, ...fields.map(([name, value]) => el("input", { type: "hidden", name, value })),
      el("button", { type: "submit", class: "button small", text: words[a.action] || a.action }));
    });
  }

  // A command button asks first when it says so (a hard reset cuts a charging session off).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  function marker(errors) {
    if (!errors.length) return null;
    return el("details", { class: "marker" },
      el("summary", { "aria-label": errors.length + " active error(s): show explanation", title: "Show the explanation", text: "i" }),
      el("div", { class: "popover", role: "dialog" }, ...errors.map(explanationCard)));
  }

  function connectorChips(connectors) {
    if (!connectors.length) return el("ul", { class: "connectors" }, el("li", { class: "muted", text: "no connector reported yet" }));
    return el("ul", { class: "connectors" }, ...connectors.map((c) => el("li", {
      class: "chip status-" + token(c.unknown_since ? "unknown" : c.status || "unknown") + (c.active_errors.length ? " has-error" : ""),
      "data-connector": c.connector_id,
    }, el("span", { class: "chip-id", text: connectorLabel(c.connector_id) }), " ",
    chipStatus(c), " ",
    marker(c.active_errors))));
  }

  // An offline charger's connectors: what they do now is unknown (the server says since when).
  function chipStatus(c) {
    if (!c.unknown_since) return el("span", { class: "chip-status", text: c.status || "unknown" });
    return el("span", { class: "chip-status", title: "last reported: " + (c.status || "nothing") },
      "unknown since ", clockNode(c.unknown_since));
  }

  function onlinePill(charger) {
    return charger.online
      ? el("span", { class: "pill online", text: "Online" })
      : el("span", { class: "pill offline", text: "Offline" });
  }

  // Swap a list's rows, keeping a row whose content did not change (and its open markers).
  function renderKeyed(parent, items, keyOf, signatureOf, build) {
    const old = new Map();
    for (const row of Array.from(parent.children)) old.set(row.dataset.key, row);
    const rows = items.map((item) => {
      const key = keyOf(item);
      const signature = signatureOf(item);
      const previous = old.get(key);
      if (previous && previous.dataset.sig === signature) return previous;
      const row = build(item);
      row.dataset.key = key;
      row.dataset.sig = signature;
      if (previous) keepOpenMarkers(previous, row);
      return row;
    });
    parent.replaceChildren(...rows);
  }

  function keepOpenMarkers(from, to) {
    const open = new Set();
    for (const d of from.querySelectorAll("details[open]")) {
      const chip = d.closest("[data-connector]");
      open.add(chip ? chip.dataset.connector : "");
    }
    for (const d of to.querySelectorAll("details")) {
      const chip = d.closest("[data-connector]");
      if (open.has(chip ? chip.dataset.connector : "")) d.open = true;
    }
  }

  function showEmpty(listId, emptyId, isEmpty) {
    document.getElementById(listId).hidden = isEmpty;
    document.getElementById(emptyId).hidden = !isEmpty;
  }

  function setText(id, value) {
    const node = document.getElementById(id);
    if (node) node.textContent = String(value);
  }

  // ---- scheduling ------------------------------------------------------------------

  function throttled(fn, interval) {
    let timer = null;
    let last = 0;
    return function schedule() {
      if (timer !== null) return;
      const wait = Math.max(0, last + interval - Date.now());
      timer = setTimeout(() => {
        requestAnimationFrame(() => {
          timer = null;
          last = Date.now();
          fn();
        });
      }, wait);
    };
  }

  function fetcher(url, onView) {
    let running = false;
    let again = false;
    async function run() {
      if (running) { again = true; return; }
      running = true;
      try {
        const response = await fetch(url(), { headers: { accept: "application/json" }, cache: "no-store" });
        if (response.ok) onView(await response.json());
      } catch (err) {
        console.warn("evfault: could not reload the view", err);
      } finally {
        running = false;
        if (again) { again = false; run(); }
      }
    }
    return run;
  }

  function setLive(stateName, label) {
    const node = document.getElementById("live");
    if (!node) return;
    node.dataset.state = stateName;
    node.textContent = label;
  }

  function connect(onEvent, onReady) {
    const source = new EventSource("/api/v1/events");
    source.addEventListener("hello", (ev) => {
      learnServerTime(JSON.parse(ev.data).server_time);
      setLive("live", "live");
      onReady(); // also after a reconnect: changes may have been missed meanwhile
    });
    for (const kind of ["incident", "status", "connectivity", "resync"]) {
      source.addEventListener(kind, (ev) => onEvent(kind, JSON.parse(ev.data)));
    }
    source.addEventListener("error", () => setLive("down", "reconnecting…"));
    return source;
  }

  // ---- the dashboard ---------------------------------------------------------------

  function dashboard() {
    // The server builds the whole board — filters, order, notices, summary (web/views.py) —
    // and this page only renders it: one source for every rule. A change on the live stream
    // asks for a fresh board: one request in flight at most, and at most two a second.
    const query = window.location.search;
    let view = null;
    const scheduleRender = throttled(render, RENDER_INTERVAL_MS);
    const reload = fetcher(() => "/api/v1/dashboard" + query, (fresh) => {
      learnServerTime(fresh.generated_at);
      view = fresh;
      scheduleRender();
    });
    const reloadSoon = throttled(reload, BOARD_INTERVAL_MS);

    function onChange(kind) {
      if (kind === "resync") reload(); else reloadSoon();
    }

    function render() {
      if (!view) return;
      renderSummary(view.summary);
      renderErrors(view.errors, view.errors_total);
      renderNotices(view.notifications, view.notifications_total);
      renderPoints(view.chargers, view.points);
      pageLongTables();
      refreshAges(document.getElementById("main"));
    }

    function renderSummary(summary) {
      const critical = summary.by_severity.critical || 0;
      setText("stat-chargers", summary.chargers);
      setText("stat-online", summary.online);
      setText("stat-offline", summary.offline);
      setText("stat-errors", summary.active_errors);
      setText("stat-critical", critical);
      document.getElementById("stat-offline").parentElement.classList.toggle("stat-warn", summary.offline > 0);
      document.getElementById("stat-errors").parentElement.classList.toggle("stat-bad", summary.active_errors > 0);
      document.getElementById("stat-critical").parentElement.classList.toggle("stat-bad", critical > 0);
    }

    // Lists stop at the server's limit; the count is always the whole number.
    function renderMore(prefix, shown, total) {
      setText(prefix + "-shown", shown);
      setText(prefix + "-all", total);
      document.getElementById(prefix + "-more").hidden = total <= shown;
    }

    function renderErrors(errors, total) {
      setText("errors-count", total);
      renderMore("errors", errors.length, total);
      showEmpty("errors-list", "errors-empty", errors.length === 0);
      const body = document.querySelector("#errors-table tbody");
      renderKeyed(body, errors, (e) => e.id, signature, (e) => errorRow(e, true));
    }

    function renderNotices(list, total) {
      setText("notices-count", total);
      renderMore("notices", list.length, total);
      document.getElementById("notices-empty").hidden = list.length > 0;
      renderKeyed(document.getElementById("notices-list"), list, noticeKey, signature, noticeItem);
    }

    function noticeKey(n) {
      return n.incident_id || n.code + "|" + n.charger_id;
    }

    function noticeItem(n) {
      const details = el("details", {},
        el("summary", {}, badge(n.severity), " ",
          el("span", { class: "notice-title", text: n.title }), " ",
          el("a", { class: "charger-link", href: chargerHref(n.charger_id), text: n.charger_id }), " ",
          el("span", { class: "muted" }, "since ", ageNode(n.since, false))));
      if (n.summary) details.append(el("p", {}, ...markdownInline(n.summary)));
      const steps = n.operator_steps || [];
      if (steps.length) details.append(el("ol", { class: "steps" }, ...steps.map((s) => el("li", {}, ...markdownInline(s)))));
      return el("li", { class: "notice" }, details);
    }

    function renderPoints(fleet, points) {
      setText("points-count", points.total);
      document.getElementById("points-empty").hidden = fleet.length > 0;
      document.getElementById("points-pager").hidden = !(points.previous || points.next);
      setText("points-range", points.first + "–" + points.last + " of " + points.total);
      for (const [id, query] of [["points-previous", points.previous], ["points-next", points.next]]) {
        const link = document.getElementById(id);
        link.hidden = !query;
        if (query) link.setAttribute("href", query);
      }
      renderKeyed(document.getElementById("points-body"), fleet, (c) => c.id, signature, pointRow);
    }

    function pointRow(c) {
      const connection = el("td", { "data-label": "Connection" }, onlinePill(c));
      if (!c.online && c.offline_since) connection.append(" ", el("span", { class: "muted" }, "since ", clockNode(c.offline_since)));
      return el("tr", { "data-id": c.id, class: c.error_count ? "row-has-error" : null },
        el("td", { "data-label": "Charger" }, el("a", { class: "charger-link", href: chargerHref(c.id), text: c.id })),
        connection,
        el("td", { "data-label": "Hardware" }, c.vendor || "—", " ", el("span", { class: "muted", text: c.model || "" })),
        el("td", { "data-label": "Last seen" }, ageNode(c.last_seen, true)),
        el("td", { "data-label": "Connectors" }, connectorChips(c.connectors)));
    }

    // Ages change every second; they are kept out of the signatures that decide a redraw.
    function signature(value) {
      return JSON.stringify(value, (key, v) => (key === "duration_s" ? undefined : v));
    }

    connect(onChange, reload);
    pageLongTables();
    PHONE.addEventListener("change", pageLongTables);
    setInterval(() => refreshAges(document.getElementById("main")), 5000);
  }

  // ---- long tables on a phone -------------------------------------------------------

  // On a phone a 50-charger table is a long scroll before anything else: it shows a page of
  // rows at a time, with a button for the next page.
  const PHONE = window.matchMedia("(max-width: 720px)");
  const PAGE_ROWS = 15;
  const shownRows = new Map();

  function pageLongTables() {
    for (const table of document.querySelectorAll("table#errors-table, table#points-table")) {
      pageRows(table);
    }
  }

  function pageRows(table) {
    const body = table.tBodies[0];
    if (!body) return;
    const limit = PHONE.matches ? (shownRows.get(table.id) || PAGE_ROWS) : Infinity;
    const rows = Array.from(body.rows);
    rows.forEach((row, i) => { row.hidden = i >= limit; });
    const rest = Math.max(0, rows.length - limit);
    let more = document.getElementById(table.id + "-more");
    if (!more) {
      more = el("button", { type: "button", class: "more-rows", id: table.id + "-more" });
      more.addEventListener("click", () => {
        shownRows.set(table.id, (shownRows.get(table.id) || PAGE_ROWS) + PAGE_ROWS);
        pageRows(table);
      });
      (table.closest(".table-scroll, .points-wrap") || table).after(more);
    }
    more.hidden = rest === 0;
    more.textContent = "Show " + Math.min(PAGE_ROWS, rest) + " more (" + rest + " not shown)";
  }

  // ---- the charger page ------------------------------------------------------------

  function chargerPage() {
    const root = document.getElementById("charger-root");
    const id = root.dataset.chargerId;
    const scheduleRender = throttled(render, RENDER_INTERVAL_MS);
    let view = null;
    const reload = fetcher(() => "/api/v1/chargers/" + encodeURIComponent(id), (v) => {
      learnServerTime(v.generated_at);
      view = v;
      scheduleRender();
    });
    let refetchTimer = null;

    function onEvent(kind, data) {
      const chargerId = data.charger_id || (data.incident && data.incident.charger_id);
      if (kind !== "resync" && chargerId !== id) return;
      if (refetchTimer !== null) return;
      refetchTimer = setTimeout(() => { refetchTimer = null; reload(); }, REFETCH_DELAY_MS);
    }

    function render() {
      if (!view) return;
      const state = document.getElementById("charger-state");
      state.replaceChildren(onlinePill(view));
      if (!view.online && view.offline_since) state.append(" ", el("span", { class: "muted" }, "offline since ", clockNode(view.offline_since)));
      const facts = [["Vendor", view.vendor], ["Model", view.model], ["Serial", view.serial], ["Firmware", view.firmware],
        ["OCPP", view.protocol], ["Last seen", clock(view.last_seen)], ["Booted", clock(view.booted_at)]];
      document.getElementById("charger-facts").replaceChildren(...facts.map(([k, v]) =>
        el("div", {}, el("dt", { text: k }), el("dd", { text: v || "—" }))));
      const connectors = document.getElementById("connectors");
      const before = connectors.cloneNode(true);
      connectors.replaceChildren(connectorChips(view.connectors));
      keepOpenMarkers(before, connectors);
      setText("errors-count", view.active_errors.length);
      showEmpty("errors-list", "errors-empty", view.active_errors.length === 0);
      document.querySelector("#errors-table tbody").replaceChildren(...view.active_errors.map((e) => errorRow(e, false)));
      document.getElementById("timeline").replaceChildren(...timelineItems(view.timeline));
      document.querySelector("#incidents-table tbody").replaceChildren(...incidentRows(view.recent_incidents));
      // Raw frames are for operators: a viewer's page and view have none.
      const frames = document.getElementById("messages");
      if (frames && view.messages) frames.replaceChildren(...messageItems(view.messages));
    }

    function timelineItems(entries) {
      if (!entries.length) return [el("li", { class: "muted", text: "Nothing has happened on this charger yet." })];
      return entries.map((t) => {
        const item = el("li", { class: "tl tl-" + token(t.kind) + (t.severity ? " sev-" + token(t.severity) : "") },
          clockNode(t.at), " ",
          el("span", { class: "tl-kind", text: t.kind.replace("-", " ") }), " ");
        if (t.connector_id !== null) item.append(el("span", { class: "tl-conn", text: connectorLabel(t.connector_id) }), " ");
        item.append(el("span", { class: "tl-title", text: t.title }));
        if (t.detail) item.append(" ", el("span", { class: "tl-detail", text: t.detail }));
        if (t.kind === "offline") {
          const end = t.until ? "until " + clock(t.until) + " (" + duration((Date.parse(t.until) - Date.parse(t.at)) / 1000) + ")" : "still offline";
          item.append(" ", el("span", { class: "tl-detail", text: end }));
        }
        return item;
      });
    }

    function incidentRows(incidents) {
      if (!incidents.length) return [el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No incidents recorded." }))];
      return incidents.map((i) => el("tr", { "data-id": i.id },
        el("td", { "data-label": "Code" }, badge(i.severity), " ", el("strong", { text: i.code }), " " + i.title),
        el("td", { "data-label": "Connector", text: connectorLabel(i.connector_id) }),
        el("td", { "data-label": "Opened" }, clockNode(i.opened_at)),
        i.cleared_at
          ? el("td", { "data-label": "Cleared" }, clockNode(i.cleared_at), " ", el("span", { class: "muted", text: "by " + i.cleared_by }))
          : el("td", { "data-label": "Cleared" }, el("span", { class: "pill active", text: "active" })),
        el("td", { "data-label": "Lasted", text: duration(i.duration_s) })));
    }

    function messageItems(messages) {
      if (!messages.length) return [el("li", { class: "muted", text: "No messages stored." })];
      return messages.map((m) => el("li", { class: "msg msg-" + token(m.direction) },
        el("span", { class: "msg-meta" }, clockNode(m.at), " ",
          el("span", { class: "msg-dir", text: m.direction === "in" ? "charger → evfault" : "evfault → charger" }), " ",
          el("span", { class: "msg-action", text: m.action || "" })),
        el("code", { class: "raw", text: m.raw })));
    }

    connect(onEvent, reload);
    setInterval(() => refreshAges(root), 5000);
  }

  if (page === "dashboard") dashboard();
  else chargerPage();
})();
