/* The document viewer: a modal dialog with the full text, scrolled to the cited sentence with the span marked. */
import { attrs, el, ICONS, svgIcon } from "./dom.js";
import { appendInlineError } from "./errors.js";
import { formatDate, langBadge } from "./format.js";
import { appendWithSentence } from "./highlight.js";

export function createViewer(ctx) {
  const t = ctx.t;
  const viewer = attrs(el("dialog", "bqa-viewer"), { "aria-labelledby": ctx.uid + "-doc-title" });
  const head = el("div", "bqa-viewer-head");
  const titles = el("div", "bqa-viewer-titles");
  const title = el("h2", "bqa-viewer-title");
  title.id = ctx.uid + "-doc-title";
  const meta = el("p", "bqa-viewer-meta");
  titles.appendChild(title);
  titles.appendChild(meta);
  const close = attrs(el("button", "bqa-icon-button"), { type: "button", "aria-label": t.closeViewer, title: t.closeViewer });
  close.appendChild(svgIcon(ICONS.close));
  close.addEventListener("click", () => viewer.close());
  head.appendChild(titles);
  head.appendChild(close);
  const body = attrs(el("div", "bqa-viewer-body"), { tabindex: "0" });
  viewer.appendChild(head);
  viewer.appendChild(body);
  viewer.addEventListener("click", (event) => {
    if (event.target === viewer) viewer.close(); // a click on the backdrop
  });

  function show() {
    if (viewer.open) return;
    if (typeof viewer.showModal === "function") viewer.showModal();
    else viewer.setAttribute("open", "");
  }

  let viewing = 0;

  // Opens the document of `answer` ({doc_id, title} and, to mark, sentence/text with their offsets).
  function open(answer) {
    const ticket = ++viewing; // a slower earlier request must not overwrite a later one
    title.textContent = answer.title || answer.doc_id;
    meta.textContent = "";
    body.textContent = "";
    body.appendChild(el("p", "bqa-viewer-status", t.docLoading));
    show();
    ctx.catalog.text(answer.doc_id).then(
      (doc) => {
        if (ticket !== viewing) return;
        title.textContent = doc.title || doc.doc_id;
        meta.textContent = "";
        meta.appendChild(langBadge(t, doc.lang));
        meta.appendChild(el("span", "bqa-viewer-id", doc.doc_id));
        if (doc.date) {
          meta.appendChild(attrs(el("time", "bqa-viewer-date", formatDate(t, doc.date)), { datetime: doc.date }));
        }
        meta.appendChild(el("span", "bqa-viewer-size", t.chars((doc.text || "").length)));
        ctx.catalog.note([doc]);
        body.textContent = "";
        const textBox = el("div", "bqa-doc-text");
        const mark = appendWithSentence(textBox, doc.text, answer, 0);
        body.appendChild(textBox);
        if (mark) {
          mark.setAttribute("tabindex", "-1");
          mark.scrollIntoView({ block: "center" });
        } else {
          body.scrollTop = 0; // a document opened from the list starts at its top
        }
      },
      (error) => {
        if (ticket !== viewing) return;
        body.textContent = "";
        const box = attrs(el("div", "bqa-viewer-status bqa-error-inline"), { role: "alert" });
        appendInlineError(t, box, t.docError, error);
        body.appendChild(box);
      }
    );
  }

  return {
    element: viewer,
    open: open,
    isOpen: () => viewer.open,
    close() {
      if (viewer.open) viewer.close();
    }
  };
}
