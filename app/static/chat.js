/*
 * Question answering chat, shared by the full page (index.html) and the embeddable widget (widget.js).
 *
 * Exposes window.BorderQAChat.mountChat(rootElement, {endpoint, lang, mode, onClose, examples, topK, apiKey}) and
 * mounts itself into every element of the page that carries a `data-border-qa-chat` attribute (optional
 * data-endpoint, data-lang, data-key). mountChat returns {element, focus(), ask(question), isViewerOpen(),
 * closeViewer()}. apiKey (a read key) is sent as "Authorization: Bearer" when the server needs keys for reads.
 *
 * Safety: every piece of text that comes from the server (answers, titles, document text, error messages) is
 * inserted with textContent / text nodes. Nothing is ever assigned to innerHTML.
 */
(function (global) {
  "use strict";

  // Russian plural: 1 документ, 2 документа, 5 документов.
  function ruPlural(n, one, few, many) {
    var m10 = n % 10;
    var m100 = n % 100;
    if (m10 === 1 && m100 !== 11) return one;
    if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
    return many;
  }

  var STRINGS = {
    en: {
      title: "Document Q&A",
      subtitle: "Cited answers from the documents",
      placeholder: "Ask a question…",
      inputLabel: "Your question",
      sendLabel: "Send question",
      close: "Close chat",
      logLabel: "Conversation",
      emptyTitle: "Ask about the documents",
      emptyText:
        "Write in Russian or English. Each answer is a sentence quoted from a document, with the exact " +
        "answer highlighted and its source cited.",
      examplesLabel: "Examples",
      examples: [
        "Who is the Head of the OSCE Centre in Bishkek?",
        "How many people took part in the conference in Borovoe?",
        "Сколько человек приняли участие в конференции в Боровом?"
      ],
      keysHint: "Enter to send · Shift+Enter for a new line",
      you: "You",
      thinking: "Searching the documents…",
      confidence: "Confidence",
      source: "Source",
      passage: "Passage from the document",
      openDoc: "Open document",
      openDocLabel: "Open the full document at this sentence:",
      moreAnswers: function (n) {
        return n === 1 ? "1 more possible answer" : n + " more possible answers";
      },
      notFound: "Not found in the documents.",
      notFoundHint: "The documents do not answer this question confidently. Try rephrasing it.",
      networkError: "Cannot reach the server.",
      networkHint: "Check the connection and try again.",
      serverError: function (status) {
        return "The server could not answer (HTTP " + status + "). Please try again later.";
      },
      tooMany: function (seconds) {
        return seconds ? "Too many questions, try again in " + seconds + " s." : "Too many questions, try again soon.";
      },
      busy: function (seconds) {
        return seconds ? "The service is busy, try again in " + seconds + " s." : "The service is busy, try again soon.";
      },
      needKey: "This chat needs a valid access key.",
      needKeyHint: "Please tell the site's administrator.",
      rejected: "The question was not accepted:",
      docLoading: "Loading the document…",
      docError: "Could not open the document:",
      closeViewer: "Close document",
      feedbackLabel: "Was this answer right?",
      feedbackUp: "Yes, the answer is right",
      feedbackDown: "No, the answer is wrong",
      correctionLabel: "The answer is…",
      correctionPlaceholder: "The answer is… (optional)",
      correctionSend: "Send",
      correctionSendLabel: "Send the feedback",
      feedbackThanks: "Thanks for your feedback!",
      feedbackError: "The feedback was not sent:",
      documents: "Documents",
      docsFilter: "Filter the documents by title",
      docsFilterPlaceholder: "Filter by title…",
      docsLoading: "Loading the documents…",
      docsError: "Could not load the documents:",
      docsEmpty: "No document title matches.",
      docsCount: function (shown, total) {
        var noun = total === 1 ? " document" : " documents";
        return shown === total ? total + noun : shown + " of " + total + noun;
      },
      docsMore: function (n) {
        return "(the first " + n + " are listed: refine the filter)";
      },
      docDate: "Date",
      docCollection: "Collection",
      docLanguage: "Language",
      chars: function (n) {
        return n.toLocaleString("en") + " characters";
      },
      langNames: { ru: "Russian", en: "English" },
      newConversation: "New conversation",
      filters: "Filters",
      filtersActive: function (n) {
        return "(" + n + " active)";
      },
      filtersTitle: "Search only documents that match",
      filterLang: "Document language",
      filterAny: "Any",
      filterLangNames: { ru: "Русский", en: "English" },
      filterDates: "Document date",
      filterFrom: "From",
      filterTo: "To",
      filtersClear: "Clear filters",
      filtersMatch: function (shown, total) {
        return shown + " of " + total + (total === 1 ? " document matches" : " documents match");
      },
      filtersUndated: "Documents without a date never pass a date filter.",
      filtersBadRange: "The start date is after the end date.",
      filtersSummary: "Filters:",
      dateFrom: function (date) {
        return "from " + date;
      },
      dateTo: function (date) {
        return "until " + date;
      },
      followUp: "Read as a follow-up to:",
      why: "Why?",
      whyLabel: "Explain this answer",
      whyNotFoundLabel: "Explain why there is no answer",
      explainTitle: "How this reply was reached",
      explainLoading: "Asking for the explanation…",
      explainError: "Could not load the explanation:",
      explainStage: "Stage to look at",
      explainNoStage: "none: the answer passed the threshold",
      stageNames: {
        index: "the index (nothing ingested)",
        question: "the question",
        filters: "the filters",
        retrieval: "retrieval (finding passages)",
        reading: "reading (scoring sentences)"
      },
      explainThreshold: "Confidence threshold",
      explainKind: "Question kind",
      kindNames: {
        number: "number",
        date: "date",
        person: "person",
        place: "place",
        organisation: "organisation",
        other: "other"
      },
      explainReadAs: "Read as",
      explainFilters: "Filters",
      explainPassages: "Passages found (fused ranking)",
      explainSentences: "Sentences read",
      explainInputs: "Confidence inputs of the best candidate",
      explainNone: "None.",
      notFoundClosest: "Not found in the documents — the closest passages were:",
      closestNote: "They are not answers: open one to read it in its document.",
      closestLabel: "Closest passages (not answers)",
      closestOpen: "Open the document at this passage:",
      closestMore: function (n) {
        return n === 1 ? "1 more passage" : n + " more passages";
      },
      notFoundFiltered: "No document passes the filters. Clear or widen them and ask again.",
      contact: "Whom to ask instead:"
    },
    ru: {
      title: "Вопросы по документам",
      subtitle: "Ответы с цитатами из документов",
      placeholder: "Задайте вопрос…",
      inputLabel: "Ваш вопрос",
      sendLabel: "Отправить вопрос",
      close: "Закрыть чат",
      logLabel: "Диалог",
      emptyTitle: "Спросите о документах",
      emptyText:
        "Пишите по-русски или по-английски. Ответ — это предложение из документа, в котором выделен " +
        "точный ответ и указан источник.",
      examplesLabel: "Примеры",
      examples: [
        "Сколько человек приняли участие в конференции в Боровом?",
        "Кто возглавляет Центр ОБСЕ в Бишкеке?",
        "Who is the Head of the OSCE Centre in Bishkek?"
      ],
      keysHint: "Enter — отправить · Shift+Enter — новая строка",
      you: "Вы",
      thinking: "Ищу в документах…",
      confidence: "Уверенность",
      source: "Источник",
      passage: "Фрагмент документа",
      openDoc: "Открыть документ",
      openDocLabel: "Открыть документ на этом предложении:",
      moreAnswers: function (n) {
        var word = "вариантов";
        var m10 = n % 10;
        var m100 = n % 100;
        if (m10 === 1 && m100 !== 11) word = "вариант";
        else if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) word = "варианта";
        return "Ещё " + n + " " + word + " ответа";
      },
      notFound: "В документах ответ не найден.",
      notFoundHint: "Документы не дают уверенного ответа на этот вопрос. Попробуйте сформулировать его иначе.",
      networkError: "Сервер недоступен.",
      networkHint: "Проверьте соединение и повторите попытку.",
      serverError: function (status) {
        return "Сервер не смог ответить (HTTP " + status + "). Повторите попытку позже.";
      },
      tooMany: function (seconds) {
        return seconds
          ? "Слишком много вопросов, повторите через " + seconds + " с."
          : "Слишком много вопросов, повторите чуть позже.";
      },
      busy: function (seconds) {
        return seconds ? "Сервис перегружен, повторите через " + seconds + " с." : "Сервис перегружен, повторите чуть позже.";
      },
      needKey: "Для этого чата нужен действующий ключ доступа.",
      needKeyHint: "Сообщите администратору сайта.",
      rejected: "Вопрос не принят:",
      docLoading: "Загрузка документа…",
      docError: "Не удалось открыть документ:",
      closeViewer: "Закрыть документ",
      feedbackLabel: "Ответ верный?",
      feedbackUp: "Да, ответ верный",
      feedbackDown: "Нет, ответ неверный",
      correctionLabel: "Правильный ответ…",
      correctionPlaceholder: "Правильный ответ… (необязательно)",
      correctionSend: "Отправить",
      correctionSendLabel: "Отправить отзыв",
      feedbackThanks: "Спасибо за отзыв!",
      feedbackError: "Отзыв не отправлен:",
      documents: "Документы",
      docsFilter: "Фильтр документов по названию",
      docsFilterPlaceholder: "Фильтр по названию…",
      docsLoading: "Загрузка списка документов…",
      docsError: "Не удалось загрузить список документов:",
      docsEmpty: "Нет документов с таким названием.",
      docsCount: function (shown, total) {
        if (shown === total) return total + " " + ruPlural(total, "документ", "документа", "документов");
        return shown + " из " + total + " " + ruPlural(total, "документа", "документов", "документов");
      },
      docsMore: function (n) {
        return "(показаны первые " + n + ": уточните фильтр)";
      },
      docDate: "Дата",
      docCollection: "Коллекция",
      docLanguage: "Язык",
      chars: function (n) {
        return n.toLocaleString("ru") + " симв.";
      },
      langNames: { ru: "русский", en: "английский" },
      newConversation: "Новый разговор",
      filters: "Фильтры",
      filtersActive: function (n) {
        return "(активно: " + n + ")";
      },
      filtersTitle: "Искать только в подходящих документах",
      filterLang: "Язык документов",
      filterAny: "Любой",
      filterLangNames: { ru: "Русский", en: "English" },
      filterDates: "Дата документа",
      filterFrom: "С",
      filterTo: "По",
      filtersClear: "Сбросить фильтры",
      filtersMatch: function (shown, total) {
        return "Подходят документов: " + shown + " из " + total;
      },
      filtersUndated: "Документы без даты не проходят фильтр по дате.",
      filtersBadRange: "Начальная дата позже конечной.",
      filtersSummary: "Фильтры:",
      dateFrom: function (date) {
        return "с " + date;
      },
      dateTo: function (date) {
        return "по " + date;
      },
      followUp: "Понят как уточнение к:",
      why: "Почему?",
      whyLabel: "Объяснить этот ответ",
      whyNotFoundLabel: "Объяснить, почему ответа нет",
      explainTitle: "Как получен этот результат",
      explainLoading: "Запрашиваю объяснение…",
      explainError: "Не удалось получить объяснение:",
      explainStage: "Этап, который стоит проверить",
      explainNoStage: "нет: ответ прошёл порог",
      stageNames: {
        index: "индекс (документы не загружены)",
        question: "вопрос",
        filters: "фильтры",
        retrieval: "поиск фрагментов",
        reading: "чтение предложений"
      },
      explainThreshold: "Порог уверенности",
      explainKind: "Тип вопроса",
      kindNames: {
        number: "число",
        date: "дата",
        person: "человек",
        place: "место",
        organisation: "организация",
        other: "другое"
      },
      explainReadAs: "Прочитан как",
      explainFilters: "Фильтры",
      explainPassages: "Найденные фрагменты (итоговый рейтинг)",
      explainSentences: "Прочитанные предложения",
      explainInputs: "Признаки уверенности лучшего кандидата",
      explainNone: "Нет.",
      notFoundClosest: "В документах ответа не найдено — ближайшие фрагменты:",
      closestNote: "Это не ответы: откройте фрагмент, чтобы прочитать его в документе.",
      closestLabel: "Ближайшие фрагменты (не ответы)",
      closestOpen: "Открыть документ на этом фрагменте:",
      closestMore: function (n) {
        return "Ещё " + n + " " + ruPlural(n, "фрагмент", "фрагмента", "фрагментов");
      },
      notFoundFiltered: "Ни один документ не подходит под фильтры. Сбросьте или расширьте их и спросите снова.",
      contact: "К кому обратиться:"
    }
  };

  function uiLanguage(preferred) {
    var lang = preferred || (global.navigator && (global.navigator.language || "")) || "";
    return /^ru/i.test(lang) ? "ru" : "en";
  }

  /* ---------- DOM helpers (text only, never HTML) ---------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function txt(value) {
    return document.createTextNode(String(value));
  }

  function attrs(node, map) {
    Object.keys(map).forEach(function (key) {
      node.setAttribute(key, map[key]);
    });
    return node;
  }

  function svgIcon(paths, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    attrs(svg, { viewBox: "0 0 24 24", width: "20", height: "20", "aria-hidden": "true", focusable: "false" });
    if (className) svg.setAttribute("class", className);
    paths.forEach(function (d) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  var ICONS = {
    send: ["M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z"],
    close: ["M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"],
    doc: [
      "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5zM8 13h8v-1.6H8zm0 4h8v-1.6H8z"
    ],
    alert: ["M12 2 1 21h22zm1 14h-2v-2h2zm0-4h-2V8h2z"],
    plus: ["M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z"],
    filter: ["M4.3 5.6C6.3 8.2 10 13 10 13v6c0 .6.4 1 1 1h2c.6 0 1-.4 1-1v-6s3.7-4.8 5.7-7.4A1 1 0 0 0 19 4H5c-.8 0-1.3 1-.7 1.6z"],
    followUp: ["M19 15l-6 6-1.4-1.4 3.6-3.6H4V4h2v10h9.2l-3.6-3.6L13 9z"],
    search: [
      "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z"
    ],
    // 👍 and 👎 drawn, not typed: emoji depend on the fonts of the reader's system.
    thumbUp: [
      "M1 21h4V9H1zm22-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10a2 2 0 0 0 " +
        "2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7z"
    ],
    thumbDown: [
      "M15 3H6c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.5 1.1L9.8 23l6.6-6.6" +
        "c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2zm4 0v12h4V3z"
    ]
  };

  /* ---------- Highlighting ---------- */

  // Position of `needle` in `haystack`: the offset hint from the server when it matches, else the first match.
  function locate(haystack, needle, hint) {
    if (!needle || typeof haystack !== "string") return -1;
    if (typeof hint === "number" && hint >= 0 && haystack.substr(hint, needle.length) === needle) return hint;
    return haystack.indexOf(needle);
  }

  // The answer sentence with the short span in <mark class="bqa-span">.
  function appendSentence(parent, answer) {
    var sentence = String(answer.sentence || answer.text || "");
    var span = String(answer.text || "");
    var at = locate(sentence, span, answer.start - answer.sentence_start);
    if (at < 0) {
      parent.appendChild(txt(sentence));
      return;
    }
    if (at > 0) parent.appendChild(txt(sentence.slice(0, at)));
    var whole = at === 0 && span.length === sentence.length;
    parent.appendChild(el("mark", whole ? "bqa-span bqa-span--whole" : "bqa-span", span));
    if (at + span.length < sentence.length) parent.appendChild(txt(sentence.slice(at + span.length)));
  }

  // A longer text (passage or whole document starting at document offset `base`) with the answer sentence in
  // <mark class="bqa-sentence"> and the span inside it. Returns the sentence mark (null if not found).
  function appendWithSentence(parent, text, answer, base) {
    text = String(text || "");
    var sentence = String(answer.sentence || "");
    var at = locate(text, sentence, answer.sentence_start - base);
    if (at < 0) {
      parent.appendChild(txt(text));
      return null;
    }
    if (at > 0) parent.appendChild(txt(text.slice(0, at)));
    var mark = el("mark", "bqa-sentence");
    appendSentence(mark, answer);
    parent.appendChild(mark);
    if (at + sentence.length < text.length) parent.appendChild(txt(text.slice(at + sentence.length)));
    return mark;
  }

  function passageFor(answer, passages) {
    passages = passages || [];
    var i;
    for (i = 0; i < passages.length; i++) {
      if (passages[i].doc_id === answer.doc_id && passages[i].chunk_id === answer.chunk_id) return passages[i];
    }
    for (i = 0; i < passages.length; i++) {
      var p = passages[i];
      if (p.doc_id === answer.doc_id && p.start <= answer.sentence_start && answer.sentence_end <= p.end) return p;
    }
    return null;
  }

  function percent(confidence) {
    var value = Math.max(0, Math.min(1, Number(confidence) || 0));
    var pct = Math.round(value * 100);
    return value < 1 && pct === 100 ? 99 : pct; // never claim certainty the model does not have
  }

  function confidenceLevel(confidence) {
    if (confidence >= 0.8) return "high";
    if (confidence >= 0.6) return "medium";
    return "low";
  }

  // FastAPI errors: {"detail": "message"} or {"detail": [{"msg": ..., "loc": [...]}, ...]}.
  function detailMessage(body) {
    var detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail
        .map(function (item) {
          if (!item || typeof item !== "object") return String(item);
          var loc = Array.isArray(item.loc) ? item.loc.filter(function (p) { return p !== "body"; }).join(".") : "";
          return (loc ? loc + ": " : "") + (item.msg || "");
        })
        .join("; ");
    }
    if (detail && typeof detail === "object") return JSON.stringify(detail);
    return "";
  }

  /* ---------- The chat ---------- */

  function mountChat(root, options) {
    options = options || {};
    var endpoint = String(options.endpoint || "").replace(/\/+$/, "");
    var lang = uiLanguage(options.lang);
    var t = STRINGS[lang];
    var mode = options.mode === "widget" ? "widget" : "page";
    var examples = Array.isArray(options.examples) && options.examples.length ? options.examples : t.examples;
    var busy = false;
    var docCache = {};
    var feedbackCount = 0;
    var whyCount = 0;
    // The conversation: one turn per reply shown since the last "New conversation", sent as /ask `history` so a
    // follow-up ("And when did they take place?") is read with the question it continues.
    var MAX_TURNS = 5;
    var turns = [];
    var conversation = 0; // bumped by "New conversation": replies of an earlier conversation are dropped
    var uid = "bqa" + Math.random().toString(36).slice(2, 8);

    root.textContent = "";
    var shell = el("div", "bqa bqa--" + mode);
    shell.setAttribute("lang", lang);

    /* header */
    var header = el("header", "bqa-header");
    var brand = el("div", "bqa-brand");
    var logo = el("span", "bqa-logo");
    logo.appendChild(svgIcon(ICONS.search));
    var titles = el("div", "bqa-titles");
    var heading = el(mode === "page" ? "h1" : "h2", "bqa-title", t.title);
    heading.id = uid + "-title";
    titles.appendChild(heading);
    titles.appendChild(el("p", "bqa-subtitle", t.subtitle));
    brand.appendChild(logo);
    brand.appendChild(titles);
    header.appendChild(brand);
    var docsButton = attrs(el("button", "bqa-docs-toggle"), {
      type: "button",
      title: t.documents,
      "aria-pressed": "false",
      "aria-controls": uid + "-docs"
    });
    docsButton.appendChild(svgIcon(ICONS.doc));
    docsButton.appendChild(el("span", "bqa-docs-toggle-text", t.documents)); // hidden, not removed, where narrow
    header.appendChild(docsButton);
    var closeButton = null;
    if (typeof options.onClose === "function") {
      closeButton = attrs(el("button", "bqa-icon-button bqa-close"), { type: "button", "aria-label": t.close, title: t.close });
      closeButton.appendChild(svgIcon(ICONS.close));
      closeButton.addEventListener("click", function () {
        options.onClose();
      });
      header.appendChild(closeButton);
    }

    /* message log */
    var log = attrs(el("div", "bqa-log"), {
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": t.logLabel
    });
    var empty = buildEmptyState();
    log.appendChild(empty);

    /* composer */
    var form = attrs(el("form", "bqa-composer"), { novalidate: "" });
    var field = el("div", "bqa-field");
    var input = attrs(el("textarea", "bqa-input"), {
      rows: "1",
      placeholder: t.placeholder,
      "aria-label": t.inputLabel,
      "aria-describedby": uid + "-keys",
      autocomplete: "off",
      enterkeyhint: "send"
    });
    var send = attrs(el("button", "bqa-send"), { type: "submit", "aria-label": t.sendLabel, title: t.sendLabel });
    send.appendChild(svgIcon(ICONS.send));
    field.appendChild(input);
    field.appendChild(send);
    form.appendChild(field);

    // Under the question box, after it in the tab order: a new conversation, the filters, the keys.
    var toolbar = el("div", "bqa-toolbar");
    var newButton = attrs(el("button", "bqa-tool bqa-new"), { type: "button" });
    newButton.appendChild(svgIcon(ICONS.plus));
    newButton.appendChild(el("span", "bqa-tool-text", t.newConversation));
    var filtersToggle = attrs(el("button", "bqa-tool bqa-filters-toggle"), {
      type: "button",
      "aria-expanded": "false",
      "aria-controls": uid + "-filters"
    });
    filtersToggle.appendChild(svgIcon(ICONS.filter));
    filtersToggle.appendChild(el("span", "bqa-tool-text", t.filters));
    var filtersBadge = attrs(el("span", "bqa-badge"), { "aria-hidden": "true" });
    filtersBadge.hidden = true;
    var filtersCount = el("span", "bqa-sr");
    filtersToggle.appendChild(filtersBadge);
    filtersToggle.appendChild(filtersCount);
    var keys = el("p", "bqa-keys", t.keysHint);
    keys.id = uid + "-keys";
    toolbar.appendChild(newButton);
    toolbar.appendChild(filtersToggle);
    toolbar.appendChild(keys);
    form.appendChild(toolbar);
    var filtersRow = buildFilters();
    form.appendChild(filtersRow);

    /* document viewer */
    var viewer = attrs(el("dialog", "bqa-viewer"), { "aria-labelledby": uid + "-doc-title" });
    var viewerHead = el("div", "bqa-viewer-head");
    var viewerTitles = el("div", "bqa-viewer-titles");
    var viewerTitle = el("h2", "bqa-viewer-title");
    viewerTitle.id = uid + "-doc-title";
    var viewerMeta = el("p", "bqa-viewer-meta");
    viewerTitles.appendChild(viewerTitle);
    viewerTitles.appendChild(viewerMeta);
    var viewerClose = attrs(el("button", "bqa-icon-button"), {
      type: "button",
      "aria-label": t.closeViewer,
      title: t.closeViewer
    });
    viewerClose.appendChild(svgIcon(ICONS.close));
    viewerClose.addEventListener("click", function () {
      viewer.close();
    });
    viewerHead.appendChild(viewerTitles);
    viewerHead.appendChild(viewerClose);
    var viewerBody = attrs(el("div", "bqa-viewer-body"), { tabindex: "0" });
    viewer.appendChild(viewerHead);
    viewer.appendChild(viewerBody);
    viewer.addEventListener("click", function (event) {
      if (event.target === viewer) viewer.close(); // a click on the backdrop
    });

    shell.appendChild(header);
    shell.appendChild(log);
    var docsView = buildDocumentsView();
    shell.appendChild(docsView);
    shell.appendChild(form);
    shell.appendChild(viewer);
    root.appendChild(shell);

    /* behaviour */
    function resize() {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 160) + "px";
    }

    function setBusy(value) {
      busy = value;
      send.disabled = value;
      shell.classList.toggle("bqa-busy", value);
      if (value) log.setAttribute("aria-busy", "true");
      else log.removeAttribute("aria-busy");
    }

    function updateSend() {
      send.disabled = busy || !input.value.trim();
    }

    input.addEventListener("input", function () {
      resize();
      updateSend();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // the send button is disabled while busy and would drop the focus (unless a bad date range took it)
      if (submit()) input.focus();
    });
    updateSend();

    // Sends the question in the box; false when the filters need fixing first (the focus is moved to them).
    function submit() {
      var question = input.value.trim();
      if (!question || busy) return true;
      if (!filtersUsable()) return false;
      input.value = "";
      resize();
      ask(question);
      return true;
    }

    newButton.addEventListener("click", newConversation);

    // Forgets the turns (the server is stateless: the turns sent are all it knows) and empties the thread.
    function newConversation() {
      conversation += 1;
      turns = [];
      metaWaiting = [];
      log.textContent = "";
      log.appendChild(empty);
      log.scrollTop = 0;
      input.focus();
    }

    function scrollToNode(node) {
      var top = node.offsetTop - 12;
      if (typeof log.scrollTo === "function") log.scrollTo({ top: top, behavior: "smooth" });
      else log.scrollTop = top;
    }

    // Scrolls the log just enough to show `node` (its top first when it is taller than the log).
    function reveal(node) {
      var view = log.getBoundingClientRect();
      var box = node.getBoundingClientRect();
      if (box.bottom <= view.bottom) return;
      log.scrollTop += Math.max(0, Math.min(box.bottom - view.bottom + 12, box.top - view.top - 12));
    }

    function addMessage(kind, node) {
      if (empty.parentNode) empty.parentNode.removeChild(empty);
      var row = el("div", "bqa-row bqa-row--" + kind);
      row.appendChild(node);
      log.appendChild(row);
      return row;
    }

    function ask(question) {
      // What the server reads: the question, the turns of this conversation before it and the filters.
      var body = { question: question, top_k: options.topK || 5, history: turns.slice(-MAX_TURNS) };
      var filters = activeFilters();
      if (filters) body.filters = filters;
      var generation = conversation;

      var bubble = el("div", "bqa-msg bqa-msg--user");
      bubble.appendChild(el("span", "bqa-sr", t.you + ": "));
      bubble.appendChild(el("p", "bqa-user-text", question));
      if (filters) {
        var note = el("p", "bqa-user-filters");
        note.appendChild(svgIcon(ICONS.filter));
        note.appendChild(el("span", "bqa-sr", t.filtersSummary + " "));
        note.appendChild(txt(describeFilters(filters)));
        bubble.appendChild(note);
      }
      var questionRow = addMessage("user", bubble);

      var typing = attrs(el("div", "bqa-msg bqa-msg--bot bqa-typing"), { role: "status" });
      var dots = attrs(el("span", "bqa-dots"), { "aria-hidden": "true" });
      dots.appendChild(el("span"));
      dots.appendChild(el("span"));
      dots.appendChild(el("span"));
      typing.appendChild(dots);
      typing.appendChild(el("span", "bqa-typing-text", t.thinking));
      var typingRow = addMessage("pending", typing);
      scrollToNode(questionRow);
      setBusy(true);

      request("POST", "/ask", body)
        .then(
          function (data) {
            if (generation !== conversation) return null; // "New conversation" was pressed meanwhile
            remember(body, data);
            return renderAnswer(data, body);
          },
          function (error) {
            return generation === conversation ? renderError(error) : null;
          }
        )
        .then(function (node) {
          if (!node) return;
          typingRow.parentNode.removeChild(typingRow);
          addMessage("bot", node);
          scrollToNode(questionRow);
        })
        .then(null, function (error) {
          if (generation !== conversation) return;
          if (typingRow.parentNode) typingRow.parentNode.removeChild(typingRow);
          addMessage("bot", renderError({ kind: "client", message: String(error && error.message) }));
        })
        .then(function () {
          setBusy(false);
          updateSend();
        });
    }

    // A reply becomes a turn of the conversation: its question, the document of its answer (of the closest
    // passage when nothing was found) and its answer sentence. Failed requests are no turns.
    function remember(body, data) {
      if (!data) return;
      var turn = { question: body.question, doc_ids: [], sentences: [] };
      var passages = data.passages || [];
      if (data.answer) {
        turn.doc_ids.push(data.answer.doc_id);
        if (data.answer.sentence) turn.sentences.push(String(data.answer.sentence).slice(0, 10000));
      } else if (passages.length) {
        turn.doc_ids.push(passages[0].doc_id);
      }
      turns.push(turn);
      while (turns.length > MAX_TURNS) turns.shift();
    }

    function request(method, path, body) {
      var init = { method: method, headers: { Accept: "application/json" } };
      if (options.apiKey) init.headers.Authorization = "Bearer " + options.apiKey;
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(endpoint + path, init).then(
        function (response) {
          return response.text().then(function (raw) {
            var data = null;
            try {
              data = raw ? JSON.parse(raw) : null;
            } catch (ignored) {
              data = null;
            }
            if (response.ok) return data;
            // Whole seconds to wait (429 rate limit, 503 queue full); readable cross-origin as the API exposes it.
            var wait = parseInt(response.headers.get("Retry-After") || "", 10);
            throw {
              kind: "http",
              status: response.status,
              message: detailMessage(data),
              retryAfter: wait > 0 ? wait : 0
            };
          });
        },
        function () {
          throw { kind: "network" };
        }
      );
    }

    /* ---------- rendering ---------- */

    function renderAnswer(data, body) {
      var answer = data && data.answer;
      if (!answer) return renderNotFound(data, body);
      var bubble = el("div", "bqa-msg bqa-msg--bot bqa-answer");
      bubble.appendChild(renderCandidate(answer, data.passages, true));
      var more = (data.answers || []).slice(1);
      if (more.length) {
        var details = el("details", "bqa-more");
        details.appendChild(el("summary", "bqa-more-summary", t.moreAnswers(more.length)));
        var list = el("ol", "bqa-more-list");
        more.forEach(function (candidate) {
          var item = el("li", "bqa-more-item");
          item.appendChild(renderCandidate(candidate, data.passages, false));
          list.appendChild(item);
        });
        details.appendChild(list);
        bubble.appendChild(details);
      }
      if (data.follow_up) bubble.appendChild(renderFollowUp(body));
      bubble.appendChild(renderWhy(data, body, false));
      bubble.appendChild(renderFeedback(data));
      return bubble;
    }

    // "Read as a follow-up to: …": the server read the question with the last turn sent.
    function renderFollowUp(body) {
      var earlier = (body && body.history) || [];
      var note = el("p", "bqa-followup");
      note.appendChild(svgIcon(ICONS.followUp));
      var text = el("span", "bqa-followup-text");
      text.appendChild(el("span", "bqa-followup-label", t.followUp));
      if (earlier.length) {
        text.appendChild(txt(" "));
        text.appendChild(el("q", "bqa-followup-question", earlier[earlier.length - 1].question));
      }
      note.appendChild(text);
      return note;
    }

    function renderCandidate(answer, passages, primary) {
      var box = el("div", primary ? "bqa-candidate bqa-candidate--primary" : "bqa-candidate");
      var sentence = el("p", "bqa-sentence-text");
      appendSentence(sentence, answer);
      box.appendChild(sentence);

      var meta = el("div", "bqa-meta");
      var pct = percent(answer.confidence);
      var conf = el("span", "bqa-confidence bqa-confidence--" + confidenceLevel(answer.confidence));
      conf.setAttribute("title", t.confidence + ": " + pct + "%");
      var meter = attrs(el("span", "bqa-meter"), { "aria-hidden": "true" });
      var fill = el("span", "bqa-meter-fill");
      fill.style.width = pct + "%";
      meter.appendChild(fill);
      conf.appendChild(meter);
      conf.appendChild(el("span", "bqa-confidence-text", t.confidence + " " + pct + "%"));
      meta.appendChild(conf);
      box.appendChild(meta);

      var cite = el("div", "bqa-citation");
      var source = el("div", "bqa-source");
      var docIcon = el("span", "bqa-source-icon");
      docIcon.appendChild(svgIcon(ICONS.doc));
      source.appendChild(docIcon);
      var sourceText = el("div", "bqa-source-text");
      sourceText.appendChild(el("span", "bqa-source-label", t.source));
      var titleLine = el("span", "bqa-source-title", answer.title || answer.doc_id);
      titleLine.setAttribute("title", String(answer.title || answer.doc_id));
      sourceText.appendChild(titleLine);
      sourceText.appendChild(dateSlot(answer.doc_id, "bqa-source-date"));
      source.appendChild(sourceText);
      source.appendChild(langBadge(answer.lang));
      cite.appendChild(source);

      var passage = passageFor(answer, passages);
      if (passage) {
        var details = el("details", "bqa-passage");
        details.appendChild(el("summary", "bqa-passage-summary", t.passage));
        var quote = el("blockquote", "bqa-passage-text");
        var inPassage = appendWithSentence(quote, passage.text, answer, passage.start);
        details.appendChild(quote);
        details.addEventListener("toggle", function () {
          // bring the quoted sentence into the passage box's view (it scrolls on its own)
          if (details.open && inPassage) quote.scrollTop = Math.max(0, inPassage.offsetTop - 12);
        });
        cite.appendChild(details);
      }

      var open = attrs(el("button", "bqa-open"), {
        type: "button",
        "aria-label": t.openDocLabel + " " + (answer.title || answer.doc_id)
      });
      open.appendChild(el("span", null, t.openDoc));
      open.appendChild(el("span", "bqa-arrow", "→"));
      open.setAttribute("aria-haspopup", "dialog");
      open.addEventListener("click", function () {
        openDocument(answer);
      });
      cite.appendChild(open);
      box.appendChild(cite);
      return box;
    }

    function langBadge(code) {
      var value = String(code || "").toLowerCase();
      var badge = el("abbr", "bqa-lang", value.toUpperCase() || "?");
      badge.setAttribute("title", t.langNames[value] || value);
      return badge;
    }

    // Not found: the closest passages, clearly not answers, each opening the document at that passage; the
    // configured contact; why; feedback. Without any passage (an empty index, strict filters) a plain notice.
    function renderNotFound(data, body) {
      var bubble = el("div", "bqa-msg bqa-msg--bot bqa-notfound");
      var icon = el("span", "bqa-notice-icon");
      icon.appendChild(svgIcon(ICONS.search));
      var content = el("div", "bqa-notice-body");
      var passages = (data && data.passages) || [];
      if (passages.length) {
        content.appendChild(el("p", "bqa-notice-title", t.notFoundClosest));
        content.appendChild(el("p", "bqa-notice-text", t.closestNote));
        var SHOWN = 3;
        content.appendChild(renderClosest(passages.slice(0, SHOWN)));
        if (passages.length > SHOWN) {
          var more = el("details", "bqa-more bqa-closest-more");
          more.appendChild(el("summary", "bqa-more-summary", t.closestMore(passages.length - SHOWN)));
          more.appendChild(renderClosest(passages.slice(SHOWN)));
          content.appendChild(more);
        }
      } else {
        content.appendChild(el("p", "bqa-notice-title", t.notFound));
        content.appendChild(el("p", "bqa-notice-text", body && body.filters ? t.notFoundFiltered : t.notFoundHint));
      }
      var contact = data && data.refusal && data.refusal.contact;
      if (contact) {
        var line = el("p", "bqa-refusal-contact");
        line.appendChild(el("span", "bqa-refusal-contact-label", t.contact));
        line.appendChild(txt(" " + contact));
        content.appendChild(line);
      }
      if (data && data.follow_up) content.appendChild(renderFollowUp(body));
      if (data && body) content.appendChild(renderWhy(data, body, true));
      if (data) content.appendChild(renderFeedback(data));
      bubble.appendChild(icon);
      bubble.appendChild(content);
      return bubble;
    }

    function renderClosest(passages) {
      var list = attrs(el("ol", "bqa-closest"), { "aria-label": t.closestLabel });
      passages.forEach(function (passage) {
        var item = el("li", "bqa-closest-item");
        var title = passage.title || passage.doc_id;
        var button = attrs(el("button", "bqa-closest-open"), {
          type: "button",
          "aria-haspopup": "dialog",
          "aria-label": t.closestOpen + " " + title
        });
        var head = el("span", "bqa-closest-head");
        head.appendChild(el("span", "bqa-closest-title", title));
        head.appendChild(langBadge(passage.lang));
        head.appendChild(dateSlot(passage.doc_id, "bqa-closest-date"));
        button.appendChild(head);
        button.appendChild(el("span", "bqa-closest-excerpt", excerpt(passage.text, 180)));
        button.addEventListener("click", function () {
          // the passage stands in for an answer sentence: marked and scrolled to, nothing highlighted inside
          openDocument({
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

    // The first `limit` characters of a passage on one line, cut at a word.
    function excerpt(text, limit) {
      var flat = String(text || "").replace(/\s+/g, " ").trim();
      if (flat.length <= limit) return flat;
      var cut = flat.slice(0, limit);
      var space = cut.lastIndexOf(" ");
      return (space > limit * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.–—-]+$/, "") + "…";
    }

    // 👍/👎 under an answer (or a "not found"); 👎 opens an optional "the answer is…" field. One verdict per
    // answer. The buttons are never `disabled` while sending or after it, so the focus is never dropped.
    function renderFeedback(data) {
      var answer = data.answer || null;
      var id = uid + "-fb" + ++feedbackCount;
      var box = attrs(el("div", "bqa-feedback"), { role: "group", "aria-labelledby": id + "-label" });
      var label = el("span", "bqa-feedback-label", t.feedbackLabel);
      label.id = id + "-label";
      var up = attrs(el("button", "bqa-vote bqa-vote--up"), {
        type: "button",
        "aria-label": t.feedbackUp,
        title: t.feedbackUp,
        "aria-pressed": "false"
      });
      up.appendChild(svgIcon(ICONS.thumbUp));
      var down = attrs(el("button", "bqa-vote bqa-vote--down"), {
        type: "button",
        "aria-label": t.feedbackDown,
        title: t.feedbackDown,
        "aria-pressed": "false",
        "aria-expanded": "false",
        "aria-controls": id + "-form"
      });
      down.appendChild(svgIcon(ICONS.thumbDown));
      var form = attrs(el("form", "bqa-correction"), { novalidate: "" });
      form.id = id + "-form";
      form.hidden = true;
      var fieldLabel = attrs(el("label", "bqa-sr", t.correctionLabel), { for: id + "-input" });
      var field = attrs(el("input", "bqa-correction-input"), {
        type: "text",
        maxlength: "1000",
        placeholder: t.correctionPlaceholder,
        autocomplete: "off",
        enterkeyhint: "send"
      });
      field.id = id + "-input";
      var sendFeedback = attrs(el("button", "bqa-correction-send", t.correctionSend), {
        type: "submit",
        "aria-label": t.correctionSendLabel
      });
      form.appendChild(fieldLabel);
      form.appendChild(field);
      form.appendChild(sendFeedback);
      var status = attrs(el("p", "bqa-feedback-status"), { role: "status", "aria-live": "polite" });
      box.appendChild(label);
      box.appendChild(up);
      box.appendChild(down);
      box.appendChild(form);
      box.appendChild(status);

      var sending = false;
      var done = false;

      function setInert(value) {
        [up, down, sendFeedback].forEach(function (button) {
          if (value) button.setAttribute("aria-disabled", "true");
          else button.removeAttribute("aria-disabled");
        });
      }

      function post(verdict, correction) {
        if (sending || done) return;
        sending = true;
        setInert(true);
        status.textContent = "";
        status.classList.remove("bqa-feedback-status--error");
        var body = { question: data.question, verdict: verdict, answer: null };
        if (answer) {
          body.answer = {
            text: answer.text,
            doc_id: answer.doc_id,
            start: answer.start,
            end: answer.end,
            sentence: answer.sentence,
            confidence: answer.confidence
          };
        }
        if (correction) body.correction = correction;
        request("POST", "/feedback", body)
          .then(
            function () {
              done = true;
              // In the widget the focus is inside a shadow root: ask the box's own root, not the document.
              var focused = box.contains((box.getRootNode ? box.getRootNode() : document).activeElement);
              var chosen = verdict === "up" ? up : down;
              chosen.setAttribute("aria-pressed", "true");
              form.hidden = true;
              down.setAttribute("aria-expanded", "false");
              box.classList.add("bqa-feedback--done");
              status.textContent = t.feedbackThanks;
              if (focused) chosen.focus(); // the field it was in is gone
            },
            function (error) {
              var info = errorText(error);
              // A refused request shows the server's reason; other failures their polite sentence.
              status.textContent = t.feedbackError + " " + (info.title === t.rejected ? info.text : info.title);
              status.classList.add("bqa-feedback-status--error");
            }
          )
          .then(function () {
            sending = false;
            setInert(done);
          });
      }

      up.addEventListener("click", function () {
        post("up");
      });
      down.addEventListener("click", function () {
        if (sending || done) return;
        form.hidden = false;
        down.setAttribute("aria-expanded", "true");
        field.focus();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        post("down", field.value.trim());
      });
      return box;
    }

    /* ---------- why? ---------- */

    // "Why?" under a reply: asks the same question again (same history and filters) with `explain: true`, once,
    // and shows what each stage found in a panel that Enter or Space toggles and Escape closes.
    function renderWhy(data, body, notFound) {
      var id = uid + "-why" + ++whyCount;
      var box = el("div", "bqa-why");
      var toggle = attrs(el("button", "bqa-why-toggle"), {
        type: "button",
        "aria-expanded": "false",
        "aria-controls": id
      });
      toggle.appendChild(el("span", "bqa-why-text", t.why));
      toggle.appendChild(el("span", "bqa-sr", " " + (notFound ? t.whyNotFoundLabel : t.whyLabel)));
      var panel = attrs(el("section", "bqa-explain"), { tabindex: "0", "aria-label": t.explainTitle });
      panel.id = id;
      panel.hidden = true;
      box.appendChild(toggle);
      box.appendChild(panel);

      var state = "idle"; // idle → loading → done (a failure goes back to idle: the next opening retries)

      function setOpen(open) {
        panel.hidden = !open;
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        box.classList.toggle("bqa-why--open", open);
        if (open && state === "idle") load();
        if (open) reveal(panel);
      }

      function load() {
        state = "loading";
        panel.textContent = "";
        panel.appendChild(attrs(el("p", "bqa-explain-status", t.explainLoading), { role: "status" }));
        var again = {};
        Object.keys(body).forEach(function (key) {
          again[key] = body[key];
        });
        again.explain = true;
        request("POST", "/ask", again).then(
          function (reply) {
            state = "done";
            panel.textContent = "";
            renderExplanation(panel, (reply && reply.explanation) || null, reply || data);
            if (!panel.hidden) reveal(panel);
          },
          function (error) {
            state = "idle";
            var info = errorText(error);
            panel.textContent = "";
            var box = attrs(el("div", "bqa-explain-status bqa-error-inline"), { role: "alert" });
            box.appendChild(el("p", "bqa-notice-title", t.explainError));
            box.appendChild(el("p", "bqa-notice-text", info.plain ? info.title + " " + info.text : info.text || info.title));
            panel.appendChild(box);
          }
        );
      }

      toggle.addEventListener("click", function () {
        setOpen(panel.hidden);
      });
      box.addEventListener("keydown", function (event) {
        if (event.key !== "Escape" || panel.hidden) return;
        event.preventDefault();
        event.stopPropagation(); // in the widget, Escape would close the whole panel
        setOpen(false);
        toggle.focus();
      });
      return box;
    }

    function num(value, digits) {
      var n = Number(value);
      if (!isFinite(n)) return String(value);
      return String(Math.round(n * Math.pow(10, digits)) / Math.pow(10, digits));
    }

    function explainHeading(text) {
      return el(mode === "page" ? "h3" : "h4", "bqa-explain-heading", text);
    }

    // name value · name value … of the numbers of `record` (and its text fields quoted), in the record's order.
    function figures(record, skip) {
      var line = el("span", "bqa-figures");
      Object.keys(record || {}).forEach(function (key) {
        if (skip.indexOf(key) >= 0) return;
        var value = record[key];
        if (value === null || value === undefined || typeof value === "object") return;
        var figure = el("span", "bqa-figure");
        figure.appendChild(el("span", "bqa-figure-name", key));
        figure.appendChild(txt(" "));
        figure.appendChild(el("span", "bqa-figure-value", typeof value === "number" ? num(value, 3) : "“" + value + "”"));
        line.appendChild(figure);
      });
      return line;
    }

    function renderExplanation(panel, exp, data) {
      if (!exp) {
        panel.appendChild(el("p", "bqa-explain-status", t.explainNone));
        return;
      }
      var answered = !exp.stage;
      var verdict = el("p", "bqa-explain-verdict bqa-explain-verdict--" + (answered ? "answered" : "abstained"));
      verdict.setAttribute("lang", "en"); // the server states it in English
      verdict.textContent = String(exp.verdict || "");
      panel.appendChild(verdict);

      var facts = el("dl", "bqa-explain-facts");
      function fact(name, value, valueLang) {
        var row = el("div", "bqa-explain-fact");
        row.appendChild(el("dt", null, name));
        var dd = el("dd", null, value);
        if (valueLang) dd.setAttribute("lang", valueLang);
        row.appendChild(dd);
        facts.appendChild(row);
      }
      fact(t.explainStage, answered ? t.explainNoStage : t.stageNames[exp.stage] || String(exp.stage));
      if (typeof exp.threshold === "number") fact(t.explainThreshold, num(exp.threshold, 3));
      var question = exp.question || {};
      if (question.kind) fact(t.explainKind, t.kindNames[question.kind] || String(question.kind));
      if (question.follow_up && question.read_as) fact(t.explainReadAs, "“" + question.read_as + "”");
      var filters = question.filters || {};
      var filterKeys = Object.keys(filters);
      if (filterKeys.length) {
        fact(
          t.explainFilters,
          filterKeys
            .map(function (key) {
              var value = filters[key];
              return key + " " + (Array.isArray(value) ? value.join(", ") : String(value));
            })
            .join(" · ")
        );
      }
      panel.appendChild(facts);

      // Titles of the passages named by id: from this reply's passages, else the documents list.
      var titles = {};
      ((data && data.passages) || []).forEach(function (p) {
        titles[p.doc_id] = p.title;
      });
      function titleOf(docId) {
        return titles[docId] || (docMeta[docId] && docMeta[docId].title) || docId;
      }

      panel.appendChild(explainHeading(t.explainPassages));
      var fused = ((exp.retrieval || {}).fused || []).slice(0, 5);
      if (!fused.length) panel.appendChild(el("p", "bqa-explain-empty", t.explainNone));
      else {
        var list = el("ol", "bqa-explain-list bqa-explain-passages");
        fused.forEach(function (p) {
          var item = el("li", "bqa-explain-passage");
          var head = el("span", "bqa-explain-item-head");
          var name = el("span", "bqa-explain-doc", titleOf(p.doc_id));
          name.setAttribute("title", String(p.doc_id));
          head.appendChild(name);
          head.appendChild(el("span", "bqa-explain-score", num(p.score, 3)));
          item.appendChild(head);
          var id = el("span", "bqa-explain-id", p.doc_id + " #" + p.chunk_id);
          item.appendChild(id);
          item.appendChild(figures(p, ["doc_id", "chunk_id", "score"]));
          list.appendChild(item);
        });
        panel.appendChild(list);
      }

      panel.appendChild(explainHeading(t.explainSentences));
      var sentences = ((exp.reading || {}).sentences || []).slice(0, 8);
      if (!sentences.length) panel.appendChild(el("p", "bqa-explain-empty", t.explainNone));
      else {
        var read = el("ol", "bqa-explain-list bqa-explain-sentences");
        sentences.forEach(function (s) {
          var item = el("li", "bqa-explain-sentence");
          item.appendChild(el("q", "bqa-explain-quote", s.sentence || ""));
          item.appendChild(figures(s, ["doc_id", "chunk_id", "sentence"]));
          read.appendChild(item);
        });
        panel.appendChild(read);
      }

      panel.appendChild(explainHeading(t.explainInputs));
      var best = (exp.answers || [])[0];
      if (!best) panel.appendChild(el("p", "bqa-explain-empty", t.explainNone));
      else {
        var candidate = el("p", "bqa-explain-candidate");
        candidate.appendChild(el("q", "bqa-explain-quote", best.text || ""));
        candidate.appendChild(txt(" "));
        candidate.appendChild(el("span", "bqa-explain-score", num(best.confidence, 3)));
        panel.appendChild(candidate);
        panel.appendChild(figures(best.inputs || {}, []));
      }
    }

    function errorText(error) {
      if (!error || error.kind === "network") return { title: t.networkError, text: t.networkHint, plain: true };
      // Refusals that are nobody's mistake get a polite sentence, not the server's technical detail.
      if (error.kind === "http" && error.status === 429) return { title: t.tooMany(error.retryAfter), text: "" };
      if (error.kind === "http" && error.status === 503) return { title: t.busy(error.retryAfter), text: "" };
      if (error.kind === "http" && error.status === 401) return { title: t.needKey, text: t.needKeyHint, plain: true };
      if (error.kind === "http" && error.status >= 400 && error.status < 500) {
        return { title: t.rejected, text: error.message || "HTTP " + error.status };
      }
      if (error.kind === "http") return { title: t.serverError(error.status), text: "" };
      return { title: t.networkError, text: error.message || "" };
    }

    function renderError(error) {
      var info = errorText(error);
      var bubble = attrs(el("div", "bqa-msg bqa-msg--bot bqa-error"), { role: "alert" });
      var icon = el("span", "bqa-notice-icon");
      icon.appendChild(svgIcon(ICONS.alert));
      var body = el("div", "bqa-notice-body");
      body.appendChild(el("p", "bqa-notice-title", info.title));
      if (info.text) body.appendChild(el("p", info.plain ? "bqa-notice-text" : "bqa-notice-text bqa-error-detail", info.text));
      bubble.appendChild(icon);
      bubble.appendChild(body);
      return bubble;
    }

    function buildEmptyState() {
      var box = el("div", "bqa-empty");
      var icon = el("span", "bqa-empty-icon");
      icon.appendChild(svgIcon(ICONS.doc));
      box.appendChild(icon);
      box.appendChild(el("p", "bqa-empty-title", t.emptyTitle));
      box.appendChild(el("p", "bqa-empty-text", t.emptyText));
      box.appendChild(el("p", "bqa-examples-label", t.examplesLabel));
      var list = el("ul", "bqa-examples");
      examples.forEach(function (example) {
        var item = el("li");
        var button = attrs(el("button", "bqa-example", example), { type: "button" });
        button.addEventListener("click", function () {
          if (busy) return;
          input.value = example;
          input.focus();
          submit();
        });
        item.appendChild(button);
        list.appendChild(item);
      });
      box.appendChild(list);
      return box;
    }

    /* ---------- document viewer ---------- */

    function loadDocument(docId) {
      if (!docCache[docId]) {
        docCache[docId] = request("GET", "/documents/" + encodeURIComponent(docId)).then(null, function (error) {
          delete docCache[docId];
          throw error;
        });
      }
      return docCache[docId];
    }

    /* ---------- documents view ---------- */

    // GET /documents is filtered here, in the browser; drawing more rows than this would help nobody.
    var MAX_LISTED = 200;
    var allDocs = null;
    var docsLoads = 0;
    var docsFilter, docsStatus, docsList;

    function buildDocumentsView() {
      var view = attrs(el("section", "bqa-docs"), { "aria-labelledby": uid + "-docs-title" });
      view.id = uid + "-docs";
      view.hidden = true;
      var heading = el(mode === "page" ? "h2" : "h3", "bqa-docs-title", t.documents);
      heading.id = uid + "-docs-title";
      docsFilter = attrs(el("input", "bqa-docs-filter"), {
        type: "search",
        placeholder: t.docsFilterPlaceholder,
        "aria-label": t.docsFilter,
        "aria-controls": uid + "-docs-list",
        autocomplete: "off"
      });
      docsStatus = attrs(el("p", "bqa-docs-status"), { role: "status", "aria-live": "polite" });
      docsList = attrs(el("ul", "bqa-docs-list"), { "aria-labelledby": uid + "-docs-title" });
      docsList.id = uid + "-docs-list";
      view.appendChild(heading);
      view.appendChild(docsFilter);
      view.appendChild(docsStatus);
      view.appendChild(docsList);
      docsFilter.addEventListener("input", renderDocuments);
      // Up and down arrows move between the filter and the documents; Tab works as everywhere.
      view.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
        var buttons = Array.prototype.slice.call(docsList.querySelectorAll(".bqa-doc"));
        var active = (view.getRootNode ? view.getRootNode() : document).activeElement;
        var at = buttons.indexOf(active);
        if (!buttons.length || (at < 0 && active !== docsFilter)) return;
        event.preventDefault();
        var next = at + (event.key === "ArrowDown" ? 1 : -1);
        if (next < 0) docsFilter.focus();
        else buttons[Math.min(next, buttons.length - 1)].focus();
      });
      return view;
    }

    function showDocuments(show) {
      docsView.hidden = !show;
      log.hidden = show;
      form.hidden = show;
      docsButton.setAttribute("aria-pressed", show ? "true" : "false");
      if (show) {
        loadDocuments(); // again at each opening: documents may have been added or removed meanwhile
        docsFilter.focus();
      } else {
        input.focus();
      }
    }

    docsButton.addEventListener("click", function () {
      showDocuments(docsView.hidden);
    });

    function loadDocuments() {
      var ticket = ++docsLoads;
      docsStatus.classList.remove("bqa-docs-status--error");
      if (!allDocs) docsStatus.textContent = t.docsLoading;
      request("GET", "/documents").then(
        function (docs) {
          if (ticket !== docsLoads) return;
          allDocs = Array.isArray(docs) ? docs : [];
          noteDocuments(allDocs);
          renderDocuments();
        },
        function (error) {
          if (ticket !== docsLoads) return;
          var info = errorText(error);
          docsList.textContent = "";
          docsStatus.textContent = t.docsError + " " + (info.title === t.rejected ? info.text : info.title);
          docsStatus.classList.add("bqa-docs-status--error");
        }
      );
    }

    function renderDocuments() {
      if (!allDocs) return;
      var query = docsFilter.value.trim().toLocaleLowerCase();
      var matches = allDocs.filter(function (doc) {
        return !query || String(doc.title || doc.doc_id).toLocaleLowerCase().indexOf(query) >= 0;
      });
      docsList.textContent = "";
      matches.slice(0, MAX_LISTED).forEach(function (doc) {
        docsList.appendChild(renderDocumentItem(doc));
      });
      docsStatus.classList.remove("bqa-docs-status--error");
      if (!matches.length) docsStatus.textContent = t.docsEmpty;
      else {
        var more = matches.length > MAX_LISTED ? " " + t.docsMore(MAX_LISTED) : "";
        docsStatus.textContent = t.docsCount(matches.length, allDocs.length) + more;
      }
    }

    function formatDate(iso) {
      var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
      if (!parts) return iso ? String(iso) : "—";
      var date = new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3]));
      var options = { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" };
      return date.toLocaleDateString(lang === "ru" ? "ru-RU" : "en-GB", options);
    }

    function metaField(name, value, className) {
      var field = el("span", "bqa-doc-field " + className);
      field.appendChild(el("span", "bqa-doc-field-name", name));
      field.appendChild(txt(" "));
      field.appendChild(el("span", "bqa-doc-field-value", value));
      return field;
    }

    function renderDocumentItem(doc) {
      var item = el("li", "bqa-docs-item");
      var button = attrs(el("button", "bqa-doc"), { type: "button", "aria-haspopup": "dialog" });
      button.appendChild(el("span", "bqa-doc-title", doc.title || doc.doc_id));
      var meta = el("span", "bqa-doc-meta");
      var language = el("span", "bqa-doc-field bqa-doc-lang");
      language.appendChild(el("span", "bqa-sr", t.docLanguage + " "));
      language.appendChild(langBadge(doc.lang));
      meta.appendChild(language);
      meta.appendChild(metaField(t.docDate, doc.date ? formatDate(doc.date) : "—", "bqa-doc-date"));
      meta.appendChild(metaField(t.docCollection, doc.collection || "—", "bqa-doc-collection"));
      meta.appendChild(el("span", "bqa-doc-field bqa-doc-size", t.chars(Number(doc.chars) || 0)));
      button.appendChild(meta);
      button.addEventListener("click", function () {
        openDocument({ doc_id: doc.doc_id, title: doc.title }); // no answer: the text without a highlight
      });
      item.appendChild(button);
      return item;
    }

    /* ---------- document metadata (dates in citations) ---------- */

    // What is known of each document (title, language, date, collection): from GET /documents, fetched at most
    // once for this (the documents view fetches it again at each opening), and from documents opened.
    var docMeta = {};
    var metaWaiting = []; // [doc_id, callback] for documents not known yet
    var metaLoad = null;

    function noteDocuments(docs) {
      docs.forEach(function (doc) {
        if (!doc || !doc.doc_id) return;
        docMeta[doc.doc_id] = {
          doc_id: doc.doc_id,
          title: doc.title,
          lang: doc.lang,
          date: doc.date || null,
          collection: doc.collection || null
        };
      });
      metaWaiting = metaWaiting.filter(function (waiting) {
        var doc = docMeta[waiting[0]];
        if (doc) waiting[1](doc);
        return !doc;
      });
      updateFiltersStatus();
    }

    function ensureDocuments() {
      if (!metaLoad) {
        metaLoad = allDocs
          ? Promise.resolve(allDocs)
          : request("GET", "/documents").then(
              function (docs) {
                docs = Array.isArray(docs) ? docs : [];
                if (!allDocs) allDocs = docs;
                noteDocuments(docs);
                return docs;
              },
              function () {
                return null; // dates are a nicety: no error shown, no retry
              }
            );
      }
      return metaLoad;
    }

    function withDocument(docId, use) {
      if (docMeta[docId]) {
        use(docMeta[docId]);
        return;
      }
      metaWaiting.push([docId, use]);
      ensureDocuments();
    }

    // The document's date, filled in once known; hidden for documents without one.
    function dateSlot(docId, className) {
      var slot = el("time", className);
      slot.hidden = true;
      withDocument(docId, function (doc) {
        if (!doc.date) return;
        slot.textContent = formatDate(doc.date);
        slot.setAttribute("datetime", doc.date);
        slot.setAttribute("title", t.docDate + ": " + formatDate(doc.date));
        slot.hidden = false;
      });
      return slot;
    }

    /* ---------- filters ---------- */

    var langInputs, dateFrom, dateTo, filtersStatus, filtersClear;

    function buildFilters() {
      var row = attrs(el("div", "bqa-filters"), { role: "group", "aria-label": t.filtersTitle });
      row.id = uid + "-filters";
      row.hidden = true;

      var langSet = el("fieldset", "bqa-filter bqa-filter-lang");
      langSet.appendChild(el("legend", "bqa-filter-name", t.filterLang));
      var segments = el("div", "bqa-segments");
      langInputs = [
        ["", t.filterAny],
        ["ru", t.filterLangNames.ru],
        ["en", t.filterLangNames.en]
      ].map(function (option) {
        var label = el("label", "bqa-segment");
        if (option[0]) label.setAttribute("lang", option[0]); // "Русский" is read as Russian, "English" as English
        var radio = attrs(el("input", "bqa-segment-input"), { type: "radio", name: uid + "-lang", value: option[0] });
        radio.checked = !option[0];
        radio.addEventListener("change", filtersChanged);
        label.appendChild(radio);
        label.appendChild(el("span", "bqa-segment-text", option[1]));
        segments.appendChild(label);
        return radio;
      });
      langSet.appendChild(segments);

      var dateSet = el("fieldset", "bqa-filter bqa-filter-dates");
      dateSet.appendChild(el("legend", "bqa-filter-name", t.filterDates));
      var dates = el("div", "bqa-dates");
      dateFrom = dateField(dates, t.filterFrom);
      dateTo = dateField(dates, t.filterTo);
      dateSet.appendChild(dates);

      filtersClear = attrs(el("button", "bqa-filters-clear", t.filtersClear), { type: "button" });
      filtersClear.addEventListener("click", clearFilters);
      filtersStatus = attrs(el("p", "bqa-filters-status"), { role: "status", "aria-live": "polite" });

      row.appendChild(langSet);
      row.appendChild(dateSet);
      row.appendChild(filtersClear);
      row.appendChild(filtersStatus);
      row.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && event.target.tagName === "INPUT") {
          event.preventDefault(); // Enter in a filter does not send the question
        } else if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation(); // in the widget, Escape would close the whole panel
          showFilters(false);
          filtersToggle.focus();
        }
      });
      return row;
    }

    function dateField(parent, name) {
      var label = el("label", "bqa-date");
      label.appendChild(el("span", "bqa-date-name", name));
      var field = attrs(el("input", "bqa-date-input"), { type: "date", min: "1000-01-01", max: "9999-12-31" });
      field.addEventListener("input", filtersChanged);
      field.addEventListener("change", filtersChanged);
      label.appendChild(field);
      parent.appendChild(label);
      return field;
    }

    function showFilters(show) {
      filtersRow.hidden = !show;
      filtersToggle.setAttribute("aria-expanded", show ? "true" : "false");
      form.classList.toggle("bqa-composer--filters", show);
      if (show) ensureDocuments(); // to say how many documents match
    }

    filtersToggle.addEventListener("click", function () {
      showFilters(filtersRow.hidden);
    });

    function selectedLang() {
      for (var i = 0; i < langInputs.length; i++) if (langInputs[i].checked) return langInputs[i].value;
      return "";
    }

    // The filters as /ask takes them, or null when none is set.
    function activeFilters() {
      var filters = {};
      var language = selectedLang();
      if (language) filters.langs = [language];
      if (dateFrom.value) filters.date_from = dateFrom.value;
      if (dateTo.value) filters.date_to = dateTo.value;
      return Object.keys(filters).length ? filters : null;
    }

    function badRange() {
      return !!(dateFrom.value && dateTo.value && dateFrom.value > dateTo.value);
    }

    // A start after the end is refused here, with the reason next to the dates, rather than by the server.
    function filtersUsable() {
      if (!badRange()) return true;
      showFilters(true);
      updateFiltersStatus();
      dateTo.focus();
      return false;
    }

    function describeFilters(filters) {
      var parts = [];
      if (filters.langs) parts.push(filters.langs.map(function (code) { return t.filterLangNames[code] || code; }).join(", "));
      if (filters.date_from && filters.date_to) parts.push(formatDate(filters.date_from) + " – " + formatDate(filters.date_to));
      else if (filters.date_from) parts.push(t.dateFrom(formatDate(filters.date_from)));
      else if (filters.date_to) parts.push(t.dateTo(formatDate(filters.date_to)));
      return parts.join(" · ");
    }

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

    function filtersChanged() {
      var filters = activeFilters();
      var count = filters ? (filters.langs ? 1 : 0) + (filters.date_from || filters.date_to ? 1 : 0) : 0;
      filtersBadge.textContent = String(count);
      filtersBadge.hidden = !count;
      filtersCount.textContent = count ? " " + t.filtersActive(count) : "";
      filtersToggle.classList.toggle("bqa-tool--active", count > 0);
      if (count) filtersToggle.setAttribute("title", describeFilters(filters));
      else filtersToggle.removeAttribute("title");
      dateTo.min = dateFrom.value || "1000-01-01";
      dateFrom.max = dateTo.value || "9999-12-31";
      var bad = badRange();
      [dateFrom, dateTo].forEach(function (field) {
        if (bad) field.setAttribute("aria-invalid", "true");
        else field.removeAttribute("aria-invalid");
      });
      updateFiltersStatus();
    }

    function updateFiltersStatus() {
      if (!filtersStatus) return;
      var bad = badRange();
      filtersStatus.classList.toggle("bqa-filters-status--error", bad);
      if (bad) {
        filtersStatus.textContent = t.filtersBadRange;
        return;
      }
      var filters = activeFilters();
      if (!filters || !allDocs) {
        filtersStatus.textContent = "";
        return;
      }
      var matching = allDocs.filter(function (doc) {
        return passes(doc, filters);
      }).length;
      var text = t.filtersMatch(matching, allDocs.length) + ".";
      var undated = allDocs.some(function (doc) {
        return !doc.date;
      });
      if ((filters.date_from || filters.date_to) && undated) text += " " + t.filtersUndated;
      filtersStatus.textContent = text;
    }

    function clearFilters() {
      langInputs[0].checked = true;
      dateFrom.value = "";
      dateTo.value = "";
      filtersChanged();
    }

    function showViewer() {
      if (viewer.open) return;
      if (typeof viewer.showModal === "function") viewer.showModal();
      else viewer.setAttribute("open", "");
    }

    var viewing = 0;

    function openDocument(answer) {
      var ticket = ++viewing; // a slower earlier request must not overwrite a later one
      viewerTitle.textContent = answer.title || answer.doc_id;
      viewerMeta.textContent = "";
      viewerBody.textContent = "";
      viewerBody.appendChild(el("p", "bqa-viewer-status", t.docLoading));
      showViewer();
      loadDocument(answer.doc_id).then(
        function (doc) {
          if (ticket !== viewing) return;
          viewerTitle.textContent = doc.title || doc.doc_id;
          viewerMeta.textContent = "";
          viewerMeta.appendChild(langBadge(doc.lang));
          viewerMeta.appendChild(el("span", "bqa-viewer-id", doc.doc_id));
          if (doc.date) {
            var date = attrs(el("time", "bqa-viewer-date", formatDate(doc.date)), { datetime: doc.date });
            viewerMeta.appendChild(date);
          }
          viewerMeta.appendChild(el("span", "bqa-viewer-size", t.chars((doc.text || "").length)));
          noteDocuments([doc]);
          viewerBody.textContent = "";
          var textBox = el("div", "bqa-doc-text");
          var mark = appendWithSentence(textBox, doc.text, answer, 0);
          viewerBody.appendChild(textBox);
          if (mark) {
            mark.setAttribute("tabindex", "-1");
            mark.scrollIntoView({ block: "center" });
          } else {
            viewerBody.scrollTop = 0; // a document opened from the list starts at its top
          }
        },
        function (error) {
          if (ticket !== viewing) return;
          var info = errorText(error);
          viewerBody.textContent = "";
          var box = attrs(el("div", "bqa-viewer-status bqa-error-inline"), { role: "alert" });
          box.appendChild(el("p", "bqa-notice-title", t.docError));
          box.appendChild(el("p", "bqa-notice-text", info.plain ? info.title + " " + info.text : info.text || info.title));
          viewerBody.appendChild(box);
        }
      );
    }

    return {
      element: shell,
      focus: function () {
        if (docsView.hidden) input.focus();
        else docsFilter.focus();
      },
      ask: function (question) {
        if (!busy && question && filtersUsable()) ask(String(question));
      },
      isViewerOpen: function () {
        return viewer.open;
      },
      closeViewer: function () {
        if (viewer.open) viewer.close();
      }
    };
  }

  var api = { mountChat: mountChat, strings: STRINGS, version: "1" };
  global.BorderQAChat = api;

  function autoMount() {
    var nodes = document.querySelectorAll("[data-border-qa-chat]");
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.getAttribute("data-mounted")) return;
      node.setAttribute("data-mounted", "1");
      var chat = mountChat(node, {
        endpoint: node.getAttribute("data-endpoint") || "",
        lang: node.getAttribute("data-lang") || undefined,
        apiKey: node.getAttribute("data-key") || undefined,
        mode: "page"
      });
      if (node.hasAttribute("data-autofocus")) chat.focus();
      if (node.hasAttribute("data-page")) {
        var lang = uiLanguage(node.getAttribute("data-lang") || undefined);
        document.documentElement.setAttribute("lang", lang);
        document.title = STRINGS[lang].title;
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoMount);
  else autoMount();
})(window);
