/* The chat's Tajik strings: the keys of strings/en.js. A Tajik noun after a number stays singular (5 ҳуҷҷат). */

export default {
  languageName: "Тоҷикӣ",
  languageLabel: "Забони интерфейс",
  locale: "tg-TJ",
  title: "Саволҳо аз рӯи ҳуҷҷатҳо",
  subtitle: "Ҷавобҳо бо иқтибос аз ҳуҷҷатҳо",
  placeholder: "Савол диҳед…",
  inputLabel: "Саволи шумо",
  sendLabel: "Фиристодани савол",
  close: "Пӯшидани чат",
  logLabel: "Суҳбат",
  emptyTitle: "Дар бораи ҳуҷҷатҳо пурсед",
  emptyText:
    "Ба забони русӣ, англисӣ, қазоқӣ, қирғизӣ, ӯзбекӣ ё тоҷикӣ нависед. Ҳар як ҷавоб ҷумлае аз ҳуҷҷат аст: дар " +
    "он ҷавоби дақиқ ҷудо карда мешавад ва манбааш нишон дода мешавад.",
  examplesLabel: "Намунаҳо",
  examples: [
    "Сколько человек приняли участие в конференции в Боровом?",
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "Who is the Head of the OSCE Centre in Bishkek?"
  ],
  keysHint: "Enter — фиристодан · Shift+Enter — сатри нав",
  you: "Шумо",
  thinking: "Дар ҳуҷҷатҳо ҷустуҷӯ мекунам…",
  confidence: "Эътимод",
  source: "Манбаъ",
  passage: "Порча аз ҳуҷҷат",
  openDoc: "Кушодани ҳуҷҷат",
  openDocLabel: "Кушодани ҳуҷҷати пурра дар ҳамин ҷумла:",
  original: "Саҳифаи аслӣ",
  originalLabel: "Кушодани саҳифае, ки ҳуҷҷат аз он гирифта шудааст (варақаи нав):",
  moreAnswers: function (n) {
    return "Боз " + n + " ҷавоби эҳтимолӣ";
  },
  notFound: "Дар ҳуҷҷатҳо ҷавоб ёфт нашуд.",
  notFoundHint: "Ҳуҷҷатҳо ба ин савол ҷавоби боэътимод намедиҳанд. Саволро ба таври дигар пурсида бинед.",
  networkError: "Ба сервер пайваст шудан имконнопазир аст.",
  networkHint: "Пайвастро санҷед ва бори дигар кӯшиш кунед.",
  serverError: function (status) {
    return "Сервер ҷавоб дода натавонист (HTTP " + status + "). Лутфан, баъдтар бори дигар кӯшиш кунед.";
  },
  tooMany: function (seconds) {
    return seconds
      ? "Саволҳо хеле зиёданд, пас аз " + seconds + " сония бори дигар кӯшиш кунед."
      : "Саволҳо хеле зиёданд, каме баъдтар бори дигар кӯшиш кунед.";
  },
  busy: function (seconds) {
    return seconds
      ? "Хидмат ҳоло банд аст, пас аз " + seconds + " сония бори дигар кӯшиш кунед."
      : "Хидмат ҳоло банд аст, каме баъдтар бори дигар кӯшиш кунед.";
  },
  needKey: "Барои ин чат калиди дастрасии эътибордор лозим аст.",
  needKeyHint: "Лутфан, ба маъмури сайт хабар диҳед.",
  rejected: "Савол қабул нашуд:",
  httpStatus: function (status) {
    return "HTTP " + status;
  },
  docLoading: "Ҳуҷҷат бор шуда истодааст…",
  docError: "Ҳуҷҷат кушода нашуд:",
  closeViewer: "Пӯшидани ҳуҷҷат",
  feedbackLabel: "Ҷавоб дуруст аст?",
  feedbackUp: "Ҳа, ҷавоб дуруст аст",
  feedbackDown: "Не, ҷавоб нодуруст аст",
  correctionLabel: "Ҷавоби дуруст…",
  correctionPlaceholder: "Ҷавоби дуруст… (ихтиёрӣ)",
  correctionSend: "Фиристодан",
  correctionSendLabel: "Фиристодани фикр",
  feedbackThanks: "Ташаккур барои фикратон!",
  feedbackError: "Фикр фиристода нашуд:",
  documents: "Ҳуҷҷатҳо",
  docsFilter: "Филтр кардани ҳуҷҷатҳо аз рӯи ном",
  docsFilterPlaceholder: "Филтр аз рӯи ном…",
  docsLoading: "Рӯйхати ҳуҷҷатҳо бор шуда истодааст…",
  docsError: "Рӯйхати ҳуҷҷатҳо бор нашуд:",
  docsEmpty: "Ҳуҷҷате бо чунин ном нест.",
  docsCount: function (shown, total) {
    return shown === total ? total + " ҳуҷҷат" : shown + " аз " + total + " ҳуҷҷат";
  },
  docsMore: function (n) {
    return "(" + n + " ҳуҷҷати аввал нишон дода шудааст: филтрро дақиқ кунед)";
  },
  docDate: "Сана",
  docCollection: "Маҷмӯа",
  docLanguage: "Забон",
  chars: function (n) {
    return n.toLocaleString("tg-TJ") + " аломат";
  },
  langNames: {
    ru: "забони русӣ",
    en: "забони англисӣ",
    kk: "забони қазоқӣ",
    ky: "забони қирғизӣ",
    uz: "забони ӯзбекӣ",
    tg: "забони тоҷикӣ"
  },
  newConversation: "Суҳбати нав",
  filters: "Филтрҳо",
  filtersActive: function (n) {
    return "(фаъол: " + n + ")";
  },
  filtersTitle: "Танҳо дар ҳуҷҷатҳои мувофиқ ҷустуҷӯ кардан",
  filterLang: "Забони ҳуҷҷат",
  filterAny: "Ҳар кадом",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
  filterDates: "Санаи ҳуҷҷат",
  filterFrom: "Аз",
  filterTo: "То",
  filtersClear: "Тоза кардани филтрҳо",
  filtersMatch: function (shown, total) {
    return "Ҳуҷҷатҳои мувофиқ: " + shown + " аз " + total;
  },
  filtersUndated: "Ҳуҷҷатҳои бесана аз филтри сана намегузаранд.",
  filtersBadRange: "Санаи оғоз аз санаи анҷом дертар аст.",
  filtersSummary: "Филтрҳо:",
  dateFrom: function (date) {
    return "аз " + date;
  },
  dateTo: function (date) {
    return "то " + date;
  },
  followUp: "Ҳамчун идомаи саволи қаблӣ хонда шуд:",
  why: "Чаро?",
  whyLabel: "Шарҳи ин ҷавоб",
  whyNotFoundLabel: "Шарҳи он ки чаро ҷавоб нест",
  explainTitle: "Ин натиҷа чӣ тавр ба даст омад",
  explainLoading: "Шарҳ дархост шуда истодааст…",
  explainError: "Шарҳ гирифта нашуд:",
  explainStage: "Марҳилае, ки бояд санҷида шавад",
  explainNoStage: "нест: ҷавоб аз ҳад гузашт",
  stageNames: {
    index: "индекс (ҳуҷҷатҳо бор карда нашудаанд)",
    question: "савол",
    filters: "филтрҳо",
    retrieval: "ҷустуҷӯи порчаҳо",
    reading: "хондани ҷумлаҳо"
  },
  explainThreshold: "Ҳадди эътимод",
  explainKind: "Навъи савол",
  kindNames: {
    number: "адад",
    date: "сана",
    person: "шахс",
    place: "ҷой",
    organisation: "ташкилот",
    other: "дигар"
  },
  explainReadAs: "Чунин хонда шуд",
  explainFilters: "Филтрҳо",
  explainPassages: "Порчаҳои ёфтшуда (рейтинги ниҳоӣ)",
  explainSentences: "Ҷумлаҳои хондашуда",
  explainInputs: "Нишондиҳандаҳои эътимоди беҳтарин номзад",
  explainNone: "Нест.",
  notFoundClosest: "Дар ҳуҷҷатҳо ҷавоб ёфт нашуд — порчаҳои наздиктарин:",
  closestNote: "Инҳо ҷавоб нестанд: порчаро кушоед, то онро дар худи ҳуҷҷат хонед.",
  closestLabel: "Порчаҳои наздиктарин (ҷавоб нестанд)",
  closestOpen: "Кушодани ҳуҷҷат дар ҳамин порча:",
  closestMore: function (n) {
    return "Боз " + n + " порча";
  },
  notFoundFiltered: "Ягон ҳуҷҷат ба филтрҳо мувофиқ нест. Онҳоро тоза кунед ё васеъ намоед ва аз нав пурсед.",
  contact: "Ба кӣ муроҷиат кардан мумкин аст:"
};
