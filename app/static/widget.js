/*
 * Embeddable chat widget:
 *
 *   <script src="https://qa.example/widget.js" data-endpoint="https://qa.example" defer></script>
 *
 * Adds a launcher button (bottom-right) and a chat panel. Both live in a shadow root, so the host page's styles
 * do not reach them and theirs do not reach the host page. The chat itself is the module chat/main.js (the same
 * code as the full page), imported from the endpoint together with chat.css.
 *
 * Optional attributes: data-endpoint (default: this script's origin), data-lang ("ru", "en", "kk", "ky", "uz" or
 * "tg"; default: the browser language), data-key (a read API key, for a server run with RAG_READ_AUTH=true: anyone
 * who can see the page can read it, so never an admin key). The host page can call window.BorderQAWidget.open() /
 * .close().
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (document.querySelector("border-qa-widget")) return; // embedded twice

  function origin(src) {
    try {
      return new URL(src, window.location.href).origin;
    } catch (ignored) {
      return window.location.origin;
    }
  }

  var endpoint = (script && script.getAttribute("data-endpoint")) || (script && script.src ? origin(script.src) : "");
  endpoint = String(endpoint || window.location.origin).replace(/\/+$/, "");
  var preferredLang = (script && script.getAttribute("data-lang")) || undefined;
  var apiKey = (script && script.getAttribute("data-key")) || undefined;

  // The launcher's and the panel's names, in the chat's languages (the chat says which one it shows).
  var LABELS = {
    en: { open: "Open the document Q&A chat", panel: "Document Q&A" },
    ru: { open: "Открыть чат вопросов по документам", panel: "Вопросы по документам" },
    kk: { open: "Құжаттар бойынша сұрақтар чатын ашу", panel: "Құжаттар бойынша сұрақтар" },
    ky: { open: "Документтер боюнча суроолор чатын ачуу", panel: "Документтер боюнча суроолор" },
    uz: { open: "Hujjatlar boʻyicha savollar chatini ochish", panel: "Hujjatlar boʻyicha savollar" },
    tg: { open: "Кушодани чати саволҳо аз рӯи ҳуҷҷатҳо", panel: "Саволҳо аз рӯи ҳуҷҷатҳо" }
  };
  var wanted = String(preferredLang || navigator.language || "").toLowerCase().slice(0, 2);
  var labels = LABELS[wanted] || LABELS.en;

  // The chat module; a classic script may import() one (cross-origin, the endpoint's assets allow it).
  function loadChat(url, done, fail) {
    if (window.BorderQAChat && window.BorderQAChat.mountChat) {
      done(window.BorderQAChat);
      return;
    }
    import(url).then(done, fail);
  }

  function icon(d) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  function build() {
    var host = document.createElement("border-qa-widget");
    // Keep the host element itself out of the page layout whatever the page's CSS says.
    var hostStyle = {
      all: "initial",
      display: "block",
      position: "fixed",
      right: "0",
      bottom: "0",
      width: "0",
      height: "0",
      overflow: "visible",
      "z-index": "2147483000"
    };
    Object.keys(hostStyle).forEach(function (key) {
      host.style.setProperty(key, hostStyle[key], "important");
    });
    var shadow = host.attachShadow({ mode: "open" });

    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = endpoint + "/static/chat.css";
    shadow.appendChild(sheet);

    var frame = document.createElement("div");
    frame.className = "bqa-widget";
    frame.hidden = true; // until the stylesheet has loaded

    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "bqa-launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "bqa-panel");
    launcher.appendChild(
      icon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 5v2h10V8zm0 4v2h7v-2z")
    );

    var panel = document.createElement("div");
    panel.className = "bqa-panel";
    panel.id = "bqa-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");

    function relabel(names) {
      launcher.setAttribute("aria-label", names.open);
      launcher.setAttribute("title", names.open);
      panel.setAttribute("aria-label", names.panel);
    }
    relabel(labels);

    frame.appendChild(panel);
    frame.appendChild(launcher);
    shadow.appendChild(frame);
    (document.body || document.documentElement).appendChild(host);

    var chat = null;

    function open() {
      if (!chat) return;
      panel.hidden = false;
      frame.classList.add("bqa-widget--open");
      launcher.setAttribute("aria-expanded", "true");
      chat.focus();
    }

    function close() {
      if (!chat || panel.hidden) return;
      chat.closeViewer();
      panel.hidden = true;
      frame.classList.remove("bqa-widget--open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", function () {
      if (panel.hidden) open();
      else close();
    });
    panel.addEventListener("keydown", function (event) {
      // Escape inside the document viewer closes only the viewer (the dialog handles it).
      if (event.key === "Escape" && !(chat && chat.isViewerOpen())) {
        event.preventDefault();
        close();
      }
    });

    var ready = 0;
    function show() {
      ready += 1;
      if (ready === 2) frame.hidden = false; // stylesheet and chat script both loaded
    }
    sheet.addEventListener("load", show);
    sheet.addEventListener("error", show);

    var url = endpoint + "/static/chat/main.js";
    loadChat(
      url,
      function (module) {
        chat = module.mountChat(panel, {
          endpoint: endpoint,
          lang: preferredLang,
          apiKey: apiKey,
          mode: "widget",
          onClose: close,
          onLanguage: function (code) {
            relabel(LABELS[code] || LABELS.en);
          }
        });
        window.BorderQAWidget = { open: open, close: close, endpoint: endpoint };
        show();
      },
      function () {
        if (window.console) window.console.warn("border-qa widget: could not load " + url);
      }
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
