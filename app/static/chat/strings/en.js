/*
 * The chat's English strings. Every table under strings/ has exactly these keys (tests/ui check it): a string, a
 * function of the numbers it shows, or a map of codes to names.
 */
export default {
  languageName: "English",
  languageLabel: "Interface language",
  locale: "en-GB",
  title: "Document Q&A",
  subtitle: "Cited answers from the documents",
  placeholder: "Ask a question…",
  inputLabel: "Your question",
  sendLabel: "Send question",
  close: "Close chat",
  logLabel: "Conversation",
  emptyTitle: "Ask about the documents",
  emptyText:
    "Write in Russian, English, Kazakh, Kyrgyz, Uzbek or Tajik. Each answer is a sentence quoted from a " +
    "document, with the exact answer highlighted and its source cited.",
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
  original: "Original page",
  originalLabel: "Open the page this document was fetched from (new tab):",
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
  httpStatus: function (status) {
    return "HTTP " + status;
  },
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
    return n.toLocaleString("en-GB") + " characters";
  },
  langNames: { ru: "Russian", en: "English", kk: "Kazakh", ky: "Kyrgyz", uz: "Uzbek", tg: "Tajik" },
  newConversation: "New conversation",
  filters: "Filters",
  filtersActive: function (n) {
    return "(" + n + " active)";
  },
  filtersTitle: "Search only documents that match",
  filterLang: "Document language",
  filterAny: "Any",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
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
};
