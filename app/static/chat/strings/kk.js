/* The chat's Kazakh strings: the keys of strings/en.js. A Kazakh noun after a number stays singular (5 құжат). */

export default {
  languageName: "Қазақша",
  languageLabel: "Интерфейс тілі",
  locale: "kk-KZ",
  title: "Құжаттар бойынша сұрақтар",
  subtitle: "Құжаттардан дәйексөзбен берілген жауаптар",
  placeholder: "Сұрақ қойыңыз…",
  inputLabel: "Сіздің сұрағыңыз",
  sendLabel: "Сұрақты жіберу",
  close: "Чатты жабу",
  logLabel: "Сұхбат",
  emptyTitle: "Құжаттар туралы сұраңыз",
  emptyText:
    "Орыс, ағылшын, қазақ, қырғыз, өзбек немесе тәжік тілінде жазыңыз. Әр жауап — құжаттан алынған сөйлем: " +
    "онда нақты жауап ерекшеленеді және дереккөзі көрсетіледі.",
  examplesLabel: "Мысалдар",
  examples: [
    "Сколько человек приняли участие в конференции в Боровом?",
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "Who is the Head of the OSCE Centre in Bishkek?"
  ],
  keysHint: "Enter — жіберу · Shift+Enter — жаңа жол",
  you: "Сіз",
  thinking: "Құжаттардан іздеп жатырмын…",
  confidence: "Сенімділік",
  source: "Дереккөз",
  passage: "Құжаттан үзінді",
  openDoc: "Құжатты ашу",
  openDocLabel: "Толық құжатты осы сөйлемнен ашу:",
  original: "Бастапқы бет",
  originalLabel: "Құжат алынған бетті ашу (жаңа қойынды):",
  moreAnswers: function (n) {
    return "Тағы " + n + " ықтимал жауап";
  },
  notFound: "Құжаттардан жауап табылмады.",
  notFoundHint: "Құжаттар бұл сұраққа сенімді жауап бермейді. Сұрақты басқаша қойып көріңіз.",
  networkError: "Серверге қосылу мүмкін емес.",
  networkHint: "Байланысты тексеріп, қайталап көріңіз.",
  serverError: function (status) {
    return "Сервер жауап бере алмады (HTTP " + status + "). Кейінірек қайталап көріңіз.";
  },
  tooMany: function (seconds) {
    return seconds
      ? "Сұрақтар тым көп, " + seconds + " с кейін қайталаңыз."
      : "Сұрақтар тым көп, сәлден соң қайталаңыз.";
  },
  busy: function (seconds) {
    return seconds
      ? "Сервис шамадан тыс жүктелген, " + seconds + " с кейін қайталаңыз."
      : "Сервис шамадан тыс жүктелген, сәлден соң қайталаңыз.";
  },
  needKey: "Бұл чатқа жарамды кіру кілті қажет.",
  needKeyHint: "Сайт әкімшісіне хабарлаңыз.",
  rejected: "Сұрақ қабылданбады:",
  httpStatus: function (status) {
    return "HTTP " + status;
  },
  docLoading: "Құжат жүктелуде…",
  docError: "Құжатты ашу мүмкін болмады:",
  closeViewer: "Құжатты жабу",
  feedbackLabel: "Жауап дұрыс па?",
  feedbackUp: "Иә, жауап дұрыс",
  feedbackDown: "Жоқ, жауап қате",
  correctionLabel: "Дұрыс жауап…",
  correctionPlaceholder: "Дұрыс жауап… (міндетті емес)",
  correctionSend: "Жіберу",
  correctionSendLabel: "Пікірді жіберу",
  feedbackThanks: "Пікіріңізге рахмет!",
  feedbackError: "Пікір жіберілмеді:",
  documents: "Құжаттар",
  docsFilter: "Құжаттарды атауы бойынша сүзу",
  docsFilterPlaceholder: "Атауы бойынша сүзу…",
  docsLoading: "Құжаттар тізімі жүктелуде…",
  docsError: "Құжаттар тізімін жүктеу мүмкін болмады:",
  docsEmpty: "Мұндай атауы бар құжат жоқ.",
  docsCount: function (shown, total) {
    return shown === total ? total + " құжат" : shown + " құжат (барлығы " + total + ")";
  },
  docsMore: function (n) {
    return "(алғашқы " + n + " құжат көрсетілген: сүзгіні нақтылаңыз)";
  },
  docDate: "Күні",
  docCollection: "Жинақ",
  docLanguage: "Тілі",
  chars: function (n) {
    return n.toLocaleString("kk-KZ") + " таңба";
  },
  langNames: {
    ru: "орыс тілі",
    en: "ағылшын тілі",
    kk: "қазақ тілі",
    ky: "қырғыз тілі",
    uz: "өзбек тілі",
    tg: "тәжік тілі"
  },
  newConversation: "Жаңа сұхбат",
  filters: "Сүзгілер",
  filtersActive: function (n) {
    return "(белсенді: " + n + ")";
  },
  filtersTitle: "Тек сәйкес құжаттардан іздеу",
  filterLang: "Құжат тілі",
  filterAny: "Кез келген",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
  filterDates: "Құжат күні",
  filterFrom: "Бастап",
  filterTo: "Дейін",
  filtersClear: "Сүзгілерді тазарту",
  filtersMatch: function (shown, total) {
    return "Сәйкес құжаттар: " + total + " ішінен " + shown;
  },
  filtersUndated: "Күні жоқ құжаттар күн сүзгісінен өтпейді.",
  filtersBadRange: "Бастапқы күн соңғы күннен кейін тұр.",
  filtersSummary: "Сүзгілер:",
  dateFrom: function (date) {
    return date + " бастап";
  },
  dateTo: function (date) {
    return date + " дейін";
  },
  followUp: "Алдыңғы сұрақтың жалғасы ретінде оқылды:",
  why: "Неге?",
  whyLabel: "Бұл жауапты түсіндіру",
  whyNotFoundLabel: "Жауаптың неге жоқ екенін түсіндіру",
  explainTitle: "Бұл нәтиже қалай алынды",
  explainLoading: "Түсіндірме сұралуда…",
  explainError: "Түсіндірмені алу мүмкін болмады:",
  explainStage: "Тексеру керек кезең",
  explainNoStage: "жоқ: жауап шектен өтті",
  stageNames: {
    index: "индекс (құжаттар жүктелмеген)",
    question: "сұрақ",
    filters: "сүзгілер",
    retrieval: "үзінділерді іздеу",
    reading: "сөйлемдерді оқу"
  },
  explainThreshold: "Сенімділік шегі",
  explainKind: "Сұрақ түрі",
  kindNames: {
    number: "сан",
    date: "күн",
    person: "адам",
    place: "орын",
    organisation: "ұйым",
    other: "басқа"
  },
  explainReadAs: "Былай оқылды",
  explainFilters: "Сүзгілер",
  explainPassages: "Табылған үзінділер (қорытынды рейтинг)",
  explainSentences: "Оқылған сөйлемдер",
  explainInputs: "Ең үздік үміткердің сенімділік белгілері",
  explainNone: "Жоқ.",
  notFoundClosest: "Құжаттардан жауап табылмады — ең жақын үзінділер:",
  closestNote: "Бұлар жауап емес: үзіндіні құжаттың ішінде оқу үшін ашыңыз.",
  closestLabel: "Ең жақын үзінділер (жауап емес)",
  closestOpen: "Құжатты осы үзіндіден ашу:",
  closestMore: function (n) {
    return "Тағы " + n + " үзінді";
  },
  notFoundFiltered: "Сүзгілерге сай келетін құжат жоқ. Оларды тазартып немесе кеңейтіп, қайта сұраңыз.",
  contact: "Кімге жүгінуге болады:"
};
