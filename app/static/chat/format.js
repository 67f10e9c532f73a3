/* Numbers, dates, language badges and excerpts as the reader sees them. */
import { el } from "./dom.js";

export function percent(confidence) {
  const value = Math.max(0, Math.min(1, Number(confidence) || 0));
  const pct = Math.round(value * 100);
  return value < 1 && pct === 100 ? 99 : pct; // never claim certainty the model does not have
}

export function confidenceLevel(confidence) {
  if (confidence >= 0.8) return "high";
  if (confidence >= 0.6) return "medium";
  return "low";
}

export function num(value, digits) {
  const n = Number(value);
  if (!isFinite(n)) return String(value);
  return String(Math.round(n * Math.pow(10, digits)) / Math.pow(10, digits));
}

// A YYYY-MM-DD date in the interface language's way ("5 Apr 2016", "5 апр. 2016 г."); other values as given.
export function formatDate(t, iso) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
  if (!parts) return iso ? String(iso) : "—";
  const date = new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3]));
  return date.toLocaleDateString(t.locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
}

// The document language as a short code, named in full in its title.
export function langBadge(t, code) {
  const value = String(code || "").toLowerCase();
  const badge = el("abbr", "bqa-lang", value.toUpperCase() || "?");
  badge.setAttribute("title", t.langNames[value] || value);
  return badge;
}

// The first `limit` characters of a passage on one line, cut at a word.
export function excerpt(text, limit) {
  const flat = String(text || "").replace(/\s+/g, " ").trim();
  if (flat.length <= limit) return flat;
  const cut = flat.slice(0, limit);
  const space = cut.lastIndexOf(" ");
  return (space > limit * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.–—-]+$/, "") + "…";
}
