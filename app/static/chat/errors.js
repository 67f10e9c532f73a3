/* Failed requests in words: a polite sentence for refusals that are nobody's mistake, the server's reason else. */
import { attrs, el, ICONS, svgIcon } from "./dom.js";

// {title, text, plain}: plain when `text` is ours (a hint), not the server's detail.
export function errorText(t, error) {
  if (!error || error.kind === "network") return { title: t.networkError, text: t.networkHint, plain: true };
  if (error.kind === "http" && error.status === 429) return { title: t.tooMany(error.retryAfter), text: "" };
  if (error.kind === "http" && error.status === 503) return { title: t.busy(error.retryAfter), text: "" };
  if (error.kind === "http" && error.status === 401) return { title: t.needKey, text: t.needKeyHint, plain: true };
  if (error.kind === "http" && error.status >= 400 && error.status < 500) {
    return { title: t.rejected, text: error.message || t.httpStatus(error.status) };
  }
  if (error.kind === "http") return { title: t.serverError(error.status), text: "" };
  return { title: t.networkError, text: error.message || "" };
}

// One line for a small status area: the server's reason for a refused request, else the polite sentence.
export function errorLine(t, error) {
  const info = errorText(t, error);
  return info.title === t.rejected ? info.text : info.title;
}

// Title and text of an error shown inline (the viewer, the explanation): both when the text is our own hint.
export function appendInlineError(t, parent, heading, error) {
  const info = errorText(t, error);
  parent.appendChild(el("p", "bqa-notice-title", heading));
  parent.appendChild(el("p", "bqa-notice-text", info.plain ? info.title + " " + info.text : info.text || info.title));
}

// The reply bubble of a failed question.
export function renderError(t, error) {
  const info = errorText(t, error);
  const bubble = attrs(el("div", "bqa-msg bqa-msg--bot bqa-error"), { role: "alert" });
  const icon = el("span", "bqa-notice-icon");
  icon.appendChild(svgIcon(ICONS.alert));
  const body = el("div", "bqa-notice-body");
  body.appendChild(el("p", "bqa-notice-title", info.title));
  if (info.text) {
    body.appendChild(el("p", info.plain ? "bqa-notice-text" : "bqa-notice-text bqa-error-detail", info.text));
  }
  bubble.appendChild(icon);
  bubble.appendChild(body);
  return bubble;
}
