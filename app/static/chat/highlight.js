/* The answer inside its sentence, passage or document: marks placed at the server's character offsets. */
import { el, txt } from "./dom.js";

// Position of `needle` in `haystack`: the offset hint from the server when it matches, else the first match.
function locate(haystack, needle, hint) {
  if (!needle || typeof haystack !== "string") return -1;
  if (typeof hint === "number" && hint >= 0 && haystack.substr(hint, needle.length) === needle) return hint;
  return haystack.indexOf(needle);
}

// The answer sentence with the short span in <mark class="bqa-span">.
export function appendSentence(parent, answer) {
  const sentence = String(answer.sentence || answer.text || "");
  const span = String(answer.text || "");
  const at = locate(sentence, span, answer.start - answer.sentence_start);
  if (at < 0) {
    parent.appendChild(txt(sentence));
    return;
  }
  if (at > 0) parent.appendChild(txt(sentence.slice(0, at)));
  const whole = at === 0 && span.length === sentence.length;
  parent.appendChild(el("mark", whole ? "bqa-span bqa-span--whole" : "bqa-span", span));
  if (at + span.length < sentence.length) parent.appendChild(txt(sentence.slice(at + span.length)));
}

// A longer text (passage or whole document starting at document offset `base`) with the answer sentence in
// <mark class="bqa-sentence"> and the span inside it. Returns the sentence mark (null if not found).
export function appendWithSentence(parent, text, answer, base) {
  text = String(text || "");
  const sentence = String(answer.sentence || "");
  const at = locate(text, sentence, answer.sentence_start - base);
  if (at < 0) {
    parent.appendChild(txt(text));
    return null;
  }
  if (at > 0) parent.appendChild(txt(text.slice(0, at)));
  const mark = el("mark", "bqa-sentence");
  appendSentence(mark, answer);
  parent.appendChild(mark);
  if (at + sentence.length < text.length) parent.appendChild(txt(text.slice(at + sentence.length)));
  return mark;
}

// The passage of the reply that holds the answer: the same chunk, else one whose span covers the sentence.
export function passageFor(answer, passages) {
  passages = passages || [];
  const same = passages.find((p) => p.doc_id === answer.doc_id && p.chunk_id === answer.chunk_id);
  if (same) return same;
  return (
    passages.find(
      (p) => p.doc_id === answer.doc_id && p.start <= answer.sentence_start && answer.sentence_end <= p.end
    ) || null
  );
}
