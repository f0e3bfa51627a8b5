/*
 * The front door's chat widget. One line on any partner's page:
 *
 *   <script src="https://etuovi.example.org/widget/frontdoor.js"
 *           data-server="https://etuovi.example.org:5005"
 *           data-partner="kymi-ammattiopisto" defer></script>
 *
 * data-partner (optional) names the partner whose page this is; it goes with each message
 * (when the partner is credited: docs/doors.md). The widget talks to Rasa's socket.io channel
 * with the client `make setup` copies to /vendor/ (no CDN). Bot and user text is rendered with
 * textContent, never as HTML; only http(s) addresses become links. The session id and the
 * messages shown are kept in localStorage. Offline, phones and zoom, WCAG 2.1 AA: docs/widget.md.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__frontdoorWidget) return;
  window.__frontdoorWidget = true;

  var SERVER = (script.getAttribute("data-server") || "").replace(/\/+$/, "") || window.location.origin;
  var BASE = new URL(".", script.src).href;
  var STORE = "frontdoor-widget:" + SERVER;
  // The partner whose page this is, if the tag names one (a partner id; anything else is left out).
  var PARTNER = script.getAttribute("data-partner") || "";
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(PARTNER)) PARTNER = "";
  var MAX_HISTORY = 200;
  var MAX_LENGTH = 2000;

  var TEXTS = {
    fi: {
      open: "Kysy osaamisverkostolta", title: "Osaamisverkoston etuovi", close: "Sulje keskustelu",
      log: "Keskustelu", input: "Kirjoita viestisi", send: "Lähetä", restart: "Aloita alusta",
      typing: "Etuovi kirjoittaa…", welcome: "Hei! Kerro omin sanoin, mitä tarvitset – koulutusta henkilöstölle, oppisopimusta, harjoittelijaa, työtä tai opiskelupaikkaa. Ohjaan sinut oikealle asiantuntijalle.",
      you: "Sinä", bot: "Etuovi", offline: "Yhteys katkesi. Yritän yhdistää uudelleen… Viestisi lähtevät, kun yhteys palaa.", language: "Kieli", choices: "Vastausvaihtoehdot",
      connecting: "Yhteyttä ei vielä saatu. Yritän uudelleen… Viestisi lähtevät, kun yhteys aukeaa.", waiting: "Odottaa yhteyttä",
      privacy: "Tietosuojaseloste"
    },
    en: {
      open: "Ask the competence network", title: "The network's front door", close: "Close the chat",
      log: "Conversation", input: "Type your message", send: "Send", restart: "Start over",
      typing: "The front door is typing…", welcome: "Hello! Tell me in your own words what you need – training for staff, an apprenticeship, a trainee, a job or a place to study. I will put you in touch with the right expert.",
      you: "You", bot: "Front door", offline: "Connection lost. Reconnecting… Your messages will be sent when it is back.", language: "Language", choices: "Answer options",
      connecting: "No connection yet. Trying again… Your messages will be sent once connected.", waiting: "Waiting for the connection",
      privacy: "Privacy notice"
    },
    sv: {
      open: "Fråga kompetensnätverket", title: "Nätverkets ingång", close: "Stäng chatten",
      log: "Samtal", input: "Skriv ditt meddelande", send: "Skicka", restart: "Börja om",
      typing: "Ingången skriver…", welcome: "Hej! Berätta med egna ord vad du behöver – utbildning för personalen, läroavtal, en praktikant, ett jobb eller en studieplats. Jag hjälper dig vidare till rätt sakkunnig.",
      you: "Du", bot: "Ingången", offline: "Anslutningen bröts. Ansluter igen… Dina meddelanden skickas när anslutningen är tillbaka.", language: "Språk", choices: "Svarsalternativ",
      connecting: "Ingen anslutning ännu. Försöker igen… Dina meddelanden skickas när anslutningen öppnas.", waiting: "Väntar på anslutningen",
      privacy: "Dataskyddsbeskrivning"
    }
  };

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE) || "null");
      if (saved && typeof saved.session === "string" && Array.isArray(saved.history)) return saved;
    } catch (e) { /* a broken entry starts a new conversation */ }
    return null;
  }

  function newSession() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function pageLanguage() {
    var lang = (document.documentElement.getAttribute("lang") || navigator.language || "fi").slice(0, 2).toLowerCase();
    return TEXTS[lang] ? lang : "fi";
  }

  var state = load() || { session: newSession(), history: [], open: false, language: pageLanguage() };
  if (!TEXTS[state.language]) state.language = pageLanguage();

  function save() {
    state.history = state.history.slice(-MAX_HISTORY);
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* storage full or off */ }
  }

  function t(key) { return TEXTS[state.language][key]; }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Text with http(s) addresses as links; everything else stays text.
  function fill(node, text) {
    var pattern = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      node.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = el("a", { href: match[0], target: "_blank", rel: "noopener noreferrer" }, match[0]);
      node.appendChild(link);
      last = match.index + match[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  var style = el("link", { rel: "stylesheet", href: BASE + "frontdoor.css" });
  document.head.appendChild(style);

  var root = el("div", { class: "fdw", "data-frontdoor-widget": "" });
  var launcher = el("button", { type: "button", class: "fdw-launcher", "aria-expanded": "false", "aria-controls": "fdw-panel" });
  var panel = el("section", { id: "fdw-panel", class: "fdw-panel", "aria-labelledby": "fdw-title", hidden: "" });
  var header = el("div", { class: "fdw-header" });
  var title = el("h2", { id: "fdw-title", class: "fdw-title" });
  var tools = el("div", { class: "fdw-tools" });
  var languageLabel = el("label", { for: "fdw-language", class: "fdw-visually-hidden" });
  var language = el("select", { id: "fdw-language", class: "fdw-language" });
  [["fi", "Suomi"], ["en", "English"], ["sv", "Svenska"]].forEach(function (pair) {
    var option = el("option", { value: pair[0], lang: pair[0] }, pair[1]);
    language.appendChild(option);
  });
  var restart = el("button", { type: "button", class: "fdw-restart" });
  var close = el("button", { type: "button", class: "fdw-close" });
  // The connection's state: empty while connected (a live region present from the start is announced reliably).
  var status = el("p", { class: "fdw-status", role: "status", "aria-live": "polite", "aria-atomic": "true" });
  var log = el("div", { class: "fdw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var typing = el("p", { class: "fdw-typing", role: "status", hidden: "" });
  var choices = el("div", { class: "fdw-choices", role: "group" });
  var form = el("form", { class: "fdw-form" });
  var inputLabel = el("label", { for: "fdw-input", class: "fdw-visually-hidden" });
  var input = el("input", { id: "fdw-input", class: "fdw-input", type: "text", autocomplete: "off", maxlength: String(MAX_LENGTH) });
  var send = el("button", { type: "submit", class: "fdw-send" });
  var privacy = el("a", { class: "fdw-privacy", target: "_blank", rel: "noopener" });

  // Title and close on the first row, the language and "start over" on a row of their own: close always fits.
  header.appendChild(title);
  header.appendChild(close);
  header.appendChild(tools);
  tools.appendChild(languageLabel);
  tools.appendChild(language);
  tools.appendChild(restart);
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(choices);
  panel.appendChild(form);
  panel.appendChild(privacy);
  root.appendChild(panel);
  root.appendChild(launcher);

  function label() {
    root.setAttribute("lang", state.language);
    launcher.textContent = t("open");
    title.textContent = t("title");
    close.textContent = "×";
    close.setAttribute("aria-label", t("close"));
    restart.textContent = t("restart");
    languageLabel.textContent = t("language");
    language.value = state.language;
    log.setAttribute("aria-label", t("log"));
    choices.setAttribute("aria-label", t("choices"));
    inputLabel.textContent = t("input");
    input.setAttribute("placeholder", t("input"));
    send.textContent = t("send");
    typing.textContent = t("typing");
    privacy.textContent = t("privacy");
    privacy.setAttribute("href", new URL("../privacy/" + state.language + ".html", BASE).href);
    privacy.setAttribute("lang", state.language);
    announce(connection);
  }

  // The connection as the customer is told: "" while all is well (also while first connecting), "offline" once
  // it was lost (the client keeps trying), "connecting" while a first connection keeps failing.
  // One text per state: a screen reader hears it once, not per attempt.
  var connection = "";
  var everJoined = false;

  function announce(what) {
    connection = what || "";
    if (status.textContent !== (connection ? t(connection) : "")) status.textContent = connection ? t(connection) : "";
    state.history.forEach(mark);
  }

  // A message waiting for the connection says so while the connection is away.
  function mark(entry) {
    if (entry.from !== "user" || !entry.id) return;
    var item = log.querySelector('[data-fdw-id="' + entry.id + '"]');
    if (!item) return;
    var note = item.querySelector(".fdw-waiting");
    var waiting = Boolean(entry.waiting && connection);
    if (waiting && !note) item.appendChild(el("span", { class: "fdw-waiting" }, t("waiting")));
    if (note && !waiting) item.removeChild(note);
    if (note && waiting) note.textContent = t("waiting");
  }

  function show(entry) {
    var item = el("div", { class: "fdw-message fdw-" + entry.from });
    if (entry.id) item.setAttribute("data-fdw-id", entry.id);
    item.appendChild(el("span", { class: "fdw-visually-hidden" }, (entry.from === "user" ? t("you") : t("bot")) + ": "));
    var text = el("p", { class: "fdw-text" });
    fill(text, entry.text || "");
    item.appendChild(text);
    log.appendChild(item);
    mark(entry);
    log.scrollTop = log.scrollHeight;
  }

  function offer(buttons) {
    choices.textContent = "";
    (buttons || []).forEach(function (button) {
      var choice = el("button", { type: "button", class: "fdw-choice" }, button.title);
      choice.addEventListener("click", function () {
        say(button.payload, button.title);
        input.focus();  // the chosen button is gone: keyboard users go on typing
      });
      choices.appendChild(choice);
    });
    log.scrollTop = log.scrollHeight;  // the buttons took room from the log: its last message stays in view
  }

  function render() {
    log.textContent = "";
    show({ from: "bot", text: t("welcome") });
    state.history.forEach(show);
    var last = state.history[state.history.length - 1];
    offer(last && last.from === "bot" ? last.buttons : []);
  }

  var socket = null;
  var typingTimer = null;
  // The session joined on this connection (session_confirm came): only then do messages go out (answers reach it).
  var joined = false;
  // Messages sent but not yet confirmed by the server (it acknowledges after the answer). If the connection drops
  // first, they go out again after the reconnect: a dead connection can swallow them until the client notices.
  var inflight = [];
  var RESEND_WITHIN = 120000;

  function setTyping(on) {
    window.clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) typingTimer = window.setTimeout(function () { typing.hidden = true; }, 30000);
  }

  function join() {
    joined = false;
    if (socket && socket.connected) socket.emit("session_request", { session_id: state.session });
  }

  // Everything waiting goes out, oldest first, once the session is joined.
  function flush() {
    if (!socket || !socket.connected || !joined) return;
    var waiting = state.history.filter(function (entry) { return entry.from === "user" && entry.waiting; });
    if (!waiting.length) return;
    waiting.forEach(function (entry) {
      var sending = { entry: entry, payload: typeof entry.payload === "string" ? entry.payload : entry.text, at: Date.now() };
      delete entry.waiting;
      delete entry.payload;
      inflight.push(sending);
      // message_id: the same for a message sent again, so that a server that keeps message ids can tell a repeat.
      var message = { message: sending.payload, session_id: state.session, message_id: entry.id };
      if (PARTNER) message.metadata = { frontdoor_partner: PARTNER };
      socket.emit("user_uttered", message, function () {
        inflight = inflight.filter(function (other) { return other !== sending; });
      });
      mark(entry);
    });
    save();
    setTyping(true);
  }

  function forget() {
    // The bot erased this conversation on the customer's request: the browser's copy goes too, but its last words.
    var last = state.history.filter(function (entry) { return entry.from === "bot"; }).slice(-1);
    state.session = newSession();
    state.history = last;
    inflight = [];
    save();
    join();
    render();
  }

  function received(message) {
    if (message && message.frontdoor === "erased") { forget(); return; }
    if (!message || typeof message.text !== "string") return;
    setTyping(false);
    var buttons = (message.quick_replies || message.buttons || []).filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
    var entry = { from: "bot", text: message.text, buttons: buttons };
    state.history.push(entry);
    save();
    show(entry);
    offer(buttons);
  }

  function lost() {
    joined = false;
    setTyping(false);
    // What the server had not confirmed waits again (in the order it was said), unless it is old.
    var now = Date.now();
    inflight.forEach(function (sending) {
      if (now - sending.at > RESEND_WITHIN || state.history.indexOf(sending.entry) < 0) return;
      sending.entry.waiting = true;
      sending.entry.payload = sending.payload;
    });
    inflight = [];
    save();
    announce("offline");
  }

  function connect() {
    if (socket || !window.io) return;
    socket = window.io(SERVER, { transports: ["websocket"], reconnection: true, reconnectionDelayMax: 5000 });
    socket.on("connect", join);
    socket.on("session_confirm", function () {
      joined = true;
      everJoined = true;
      announce("");
      flush();
    });
    socket.on("bot_uttered", received);
    socket.on("disconnect", function (reason) {
      lost();
      // The server closed this socket itself: the client does not retry on its own then.
      if (reason === "io server disconnect") socket.connect();
    });
    function trying() { if (!connection) announce(everJoined ? "offline" : "connecting"); }
    socket.on("connect_error", trying);
    socket.io.on("reconnect_attempt", trying);
  }

  function say(payload, shown) {
    var text = (shown || payload || "").trim();
    if (!text) return;
    var entry = { from: "user", text: text.slice(0, MAX_LENGTH), id: newSession(), waiting: true };
    if (payload !== entry.text) entry.payload = payload.slice(0, MAX_LENGTH);
    state.history.push(entry);
    save();
    show(entry);
    offer([]);
    flush();
  }

  function open(focusInput) {
    state.open = true;
    save();
    panel.hidden = false;
    root.classList.add("fdw-open");  // on a narrow screen the chat fills it and the launcher steps aside
    launcher.setAttribute("aria-expanded", "true");
    connect();
    if (focusInput) input.focus();
  }

  function shut() {
    state.open = false;
    save();
    panel.hidden = true;
    root.classList.remove("fdw-open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(true); else shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") shut(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    say(text);
  });
  language.addEventListener("change", function () {
    if (TEXTS[language.value]) { state.language = language.value; save(); label(); render(); }
  });
  restart.addEventListener("click", function () {
    state.session = newSession();
    state.history = [];
    inflight = [];
    save();
    join();
    render();
    input.focus();
  });

  function start() {
    document.body.appendChild(root);
    label();
    render();
    if (state.open) open(false);
  }

  var loader = el("script", { src: BASE + "../vendor/socket.io.min.js" });
  loader.onload = function () { if (state.open) connect(); };
  document.head.appendChild(loader);
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
