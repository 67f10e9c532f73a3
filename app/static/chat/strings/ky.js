/* The chat's Kyrgyz strings: the keys of strings/en.js. A Kyrgyz noun after a number stays singular (5 документ). */

export default {
  languageName: "Кыргызча",
  languageLabel: "Интерфейстин тили",
  locale: "ky-KG",
  title: "Документтер боюнча суроолор",
  subtitle: "Документтерден цитата келтирилген жооптор",
  placeholder: "Суроо бериңиз…",
  inputLabel: "Сиздин сурооңуз",
  sendLabel: "Суроону жөнөтүү",
  close: "Чатты жабуу",
  logLabel: "Маек",
  emptyTitle: "Документтер тууралуу сураңыз",
  emptyText:
    "Орус, англис, казак, кыргыз, өзбек же тажик тилинде жазыңыз. Ар бир жооп — документтен алынган сүйлөм: " +
    "анда так жооп белгиленип, булагы көрсөтүлөт.",
  examplesLabel: "Мисалдар",
  examples: [
    "Сколько человек приняли участие в конференции в Боровом?",
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "Who is the Head of the OSCE Centre in Bishkek?"
  ],
  keysHint: "Enter — жөнөтүү · Shift+Enter — жаңы сап",
  you: "Сиз",
  thinking: "Документтерден издеп жатам…",
  confidence: "Ишенимдүүлүк",
  source: "Булак",
  passage: "Документтен үзүндү",
  openDoc: "Документти ачуу",
  openDocLabel: "Толук документти ушул сүйлөмдөн ачуу:",
  original: "Баштапкы барак",
  originalLabel: "Документ алынган баракты ачуу (жаңы өтмөк):",
  moreAnswers: function (n) {
    return "Дагы " + n + " мүмкүн болгон жооп";
  },
  notFound: "Документтерден жооп табылган жок.",
  notFoundHint: "Документтер бул суроого ишенимдүү жооп бербейт. Суроону башкача берип көрүңүз.",
  networkError: "Серверге туташуу мүмкүн эмес.",
  networkHint: "Байланышты текшерип, кайра аракет кылыңыз.",
  serverError: function (status) {
    return "Сервер жооп бере алган жок (HTTP " + status + "). Кийинчерээк кайра аракет кылыңыз.";
  },
  tooMany: function (seconds) {
    return seconds
      ? "Суроолор өтө көп, " + seconds + " секунддан кийин кайталаңыз."
      : "Суроолор өтө көп, бир аздан кийин кайталаңыз.";
  },
  busy: function (seconds) {
    return seconds
      ? "Кызмат ашыкча жүктөлгөн, " + seconds + " секунддан кийин кайталаңыз."
      : "Кызмат ашыкча жүктөлгөн, бир аздан кийин кайталаңыз.";
  },
  needKey: "Бул чатка жарактуу кирүү ачкычы керек.",
  needKeyHint: "Сайттын администраторуна кабарлаңыз.",
  rejected: "Суроо кабыл алынган жок:",
  httpStatus: function (status) {
    return "HTTP " + status;
  },
  docLoading: "Документ жүктөлүүдө…",
  docError: "Документти ачуу мүмкүн болгон жок:",
  closeViewer: "Документти жабуу",
  feedbackLabel: "Жооп туурабы?",
  feedbackUp: "Ооба, жооп туура",
  feedbackDown: "Жок, жооп туура эмес",
  correctionLabel: "Туура жооп…",
  correctionPlaceholder: "Туура жооп… (милдеттүү эмес)",
  correctionSend: "Жөнөтүү",
  correctionSendLabel: "Пикирди жөнөтүү",
  feedbackThanks: "Пикириңиз үчүн рахмат!",
  feedbackError: "Пикир жөнөтүлгөн жок:",
  documents: "Документтер",
  docsFilter: "Документтерди аталышы боюнча чыпкалоо",
  docsFilterPlaceholder: "Аталышы боюнча чыпкалоо…",
  docsLoading: "Документтердин тизмеси жүктөлүүдө…",
  docsError: "Документтердин тизмесин жүктөө мүмкүн болгон жок:",
  docsEmpty: "Мындай аталыштагы документ жок.",
  docsCount: function (shown, total) {
    return shown === total ? total + " документ" : shown + " документ (жалпысынан " + total + ")";
  },
  docsMore: function (n) {
    return "(алгачкы " + n + " документ көрсөтүлдү: чыпканы тактаңыз)";
  },
  docDate: "Күнү",
  docCollection: "Жыйнак",
  docLanguage: "Тили",
  chars: function (n) {
    return n.toLocaleString("ky-KG") + " белги";
  },
  langNames: {
    ru: "орус тили",
    en: "англис тили",
    kk: "казак тили",
    ky: "кыргыз тили",
    uz: "өзбек тили",
    tg: "тажик тили"
  },
  newConversation: "Жаңы маек",
  filters: "Чыпкалар",
  filtersActive: function (n) {
    return "(активдүү: " + n + ")";
  },
  filtersTitle: "Туура келген документтерден гана издөө",
  filterLang: "Документтин тили",
  filterAny: "Каалаган",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
  filterDates: "Документтин күнү",
  filterFrom: "Баштап",
  filterTo: "Чейин",
  filtersClear: "Чыпкаларды тазалоо",
  filtersMatch: function (shown, total) {
    return "Туура келген документтер: " + total + " ичинен " + shown;
  },
  filtersUndated: "Күнү жок документтер күн боюнча чыпкадан өтпөйт.",
  filtersBadRange: "Баштапкы күн акыркы күндөн кийин турат.",
  filtersSummary: "Чыпкалар:",
  // A date as the browser writes it takes no case ending ("…дан баштап"), so the range is said without one.
  dateFrom: function (date) {
    return date + " жана андан кийин";
  },
  dateTo: function (date) {
    return date + " жана андан мурун";
  },
  followUp: "Мурунку суроонун уландысы катары окулду:",
  why: "Эмне үчүн?",
  whyLabel: "Бул жоопту түшүндүрүү",
  whyNotFoundLabel: "Жооп эмне үчүн жок экенин түшүндүрүү",
  explainTitle: "Бул натыйжа кантип алынды",
  explainLoading: "Түшүндүрмө суралууда…",
  explainError: "Түшүндүрмөнү алуу мүмкүн болгон жок:",
  explainStage: "Текшерүү керек болгон этап",
  explainNoStage: "жок: жооп босогодон өттү",
  stageNames: {
    index: "индекс (документтер жүктөлгөн эмес)",
    question: "суроо",
    filters: "чыпкалар",
    retrieval: "үзүндүлөрдү издөө",
    reading: "сүйлөмдөрдү окуу"
  },
  explainThreshold: "Ишенимдүүлүк босогосу",
  explainKind: "Суроонун түрү",
  kindNames: {
    number: "сан",
    date: "дата",
    person: "адам",
    place: "жер",
    organisation: "уюм",
    other: "башка"
  },
  explainReadAs: "Мындайча окулду",
  explainFilters: "Чыпкалар",
  explainPassages: "Табылган үзүндүлөр (жыйынтык рейтинг)",
  explainSentences: "Окулган сүйлөмдөр",
  explainInputs: "Эң мыкты талапкердин ишенимдүүлүк белгилери",
  explainNone: "Жок.",
  notFoundClosest: "Документтерден жооп табылган жок — эң жакын үзүндүлөр:",
  closestNote: "Булар жооп эмес: үзүндүнү документтин ичинде окуу үчүн ачыңыз.",
  closestLabel: "Эң жакын үзүндүлөр (жооп эмес)",
  closestOpen: "Документти ушул үзүндүдөн ачуу:",
  closestMore: function (n) {
    return "Дагы " + n + " үзүндү";
  },
  notFoundFiltered: "Чыпкаларга туура келген документ жок. Аларды тазалап же кеңейтип, кайра сураңыз.",
  contact: "Кимге кайрылса болот:"
};
