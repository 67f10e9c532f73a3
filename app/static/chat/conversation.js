/*
 * The conversation: the message log, the questions sent and their replies. Each reply shown since the last "New
 * conversation" is a turn sent as /ask `history`, so a follow-up ("And when did they take place?") is read with the
 * question it continues. The replies are kept as the server sent them, so the chat in another language draws
 * the same conversation again.
 */
import { attrs, el, ICONS, svgIcon, txt } from "./dom.js";
import { renderError } from "./errors.js";

// The server reads at most this many earlier turns.
const MAX_TURNS = 5;
// Sentences of a turn are cut to this many characters, the server's limit.
const MAX_TURN_SENTENCE = 10000;

// `parts`: {composer, filters, answers, examples}; `restored`: a snapshot() of the chat in another language.
export function createConversation(ctx, parts, restored) {
  const t = ctx.t;
  let turns = [];
  let entries = []; // {body, data | error, verdict}: what the log shows, in order
  let generation = 0; // bumped by "New conversation": replies of an earlier conversation are dropped

  const log = attrs(el("div", "bqa-log"), {
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": t.logLabel
  });
  const empty = buildEmptyState();
  log.appendChild(empty);

  function buildEmptyState() {
    const box = el("div", "bqa-empty");
    const icon = el("span", "bqa-empty-icon");
    icon.appendChild(svgIcon(ICONS.doc));
    box.appendChild(icon);
    box.appendChild(el("p", "bqa-empty-title", t.emptyTitle));
    box.appendChild(el("p", "bqa-empty-text", t.emptyText));
    box.appendChild(el("p", "bqa-examples-label", t.examplesLabel));
    const list = el("ul", "bqa-examples");
    parts.examples.forEach((example) => {
      const item = el("li");
      const button = attrs(el("button", "bqa-example", example), { type: "button" });
      button.addEventListener("click", () => parts.composer.submitText(example));
      item.appendChild(button);
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  function setBusy(value) {
    parts.composer.setBusy(value);
    ctx.onBusy(value);
    if (value) log.setAttribute("aria-busy", "true");
    else log.removeAttribute("aria-busy");
  }

  function scrollToNode(node) {
    const top = node.offsetTop - 12;
    if (typeof log.scrollTo === "function") log.scrollTo({ top: top, behavior: "smooth" });
    else log.scrollTop = top;
  }

  // Scrolls the log just enough to show `node` (its top first when it is taller than the log).
  function reveal(node) {
    const view = log.getBoundingClientRect();
    const box = node.getBoundingClientRect();
    if (box.bottom <= view.bottom) return;
    log.scrollTop += Math.max(0, Math.min(box.bottom - view.bottom + 12, box.top - view.top - 12));
  }

  function addMessage(kind, node) {
    if (empty.parentNode) empty.parentNode.removeChild(empty);
    const row = el("div", "bqa-row bqa-row--" + kind);
    row.appendChild(node);
    log.appendChild(row);
    return row;
  }

  function questionBubble(body) {
    const bubble = el("div", "bqa-msg bqa-msg--user");
    bubble.appendChild(el("span", "bqa-sr", t.you + ": "));
    bubble.appendChild(el("p", "bqa-user-text", body.question));
    if (body.filters) {
      const note = el("p", "bqa-user-filters");
      note.appendChild(svgIcon(ICONS.filter));
      note.appendChild(el("span", "bqa-sr", t.filtersSummary + " "));
      note.appendChild(txt(parts.filters.describe(body.filters)));
      bubble.appendChild(note);
    }
    return bubble;
  }

  function replyNode(entry) {
    return entry.error ? renderError(t, entry.error) : parts.answers.renderReply(entry.data, entry.body, entry);
  }

  function ask(question) {
    // What the server reads: the question, the turns of this conversation before it and the filters.
    const body = { question: question, top_k: ctx.topK, history: turns.slice(-MAX_TURNS) };
    const filters = parts.filters.active();
    if (filters) body.filters = filters;
    const asked = generation;
    const entry = { body: body };

    const questionRow = addMessage("user", questionBubble(body));
    const typing = attrs(el("div", "bqa-msg bqa-msg--bot bqa-typing"), { role: "status" });
    const dots = attrs(el("span", "bqa-dots"), { "aria-hidden": "true" });
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    typing.appendChild(dots);
    typing.appendChild(el("span", "bqa-typing-text", t.thinking));
    const typingRow = addMessage("pending", typing);
    scrollToNode(questionRow);
    setBusy(true);

    ctx
      .request("POST", "/ask", body)
      .then(
        (data) => {
          if (asked !== generation) return null; // "New conversation" was pressed meanwhile
          remember(body, data);
          entry.data = data;
          return replyNode(entry);
        },
        (error) => {
          if (asked !== generation) return null;
          entry.error = error;
          return replyNode(entry);
        }
      )
      .then((node) => {
        if (!node) return;
        typingRow.parentNode.removeChild(typingRow);
        addMessage("bot", node);
        entries.push(entry);
        scrollToNode(questionRow);
      })
      .then(null, (error) => {
        if (asked !== generation) return;
        if (typingRow.parentNode) typingRow.parentNode.removeChild(typingRow);
        addMessage("bot", renderError(t, { kind: "client", message: String(error && error.message) }));
      })
      .then(() => setBusy(false));
  }

  // A reply becomes a turn of the conversation: its question, the document of its answer (of the closest
  // passage when nothing was found) and its answer sentence. Failed requests are no turns.
  function remember(body, data) {
    if (!data) return;
    const turn = { question: body.question, doc_ids: [], sentences: [] };
    const passages = data.passages || [];
    if (data.answer) {
      turn.doc_ids.push(data.answer.doc_id);
      if (data.answer.sentence) turn.sentences.push(String(data.answer.sentence).slice(0, MAX_TURN_SENTENCE));
    } else if (passages.length) {
      turn.doc_ids.push(passages[0].doc_id);
    }
    turns.push(turn);
    while (turns.length > MAX_TURNS) turns.shift();
  }

  // Forgets the turns (the server is stateless: the turns sent are all it knows) and empties the thread.
  function clear() {
    generation += 1;
    turns = [];
    entries = [];
    ctx.catalog.forgetWaiting();
    log.textContent = "";
    log.appendChild(empty);
    log.scrollTop = 0;
  }

  if (restored) {
    turns = restored.turns.slice();
    restored.entries.forEach((entry) => {
      addMessage("user", questionBubble(entry.body));
      addMessage("bot", replyNode(entry));
      entries.push(entry);
    });
  }

  return {
    element: log,
    ask: ask,
    clear: clear,
    reveal: reveal,
    scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    },
    snapshot: () => ({ turns: turns.slice(), entries: entries.slice() })
  };
}
