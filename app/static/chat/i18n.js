/*
 * The interface languages and their string tables (one per language under strings/, all with the same keys), the
 * document languages the filters offer, and the reader's choice of interface language.
 */
import en from "./strings/en.js";
import kk from "./strings/kk.js";
import ky from "./strings/ky.js";
import ru from "./strings/ru.js";
import tg from "./strings/tg.js";
import uz from "./strings/uz.js";

export const STRINGS = { ru, en, kk, ky, uz, tg };

// The order of the language switch.
export const UI_LANGUAGES = ["ru", "en", "kk", "ky", "uz", "tg"];

// Document languages the language filter offers until the server has said which it has (GET /health `languages`,
// see catalog.js), and for a server too old to say. A table's langNames and filterLangNames name each of them.
export const DOCUMENT_LANGUAGES = ["ru", "en", "kk", "ky", "uz", "tg"];

const FALLBACK = "en";
const STORAGE_KEY = "border-qa-lang";

// The interface language for a preference ("kk-KZ", "uz-Latn-UZ", "ru", undefined: the browser's language).
export function uiLanguage(preferred) {
  const wanted = String(preferred || (window.navigator && window.navigator.language) || "").toLowerCase();
  return UI_LANGUAGES.find((code) => wanted === code || wanted.startsWith(code + "-")) || FALLBACK;
}

// The language picked with the switch earlier in this browser, if any. Storage may be refused (privacy modes,
// sandboxed frames): the choice then lasts until the page is left.
export function storedLanguage() {
  try {
    const code = window.localStorage.getItem(STORAGE_KEY);
    return UI_LANGUAGES.indexOf(code) >= 0 ? code : null;
  } catch (ignored) {
    return null;
  }
}

export function storeLanguage(code) {
  try {
    window.localStorage.setItem(STORAGE_KEY, code);
  } catch (ignored) {
    // see storedLanguage
  }
}
