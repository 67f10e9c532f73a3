/*
 * Question answering chat, shared by the full page (index.html) and the embeddable widget (widget.js). A native
 * ES module: index.html loads it with <script type="module">, widget.js with import().
 *
 * Exports mountChat(rootElement, {endpoint, lang, mode, onClose, onLanguage, examples, topK, apiKey}), also
 * window.BorderQAChat.mountChat, and mounts itself into every element of the page that carries a
 * `data-border-qa-chat` attribute (optional data-endpoint, data-lang, data-key). mountChat returns {element,
 * focus(), ask(question), isViewerOpen(), closeViewer()}. apiKey (a read key) is sent as "Authorization: Bearer"
 * when the server needs keys for reads.
 *
 * The language switch in the header draws the chat again in the language picked, with the same conversation,
 * filters and question being typed; the pick is remembered in this browser.
 *
 * Safety: every piece of text that comes from the server (answers, titles, document text, error messages) is
 * inserted with textContent / text nodes. Nothing is ever assigned to innerHTML.
 */
import { createAnswers } from "./answer.js";
import { createClient } from "./api.js";
import { createCatalog } from "./catalog.js";
import { createComposer } from "./composer.js";
import { createConversation } from "./conversation.js";
import { createDocumentsView } from "./documents.js";
import { attrs, el, ICONS, svgIcon } from "./dom.js";
import { createExplainer } from "./explain.js";
import { createFeedback } from "./feedback.js";
import { createFilters } from "./filters.js";
import { STRINGS, storedLanguage, storeLanguage, UI_LANGUAGES, uiLanguage } from "./i18n.js";
import { createViewer } from "./viewer.js";

// The switch between the interface languages, each named in itself; the narrow widget shows their codes (the
// names still read out), leaving its header's width to the title.
function languageSwitch(t, lang, uid, compact) {
  const select = attrs(el("select", "bqa-lang-switch"), { "aria-label": t.languageLabel, title: t.languageLabel });
  select.id = uid + "-lang";
  UI_LANGUAGES.forEach((code) => {
    const name = STRINGS[code].languageName;
    const option = attrs(el("option", null, compact ? code.toUpperCase() : name), { value: code, lang: code });
    if (compact) option.setAttribute("aria-label", name);
    option.selected = code === lang;
    select.appendChild(option);
  });
  return select;
}

