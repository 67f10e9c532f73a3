/*
 * A reply: the answer sentence with its span marked, the confidence, the citation (source, date, passage, a
 * button opening the document at the sentence), the other candidates; or, when the documents do not answer,
 * the closest passages as what they are. Under each: follow-up note, "Why?" and feedback.
 */
import { attrs, el, ICONS, svgIcon, txt } from "./dom.js";
import { confidenceLevel, excerpt, formatDate, langBadge, percent } from "./format.js";
import { appendSentence, appendWithSentence, passageFor } from "./highlight.js";

// How many closest passages a not-found reply lists before "n more passages".
const CLOSEST_SHOWN = 3;

// `parts`: {why(data, body, notFound), feedback(data, entry)}, the widgets under a reply.
export function createAnswers(ctx, parts) {
  const t = ctx.t;

  // The document's date, filled in once known; hidden for documents without one.
  function dateSlot(docId, className) {
    const slot = el("time", className);
    slot.hidden = true;
    ctx.catalog.withDocument(docId, (doc) => {
      if (!doc.date) return;
      const shown = formatDate(t, doc.date);
      slot.textContent = shown;
      slot.setAttribute("datetime", doc.date);
      slot.setAttribute("title", t.docDate + ": " + shown);
      slot.hidden = false;
    });
    return slot;
  }

  // The reply to `body` (the /ask request) given `data` (its response); `entry` keeps the reader's verdict.
  function renderReply(data, body, entry) {
    const answer = data && data.answer;
    if (!answer) return renderNotFound(data, body, entry);
    const bubble = el("div", "bqa-msg bqa-msg--bot bqa-answer");
    bubble.appendChild(renderCandidate(answer, data.passages, true));
    const more = (data.answers || []).slice(1);
    if (more.length) {
      const details = el("details", "bqa-more");
      details.appendChild(el("summary", "bqa-more-summary", t.moreAnswers(more.length)));
      const list = el("ol", "bqa-more-list");
      more.forEach((candidate) => {
        const item = el("li", "bqa-more-item");
        item.appendChild(renderCandidate(candidate, data.passages, false));
        list.appendChild(item);
      });
      details.appendChild(list);
      bubble.appendChild(details);
    }
    if (data.follow_up) bubble.appendChild(renderFollowUp(body));
    bubble.appendChild(parts.why(data, body, false));
    bubble.appendChild(parts.feedback(data, entry));
    return bubble;
  }

  // "Read as a follow-up to: …": the server read the question with the last turn sent.
  function renderFollowUp(body) {
    const earlier = (body && body.history) || [];
    const note = el("p", "bqa-followup");
    note.appendChild(svgIcon(ICONS.followUp));
    const text = el("span", "bqa-followup-text");
    text.appendChild(el("span", "bqa-followup-label", t.followUp));
    if (earlier.length) {
      text.appendChild(txt(" "));
      text.appendChild(el("q", "bqa-followup-question", earlier[earlier.length - 1].question));
    }
    note.appendChild(text);
    return note;
  }

  function renderCandidate(answer, passages, primary) {
    const box = el("div", primary ? "bqa-candidate bqa-candidate--primary" : "bqa-candidate");
    const sentence = el("p", "bqa-sentence-text");
    appendSentence(sentence, answer);
    box.appendChild(sentence);

    const meta = el("div", "bqa-meta");
    const pct = percent(answer.confidence);
    const conf = el("span", "bqa-confidence bqa-confidence--" + confidenceLevel(answer.confidence));
    conf.setAttribute("title", t.confidence + ": " + pct + "%");
    const meter = attrs(el("span", "bqa-meter"), { "aria-hidden": "true" });
    const fill = el("span", "bqa-meter-fill");
    fill.style.width = pct + "%";
    meter.appendChild(fill);
    conf.appendChild(meter);
    conf.appendChild(el("span", "bqa-confidence-text", t.confidence + " " + pct + "%"));
    meta.appendChild(conf);
    box.appendChild(meta);
    box.appendChild(renderCitation(answer, passages));
    return box;
  }

  // Source (title, date, language), the passage with the sentence marked, and "Open document".
  function renderCitation(answer, passages) {
    const cite = el("div", "bqa-citation");
    const source = el("div", "bqa-source");
    const docIcon = el("span", "bqa-source-icon");
    docIcon.appendChild(svgIcon(ICONS.doc));
    source.appendChild(docIcon);
    const sourceText = el("div", "bqa-source-text");
    sourceText.appendChild(el("span", "bqa-source-label", t.source));
    const titleLine = el("span", "bqa-source-title", answer.title || answer.doc_id);
    titleLine.setAttribute("title", String(answer.title || answer.doc_id));
    sourceText.appendChild(titleLine);
    sourceText.appendChild(dateSlot(answer.doc_id, "bqa-source-date"));
    source.appendChild(sourceText);
    source.appendChild(langBadge(t, answer.lang));
    cite.appendChild(source);

    const passage = passageFor(answer, passages);
    if (passage) {
      const details = el("details", "bqa-passage");
      details.appendChild(el("summary", "bqa-passage-summary", t.passage));
      const quote = el("blockquote", "bqa-passage-text");
      const inPassage = appendWithSentence(quote, passage.text, answer, passage.start);
      details.appendChild(quote);
      details.addEventListener("toggle", () => {
        // bring the quoted sentence into the passage box's view (it scrolls on its own)
        if (details.open && inPassage) quote.scrollTop = Math.max(0, inPassage.offsetTop - 12);
      });
      cite.appendChild(details);
    }

    const open = attrs(el("button", "bqa-open"), {
      type: "button",
      "aria-label": t.openDocLabel + " " + (answer.title || answer.doc_id)
    });
    open.appendChild(el("span", null, t.openDoc));
    open.appendChild(el("span", "bqa-arrow", "→"));
    open.setAttribute("aria-haspopup", "dialog");
    open.addEventListener("click", () => ctx.viewer.open(answer));
    cite.appendChild(open);
    // A document fetched from the web links to its page; only http(s) URLs, so a stored value can never run script.
    if (typeof answer.url === "string" && /^https?:\/\//i.test(answer.url)) {
      const original = attrs(el("a", "bqa-original", t.original), {
        href: answer.url,
        target: "_blank",
        rel: "noopener noreferrer",
        "aria-label": t.originalLabel + " " + (answer.title || answer.doc_id)
      });
      cite.appendChild(original);
    }
    return cite;
  }

  // Not found: the closest passages, clearly not answers, each opening the document at that passage; the
  // configured contact; why; feedback. Without any passage (an empty index, strict filters) a plain notice.
  function renderNotFound(data, body, entry) {
    const bubble = el("div", "bqa-msg bqa-msg--bot bqa-notfound");
    const icon = el("span", "bqa-notice-icon");
    icon.appendChild(svgIcon(ICONS.search));
    const content = el("div", "bqa-notice-body");
    const passages = (data && data.passages) || [];
    if (passages.length) {
      content.appendChild(el("p", "bqa-notice-title", t.notFoundClosest));
      content.appendChild(el("p", "bqa-notice-text", t.closestNote));
      content.appendChild(renderClosest(passages.slice(0, CLOSEST_SHOWN)));
      if (passages.length > CLOSEST_SHOWN) {
        const more = el("details", "bqa-more bqa-closest-more");
        more.appendChild(el("summary", "bqa-more-summary", t.closestMore(passages.length - CLOSEST_SHOWN)));
        more.appendChild(renderClosest(passages.slice(CLOSEST_SHOWN)));
        content.appendChild(more);
      }
    } else {
      content.appendChild(el("p", "bqa-notice-title", t.notFound));
      content.appendChild(el("p", "bqa-notice-text", body && body.filters ? t.notFoundFiltered : t.notFoundHint));
    }
    const contact = data && data.refusal && data.refusal.contact;
    if (contact) {
      const line = el("p", "bqa-refusal-contact");
      line.appendChild(el("span", "bqa-refusal-contact-label", t.contact));
      line.appendChild(txt(" " + contact));
      content.appendChild(line);
    }
    if (data && data.follow_up) content.appendChild(renderFollowUp(body));
    if (data && body) content.appendChild(parts.why(data, body, true));
    if (data) content.appendChild(parts.feedback(data, entry));
    bubble.appendChild(icon);
    bubble.appendChild(content);
    return bubble;
  }

  function renderClosest(passages) {
    const list = attrs(el("ol", "bqa-closest"), { "aria-label": t.closestLabel });
    passages.forEach((passage) => {
      const item = el("li", "bqa-closest-item");
      const title = passage.title || passage.doc_id;
      const button = attrs(el("button", "bqa-closest-open"), {
        type: "button",
        "aria-haspopup": "dialog",
        "aria-label": t.closestOpen + " " + title
      });
      const head = el("span", "bqa-closest-head");
      head.appendChild(el("span", "bqa-closest-title", title));
      head.appendChild(langBadge(t, passage.lang));
      head.appendChild(dateSlot(passage.doc_id, "bqa-closest-date"));
      button.appendChild(head);
      button.appendChild(el("span", "bqa-closest-excerpt", excerpt(passage.text, 180)));
      button.addEventListener("click", () => {
        // the passage stands in for an answer sentence: marked and scrolled to, nothing highlighted inside
        ctx.viewer.open({
          doc_id: passage.doc_id,
          title: title,
          text: "",
          sentence: passage.text,
          sentence_start: passage.start,
          sentence_end: passage.end
        });
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    return list;
  }

  return { renderReply: renderReply };
}
