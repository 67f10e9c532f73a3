/*
 * "Why?" under a reply: asks the same question again (same history and filters) with `explain: true`, once, and
 * shows what each stage found in a panel that Enter or Space toggles and Escape closes.
 */
import { attrs, el, txt } from "./dom.js";
import { appendInlineError } from "./errors.js";
import { num } from "./format.js";

// How much of each list of the explanation is shown.
const SHOWN_PASSAGES = 5;
const SHOWN_SENTENCES = 8;

// name value · name value … of the numbers of `record` (and its text fields quoted), in the record's order.
function figures(record, skip) {
  const line = el("span", "bqa-figures");
  Object.keys(record || {}).forEach((key) => {
    if (skip.indexOf(key) >= 0) return;
    const value = record[key];
    if (value === null || value === undefined || typeof value === "object") return;
    const figure = el("span", "bqa-figure");
    figure.appendChild(el("span", "bqa-figure-name", key));
    figure.appendChild(txt(" "));
    figure.appendChild(el("span", "bqa-figure-value", typeof value === "number" ? num(value, 3) : "“" + value + "”"));
    line.appendChild(figure);
  });
  return line;
}

export function createExplainer(ctx) {
  const t = ctx.t;
  let count = 0;

  function renderWhy(data, body, notFound) {
    const id = ctx.uid + "-why" + ++count;
    const box = el("div", "bqa-why");
    const toggle = attrs(el("button", "bqa-why-toggle"), { type: "button", "aria-expanded": "false", "aria-controls": id });
    toggle.appendChild(el("span", "bqa-why-text", t.why));
    toggle.appendChild(el("span", "bqa-sr", " " + (notFound ? t.whyNotFoundLabel : t.whyLabel)));
    const panel = attrs(el("section", "bqa-explain"), { tabindex: "0", "aria-label": t.explainTitle });
    panel.id = id;
    panel.hidden = true;
    box.appendChild(toggle);
    box.appendChild(panel);

    let state = "idle"; // idle → loading → done (a failure goes back to idle: the next opening retries)

    function setOpen(open) {
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      box.classList.toggle("bqa-why--open", open);
      if (open && state === "idle") load();
      if (open) ctx.reveal(panel);
    }

    function load() {
      state = "loading";
      panel.textContent = "";
      panel.appendChild(attrs(el("p", "bqa-explain-status", t.explainLoading), { role: "status" }));
      const again = Object.assign({}, body, { explain: true });
      ctx.request("POST", "/ask", again).then(
        (reply) => {
          state = "done";
          panel.textContent = "";
          renderExplanation(panel, (reply && reply.explanation) || null, reply || data);
          if (!panel.hidden) ctx.reveal(panel);
        },
        (error) => {
          state = "idle";
          panel.textContent = "";
          const failed = attrs(el("div", "bqa-explain-status bqa-error-inline"), { role: "alert" });
          appendInlineError(t, failed, t.explainError, error);
          panel.appendChild(failed);
        }
      );
    }

    toggle.addEventListener("click", () => setOpen(panel.hidden));
    box.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || panel.hidden) return;
      event.preventDefault();
      event.stopPropagation(); // in the widget, Escape would close the whole panel
      setOpen(false);
      toggle.focus();
    });
    return box;
  }

  function heading(text) {
    return el(ctx.heading(3), "bqa-explain-heading", text);
  }

  // A list under its heading, or "None." when it is empty.
  function section(panel, title, items, listClass, render) {
    panel.appendChild(heading(title));
    if (!items.length) {
      panel.appendChild(el("p", "bqa-explain-empty", t.explainNone));
      return;
    }
    const list = el("ol", "bqa-explain-list " + listClass);
    items.forEach((item) => list.appendChild(render(item)));
    panel.appendChild(list);
  }

  function renderExplanation(panel, exp, data) {
    if (!exp) {
      panel.appendChild(el("p", "bqa-explain-status", t.explainNone));
      return;
    }
    const answered = !exp.stage;
    const verdict = el("p", "bqa-explain-verdict bqa-explain-verdict--" + (answered ? "answered" : "abstained"));
    verdict.setAttribute("lang", "en"); // the server states it in English
    verdict.textContent = String(exp.verdict || "");
    panel.appendChild(verdict);

    const facts = el("dl", "bqa-explain-facts");
    function fact(name, value, valueLang) {
      const row = el("div", "bqa-explain-fact");
      row.appendChild(el("dt", null, name));
      const dd = el("dd", null, value);
      if (valueLang) dd.setAttribute("lang", valueLang);
      row.appendChild(dd);
      facts.appendChild(row);
    }
    fact(t.explainStage, answered ? t.explainNoStage : t.stageNames[exp.stage] || String(exp.stage));
    if (typeof exp.threshold === "number") fact(t.explainThreshold, num(exp.threshold, 3));
    const question = exp.question || {};
    if (question.kind) fact(t.explainKind, t.kindNames[question.kind] || String(question.kind));
    if (question.follow_up && question.read_as) fact(t.explainReadAs, "“" + question.read_as + "”");
    const filters = question.filters || {};
    const filterKeys = Object.keys(filters);
    if (filterKeys.length) {
      const shown = filterKeys.map((key) => {
        const value = filters[key];
        return key + " " + (Array.isArray(value) ? value.join(", ") : String(value));
      });
      fact(t.explainFilters, shown.join(" · "));
    }
    panel.appendChild(facts);

    // Titles of the passages named by id: from this reply's passages, else the documents list.
    const titles = {};
    ((data && data.passages) || []).forEach((p) => {
      titles[p.doc_id] = p.title;
    });
    const titleOf = (docId) => titles[docId] || ctx.catalog.title(docId) || docId;

    const fused = ((exp.retrieval || {}).fused || []).slice(0, SHOWN_PASSAGES);
    section(panel, t.explainPassages, fused, "bqa-explain-passages", (p) => {
      const item = el("li", "bqa-explain-passage");
      const head = el("span", "bqa-explain-item-head");
      const name = el("span", "bqa-explain-doc", titleOf(p.doc_id));
      name.setAttribute("title", String(p.doc_id));
      head.appendChild(name);
      head.appendChild(el("span", "bqa-explain-score", num(p.score, 3)));
      item.appendChild(head);
      item.appendChild(el("span", "bqa-explain-id", p.doc_id + " #" + p.chunk_id));
      item.appendChild(figures(p, ["doc_id", "chunk_id", "score"]));
      return item;
    });

    const sentences = ((exp.reading || {}).sentences || []).slice(0, SHOWN_SENTENCES);
    section(panel, t.explainSentences, sentences, "bqa-explain-sentences", (s) => {
      const item = el("li", "bqa-explain-sentence");
      item.appendChild(el("q", "bqa-explain-quote", s.sentence || ""));
      item.appendChild(figures(s, ["doc_id", "chunk_id", "sentence"]));
      return item;
    });

    panel.appendChild(heading(t.explainInputs));
    const best = (exp.answers || [])[0];
    if (!best) panel.appendChild(el("p", "bqa-explain-empty", t.explainNone));
    else {
      const candidate = el("p", "bqa-explain-candidate");
      candidate.appendChild(el("q", "bqa-explain-quote", best.text || ""));
      candidate.appendChild(txt(" "));
      candidate.appendChild(el("span", "bqa-explain-score", num(best.confidence, 3)));
      panel.appendChild(candidate);
      panel.appendChild(figures(best.inputs || {}, []));
    }
  }

  return renderWhy;
}