// Draws the chat in `lang` into `root`; `restore` carries the state of the chat it replaces. `relabel(code)` is
// called when the reader picks another language.
function buildChat(root, options, lang, restore, relabel) {
  const t = STRINGS[lang];
  const mode = options.mode === "widget" ? "widget" : "page";
  const uid = "bqa" + Math.random().toString(36).slice(2, 8);
  const request = createClient(options.endpoint, options.apiKey);
  // What the parts share. The full page starts its headings at h1, the widget at h2 (the host page has an h1).
  const ctx = {
    t: t,
    uid: uid,
    topK: options.topK || 5,
    request: request,
    catalog: restore ? restore.catalog : createCatalog(request),
    heading: (level) => "h" + (mode === "page" ? level : level + 1),
    onBusy: () => {},
    onFiltersShown: () => {},
    reveal: () => {}
  };

  root.textContent = "";
  const shell = el("div", "bqa bqa--" + mode);
  shell.setAttribute("lang", lang);

  const header = el("header", "bqa-header");
  const brand = el("div", "bqa-brand");
  const logo = el("span", "bqa-logo");
  logo.appendChild(svgIcon(ICONS.search));
  const titles = el("div", "bqa-titles");
  const heading = el(ctx.heading(1), "bqa-title", t.title);
  heading.id = uid + "-title";
  titles.appendChild(heading);
  titles.appendChild(el("p", "bqa-subtitle", t.subtitle));
  brand.appendChild(logo);
  brand.appendChild(titles);
  header.appendChild(brand);
  const switcher = languageSwitch(t, lang, uid, mode === "widget");
  header.appendChild(switcher);
  const docsButton = attrs(el("button", "bqa-docs-toggle"), {
    type: "button",
    title: t.documents,
    "aria-pressed": "false",
    "aria-controls": uid + "-docs"
  });
  docsButton.appendChild(svgIcon(ICONS.doc));
  docsButton.appendChild(el("span", "bqa-docs-toggle-text", t.documents)); // hidden, not removed, where narrow
  header.appendChild(docsButton);
  if (typeof options.onClose === "function") {
    const closeButton = attrs(el("button", "bqa-icon-button bqa-close"), {
      type: "button",
      "aria-label": t.close,
      title: t.close
    });
    closeButton.appendChild(svgIcon(ICONS.close));
    closeButton.addEventListener("click", () => options.onClose());
    header.appendChild(closeButton);
  }

  ctx.viewer = createViewer(ctx);
  const filters = createFilters(ctx);
  const examples = Array.isArray(options.examples) && options.examples.length ? options.examples : t.examples;
  let conversation = null;
  const composer = createComposer(
    ctx,
    filters,
    (question) => conversation.ask(question),
    () => {
      conversation.clear();
      composer.focus();
    }
  );
  const answers = createAnswers(ctx, { why: createExplainer(ctx), feedback: createFeedback(ctx) });
  conversation = createConversation(
    ctx,
    { composer: composer, filters: filters, answers: answers, examples: examples },
    restore && restore.conversation
  );
  const docsView = createDocumentsView(ctx);

  ctx.reveal = conversation.reveal;
  ctx.onFiltersShown = composer.filtersShown;
  ctx.onBusy = (busy) => {
    shell.classList.toggle("bqa-busy", busy);
    switcher.disabled = busy; // a pending reply belongs to the chat that asked
  };

  function showDocuments(show) {
    docsView.show(show);
    conversation.element.hidden = show;
    composer.element.hidden = show;
    docsButton.setAttribute("aria-pressed", show ? "true" : "false");
    if (!show) composer.focus();
  }
  docsButton.addEventListener("click", () => showDocuments(!docsView.isShown()));

  switcher.addEventListener("change", () => {
    const code = switcher.value;
    if (!STRINGS[code] || code === lang) return;
    storeLanguage(code);
    ctx.catalog.detach();
    relabel(code, {
      catalog: ctx.catalog,
      conversation: conversation.snapshot(),
      filters: filters.state(),
      text: composer.text()
    });
  });

  shell.appendChild(header);
  shell.appendChild(conversation.element);
  shell.appendChild(docsView.element);
  shell.appendChild(composer.element);
  shell.appendChild(ctx.viewer.element);
  root.appendChild(shell);

  if (restore) {
    filters.restore(restore.filters);
    composer.setText(restore.text);
    conversation.scrollToEnd();
  }

  return {
    element: shell,
    switcher: switcher,
    focus() {
      if (docsView.isShown()) docsView.focus();
      else composer.focus();
    },
    ask: composer.ask,
    isViewerOpen: ctx.viewer.isOpen,
    closeViewer: ctx.viewer.close
  };
}

// Mounts the chat into `root`. The object returned stays valid when the reader switches the language.
export function mountChat(root, options) {
  options = options || {};
  let chat = null;

  function build(lang, restore) {
    chat = buildChat(root, options, lang, restore, (code, state) => {
      build(code, state);
      chat.switcher.focus(); // the reader is on the switch
    });
    if (options.setsDocument) {
      document.documentElement.setAttribute("lang", lang);
      document.title = STRINGS[lang].title;
    }
    if (typeof options.onLanguage === "function") options.onLanguage(lang);
  }

  build(uiLanguage(storedLanguage() || options.lang), null);
  return {
    get element() {
      return chat.element;
    },
    focus: () => chat.focus(),
    ask: (question) => chat.ask(question),
    isViewerOpen: () => chat.isViewerOpen(),
    closeViewer: () => chat.closeViewer()
  };
}

function autoMount() {
  document.querySelectorAll("[data-border-qa-chat]").forEach((node) => {
    if (node.getAttribute("data-mounted")) return;
    node.setAttribute("data-mounted", "1");
    const chat = mountChat(node, {
      endpoint: node.getAttribute("data-endpoint") || "",
      lang: node.getAttribute("data-lang") || undefined,
      apiKey: node.getAttribute("data-key") || undefined,
      mode: "page",
      setsDocument: node.hasAttribute("data-page")
    });
    if (node.hasAttribute("data-autofocus")) chat.focus();
  });
}

window.BorderQAChat = { mountChat: mountChat, strings: STRINGS, version: "2" };

// A module runs once the document is parsed; imported later (the widget), it mounts what the page has.
autoMount();
