/*
 * The filters under the question box: document language and date range, as /ask takes them. The toggle shows a
 * badge counting the active ones; the row says how many documents pass.
 */
import { attrs, el, ICONS, svgIcon } from "./dom.js";
import { formatDate } from "./format.js";
import { DOCUMENT_LANGUAGES } from "./i18n.js";

const NO_DATE = { min: "1000-01-01", max: "9999-12-31" };

// The server's rule: every given filter must hold; a document without a date fails a date filter.
function passes(doc, filters) {
  if (filters.langs && filters.langs.indexOf(doc.lang) < 0) return false;
  if (filters.date_from || filters.date_to) {
    if (!doc.date) return false;
    if (filters.date_from && doc.date < filters.date_from) return false;
    if (filters.date_to && doc.date > filters.date_to) return false;
  }
  return true;
}

export function createFilters(ctx) {
  const t = ctx.t;

  const toggle = attrs(el("button", "bqa-tool bqa-filters-toggle"), {
    type: "button",
    "aria-expanded": "false",
    "aria-controls": ctx.uid + "-filters"
  });
  toggle.appendChild(svgIcon(ICONS.filter));
  toggle.appendChild(el("span", "bqa-tool-text", t.filters));
  const badge = attrs(el("span", "bqa-badge"), { "aria-hidden": "true" });
  badge.hidden = true;
  const count = el("span", "bqa-sr");
  toggle.appendChild(badge);
  toggle.appendChild(count);

  const row = attrs(el("div", "bqa-filters"), { role: "group", "aria-label": t.filtersTitle });
  row.id = ctx.uid + "-filters";
  row.hidden = true;

  const langSet = el("fieldset", "bqa-filter bqa-filter-lang");
  langSet.appendChild(el("legend", "bqa-filter-name", t.filterLang));
  const segments = el("div", "bqa-segments");
  let langInputs = [];
  let offered = null; // the codes the segments show
  offerLanguages(DOCUMENT_LANGUAGES);
  langSet.appendChild(segments);

  const dateSet = el("fieldset", "bqa-filter bqa-filter-dates");
  dateSet.appendChild(el("legend", "bqa-filter-name", t.filterDates));
  const dates = el("div", "bqa-dates");
  const dateFrom = dateField(dates, t.filterFrom);
  const dateTo = dateField(dates, t.filterTo);
  dateSet.appendChild(dates);

  const clear = attrs(el("button", "bqa-filters-clear", t.filtersClear), { type: "button" });
  clear.addEventListener("click", () => {
    langInputs[0].checked = true;
    dateFrom.value = "";
    dateTo.value = "";
    changed();
  });
  const status = attrs(el("p", "bqa-filters-status"), { role: "status", "aria-live": "polite" });

  row.appendChild(langSet);
  row.appendChild(dateSet);
  row.appendChild(clear);
  row.appendChild(status);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault(); // Enter in a filter does not send the question
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // in the widget, Escape would close the whole panel
      show(false);
      toggle.focus();
    }
  });
  toggle.addEventListener("click", () => show(row.hidden));
  ctx.catalog.onChange(updateStatus);

  // "Any" and one segment per code, each language named in itself; the one selected stays selected if offered.
  function offerLanguages(codes) {
    if (offered && offered.join() === codes.join()) return;
    const selected = offered ? selectedLang() : "";
    offered = codes.slice();
    segments.textContent = "";
    langInputs = [""].concat(codes).map((code) => {
      const label = el("label", "bqa-segment");
      if (code) label.setAttribute("lang", code); // each language's name is read in that language
      const radio = attrs(el("input", "bqa-segment-input"), { type: "radio", name: ctx.uid + "-lang", value: code });
      radio.checked = code === selected;
      radio.addEventListener("change", changed);
      label.appendChild(radio);
      label.appendChild(el("span", "bqa-segment-text", code ? t.filterLangNames[code] || code.toUpperCase() : t.filterAny));
      segments.appendChild(label);
      return radio;
    });
    if (!langInputs.some((input) => input.checked)) langInputs[0].checked = true;
  }

  function dateField(parent, name) {
    const label = el("label", "bqa-date");
    label.appendChild(el("span", "bqa-date-name", name));
    const field = attrs(el("input", "bqa-date-input"), { type: "date", min: NO_DATE.min, max: NO_DATE.max });
    field.addEventListener("input", changed);
    field.addEventListener("change", changed);
    label.appendChild(field);
    parent.appendChild(label);
    return field;
  }

  function show(shown) {
    row.hidden = !shown;
    toggle.setAttribute("aria-expanded", shown ? "true" : "false");
    ctx.onFiltersShown(shown);
    if (shown) {
      ctx.catalog.ensure(); // to say how many documents match
      ctx.catalog.languages().then((codes) => {
        if (!codes) return;
        offerLanguages(codes);
        changed();
      });
    }
  }

  function selectedLang() {
    const checked = langInputs.find((input) => input.checked);
    return checked ? checked.value : "";
  }

  // The filters as /ask takes them, or null when none is set.
  function active() {
    const filters = {};
    const language = selectedLang();
    if (language) filters.langs = [language];
    if (dateFrom.value) filters.date_from = dateFrom.value;
    if (dateTo.value) filters.date_to = dateTo.value;
    return Object.keys(filters).length ? filters : null;
  }

  function badRange() {
    return !!(dateFrom.value && dateTo.value && dateFrom.value > dateTo.value);
  }

  function describe(filters) {
    const parts = [];
    if (filters.langs) parts.push(filters.langs.map((code) => t.filterLangNames[code] || code).join(", "));
    if (filters.date_from && filters.date_to) {
      parts.push(formatDate(t, filters.date_from) + " – " + formatDate(t, filters.date_to));
    } else if (filters.date_from) parts.push(t.dateFrom(formatDate(t, filters.date_from)));
    else if (filters.date_to) parts.push(t.dateTo(formatDate(t, filters.date_to)));
    return parts.join(" · ");
  }

  function changed() {
    const filters = active();
    const n = filters ? (filters.langs ? 1 : 0) + (filters.date_from || filters.date_to ? 1 : 0) : 0;
    badge.textContent = String(n);
    badge.hidden = !n;
    count.textContent = n ? " " + t.filtersActive(n) : "";
    toggle.classList.toggle("bqa-tool--active", n > 0);
    if (n) toggle.setAttribute("title", describe(filters));
    else toggle.removeAttribute("title");
    dateTo.min = dateFrom.value || NO_DATE.min;
    dateFrom.max = dateTo.value || NO_DATE.max;
    const bad = badRange();
    [dateFrom, dateTo].forEach((field) => {
      if (bad) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
    updateStatus();
  }

  function updateStatus() {
    const bad = badRange();
    status.classList.toggle("bqa-filters-status--error", bad);
    if (bad) {
      status.textContent = t.filtersBadRange;
      return;
    }
    const filters = active();
    const all = ctx.catalog.all();
    if (!filters || !all) {
      status.textContent = "";
      return;
    }
    const matching = all.filter((doc) => passes(doc, filters)).length;
    let text = t.filtersMatch(matching, all.length) + ".";
    if ((filters.date_from || filters.date_to) && all.some((doc) => !doc.date)) text += " " + t.filtersUndated;
    status.textContent = text;
  }

  return {
    toggle: toggle,
    element: row,
    active: active,
    describe: describe,

    // A start after the end is refused here, with the reason next to the dates, rather than by the server.
    usable() {
      if (!badRange()) return true;
      show(true);
      updateStatus();
      dateTo.focus();
      return false;
    },

    // What is set and whether the row is open, to carry over to the chat in another language.
    state: () => ({ lang: selectedLang(), from: dateFrom.value, to: dateTo.value, open: !row.hidden }),
    restore(state) {
      if (!state) return;
      langInputs.forEach((input) => {
        input.checked = input.value === (state.lang || "");
      });
      if (!langInputs.some((input) => input.checked)) langInputs[0].checked = true;
      dateFrom.value = state.from || "";
      dateTo.value = state.to || "";
      changed();
      if (state.open) show(true);
    }
  };
}
