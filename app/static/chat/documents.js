/* The documents view: every document (title, language, date, collection, size), filtered by title as one types. */
import { activeElement, attrs, el, txt } from "./dom.js";
import { errorLine } from "./errors.js";
import { formatDate, langBadge } from "./format.js";

// GET /documents is filtered here, in the browser; drawing more rows than this would help nobody.
const MAX_LISTED = 200;

export function createDocumentsView(ctx) {
  const t = ctx.t;
  const view = attrs(el("section", "bqa-docs"), { "aria-labelledby": ctx.uid + "-docs-title" });
  view.id = ctx.uid + "-docs";
  view.hidden = true;
  const heading = el(ctx.heading(2), "bqa-docs-title", t.documents);
  heading.id = ctx.uid + "-docs-title";
  const filter = attrs(el("input", "bqa-docs-filter"), {
    type: "search",
    placeholder: t.docsFilterPlaceholder,
    "aria-label": t.docsFilter,
    "aria-controls": ctx.uid + "-docs-list",
    autocomplete: "off"
  });
  const status = attrs(el("p", "bqa-docs-status"), { role: "status", "aria-live": "polite" });
  const list = attrs(el("ul", "bqa-docs-list"), { "aria-labelledby": ctx.uid + "-docs-title" });
  list.id = ctx.uid + "-docs-list";
  view.appendChild(heading);
  view.appendChild(filter);
  view.appendChild(status);
  view.appendChild(list);
  filter.addEventListener("input", render);

  // Up and down arrows move between the filter and the documents; Tab works as everywhere.
  view.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const buttons = Array.prototype.slice.call(list.querySelectorAll(".bqa-doc"));
    const active = activeElement(view);
    const at = buttons.indexOf(active);
    if (!buttons.length || (at < 0 && active !== filter)) return;
    event.preventDefault();
    const next = at + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) filter.focus();
    else buttons[Math.min(next, buttons.length - 1)].focus();
  });

  function load() {
    status.classList.remove("bqa-docs-status--error");
    if (!ctx.catalog.all()) status.textContent = t.docsLoading;
    ctx.catalog.reload().then(
      (docs) => {
        if (docs) render();
      },
      (error) => {
        list.textContent = "";
        status.textContent = t.docsError + " " + errorLine(t, error);
        status.classList.add("bqa-docs-status--error");
      }
    );
  }

  function render() {
    const all = ctx.catalog.all();
    if (!all) return;
    const query = filter.value.trim().toLocaleLowerCase();
    const matches = all.filter(
      (doc) => !query || String(doc.title || doc.doc_id).toLocaleLowerCase().indexOf(query) >= 0
    );
    list.textContent = "";
    matches.slice(0, MAX_LISTED).forEach((doc) => list.appendChild(renderItem(doc)));
    status.classList.remove("bqa-docs-status--error");
    if (!matches.length) status.textContent = t.docsEmpty;
    else {
      const more = matches.length > MAX_LISTED ? " " + t.docsMore(MAX_LISTED) : "";
      status.textContent = t.docsCount(matches.length, all.length) + more;
    }
  }

  function field(name, value, className) {
    const node = el("span", "bqa-doc-field " + className);
    node.appendChild(el("span", "bqa-doc-field-name", name));
    node.appendChild(txt(" "));
    node.appendChild(el("span", "bqa-doc-field-value", value));
    return node;
  }

  function renderItem(doc) {
    const item = el("li", "bqa-docs-item");
    const button = attrs(el("button", "bqa-doc"), { type: "button", "aria-haspopup": "dialog" });
    button.appendChild(el("span", "bqa-doc-title", doc.title || doc.doc_id));
    const meta = el("span", "bqa-doc-meta");
    const language = el("span", "bqa-doc-field bqa-doc-lang");
    language.appendChild(el("span", "bqa-sr", t.docLanguage + " "));
    language.appendChild(langBadge(t, doc.lang));
    meta.appendChild(language);
    meta.appendChild(field(t.docDate, doc.date ? formatDate(t, doc.date) : "—", "bqa-doc-date"));
    meta.appendChild(field(t.docCollection, doc.collection || "—", "bqa-doc-collection"));
    meta.appendChild(el("span", "bqa-doc-field bqa-doc-size", t.chars(Number(doc.chars) || 0)));
    button.appendChild(meta);
    button.addEventListener("click", () => {
      ctx.viewer.open({ doc_id: doc.doc_id, title: doc.title }); // no answer: the text without a highlight
    });
    item.appendChild(button);
    return item;
  }

  return {
    element: view,
    isShown: () => !view.hidden,
    focus: () => filter.focus(),
    // Shows or hides the view; shown, the list is fetched again (documents may have come or gone meanwhile).
    show(shown) {
      view.hidden = !shown;
      if (shown) {
        load();
        filter.focus();
      }
    }
  };
}
