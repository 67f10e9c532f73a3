/*
 * 👍/👎 under an answer (or a "not found"); 👎 opens an optional "the answer is…" field. One verdict per answer,
 * kept in the reply's entry so the reply drawn again (in another language) shows it given. The buttons are never
 * `disabled` while sending or after it, so the focus is never dropped.
 */
import { activeElement, attrs, el, ICONS, svgIcon } from "./dom.js";
import { errorLine } from "./errors.js";

// The fields of an answer a verdict is about.
function answerRecord(answer) {
  if (!answer) return null;
  return {
    text: answer.text,
    doc_id: answer.doc_id,
    start: answer.start,
    end: answer.end,
    sentence: answer.sentence,
    confidence: answer.confidence
  };
}

export function createFeedback(ctx) {
  const t = ctx.t;
  let count = 0;

  // `entry.verdict` is set once a verdict was sent ("up" or "down").
  return function renderFeedback(data, entry) {
    entry = entry || {};
    const id = ctx.uid + "-fb" + ++count;
    const box = attrs(el("div", "bqa-feedback"), { role: "group", "aria-labelledby": id + "-label" });
    const label = el("span", "bqa-feedback-label", t.feedbackLabel);
    label.id = id + "-label";
    const up = attrs(el("button", "bqa-vote bqa-vote--up"), {
      type: "button",
      "aria-label": t.feedbackUp,
      title: t.feedbackUp,
      "aria-pressed": "false"
    });
    up.appendChild(svgIcon(ICONS.thumbUp));
    const down = attrs(el("button", "bqa-vote bqa-vote--down"), {
      type: "button",
      "aria-label": t.feedbackDown,
      title: t.feedbackDown,
      "aria-pressed": "false",
      "aria-expanded": "false",
      "aria-controls": id + "-form"
    });
    down.appendChild(svgIcon(ICONS.thumbDown));
    const form = attrs(el("form", "bqa-correction"), { novalidate: "" });
    form.id = id + "-form";
    form.hidden = true;
    const fieldLabel = attrs(el("label", "bqa-sr", t.correctionLabel), { for: id + "-input" });
    const field = attrs(el("input", "bqa-correction-input"), {
      type: "text",
      maxlength: "1000",
      placeholder: t.correctionPlaceholder,
      autocomplete: "off",
      enterkeyhint: "send"
    });
    field.id = id + "-input";
    const sendButton = attrs(el("button", "bqa-correction-send", t.correctionSend), {
      type: "submit",
      "aria-label": t.correctionSendLabel
    });
    form.appendChild(fieldLabel);
    form.appendChild(field);
    form.appendChild(sendButton);
    const status = attrs(el("p", "bqa-feedback-status"), { role: "status", "aria-live": "polite" });
    box.appendChild(label);
    box.appendChild(up);
    box.appendChild(down);
    box.appendChild(form);
    box.appendChild(status);

    let sending = false;
    let done = false;

    function setInert(value) {
      [up, down, sendButton].forEach((button) => {
        if (value) button.setAttribute("aria-disabled", "true");
        else button.removeAttribute("aria-disabled");
      });
    }

    // The verdict given: pressed, the field closed, thanks said.
    function showDone(verdict) {
      done = true;
      const chosen = verdict === "up" ? up : down;
      chosen.setAttribute("aria-pressed", "true");
      form.hidden = true;
      down.setAttribute("aria-expanded", "false");
      box.classList.add("bqa-feedback--done");
      status.textContent = t.feedbackThanks;
      setInert(true);
      return chosen;
    }

    function post(verdict, correction) {
      if (sending || done) return;
      sending = true;
      setInert(true);
      status.textContent = "";
      status.classList.remove("bqa-feedback-status--error");
      const body = { question: data.question, verdict: verdict, answer: answerRecord(data.answer) };
      if (correction) body.correction = correction;
      ctx
        .request("POST", "/feedback", body)
        .then(
          () => {
            entry.verdict = verdict;
            const focused = box.contains(activeElement(box));
            const chosen = showDone(verdict);
            if (focused) chosen.focus(); // the field it was in is gone
          },
          (error) => {
            status.textContent = t.feedbackError + " " + errorLine(t, error);
            status.classList.add("bqa-feedback-status--error");
          }
        )
        .then(() => {
          sending = false;
          setInert(done);
        });
    }

    up.addEventListener("click", () => post("up"));
    down.addEventListener("click", () => {
      if (sending || done) return;
      form.hidden = false;
      down.setAttribute("aria-expanded", "true");
      field.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      post("down", field.value.trim());
    });
    if (entry.verdict) showDone(entry.verdict);
    return box;
  };
}
