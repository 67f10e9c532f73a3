/*
 * The question box and, under it in the tab order, its tools: a new conversation, the filters (their toggle and
 * row) and the keys hint. Enter sends, Shift+Enter adds a line; nothing is sent while a question is pending.
 */
import { attrs, el, ICONS, svgIcon } from "./dom.js";

// The box grows with its text up to this height (px), then scrolls.
const MAX_INPUT_HEIGHT = 160;

// `onAsk(question)` sends a question; `onNew()` starts a new conversation.
export function createComposer(ctx, filters, onAsk, onNew) {
  const t = ctx.t;
  let busy = false;

  const form = attrs(el("form", "bqa-composer"), { novalidate: "" });
  const field = el("div", "bqa-field");
  const input = attrs(el("textarea", "bqa-input"), {
    rows: "1",
    placeholder: t.placeholder,
    "aria-label": t.inputLabel,
    "aria-describedby": ctx.uid + "-keys",
    autocomplete: "off",
    enterkeyhint: "send"
  });
  const send = attrs(el("button", "bqa-send"), { type: "submit", "aria-label": t.sendLabel, title: t.sendLabel });
  send.appendChild(svgIcon(ICONS.send));
  field.appendChild(input);
  field.appendChild(send);
  form.appendChild(field);

  const toolbar = el("div", "bqa-toolbar");
  const newButton = attrs(el("button", "bqa-tool bqa-new"), { type: "button" });
  newButton.appendChild(svgIcon(ICONS.plus));
  newButton.appendChild(el("span", "bqa-tool-text", t.newConversation));
  newButton.addEventListener("click", onNew);
  const keys = el("p", "bqa-keys", t.keysHint);
  keys.id = ctx.uid + "-keys";
  toolbar.appendChild(newButton);
  toolbar.appendChild(filters.toggle);
  toolbar.appendChild(keys);
  form.appendChild(toolbar);
  form.appendChild(filters.element);

  function resize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, MAX_INPUT_HEIGHT) + "px";
  }

  function updateSend() {
    send.disabled = busy || !input.value.trim();
  }

  // Sends the question in the box; false when the filters need fixing first (the focus is moved to them).
  function submit() {
    const question = input.value.trim();
    if (!question || busy) return true;
    if (!filters.usable()) return false;
    input.value = "";
    resize();
    onAsk(question);
    return true;
  }

  input.addEventListener("input", () => {
    resize();
    updateSend();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // the send button is disabled while busy and would drop the focus (unless a bad date range took it)
    if (submit()) input.focus();
  });
  updateSend();

  return {
    element: form,
    isBusy: () => busy,
    focus: () => input.focus(),
    filtersShown: (shown) => form.classList.toggle("bqa-composer--filters", shown),
    setBusy(value) {
      busy = value;
      send.disabled = value;
      if (!value) updateSend();
    },
    // Puts `question` in the box and sends it (an example clicked), unless a question is pending.
    submitText(question) {
      if (busy) return;
      input.value = question;
      input.focus();
      submit();
    },
    // The chat's `ask(question)`: sends it as typed, unless a question is pending or the filters are wrong.
    ask(question) {
      if (!busy && question && filters.usable()) onAsk(String(question));
    },
    // What is typed, to carry over to the chat in another language.
    text: () => input.value,
    setText(value) {
      input.value = value || "";
      resize();
      updateSend();
    }
  };
}
