/*
 * The chat's Uzbek strings, in the Latin script: the keys of strings/en.js. An Uzbek noun after a number stays
 * singular, counted with "ta" (5 ta hujjat). Oʻ and gʻ are written with the modifier letter ʻ (U+02BB), the tutuq
 * belgisi with ʼ (U+02BC), never with an apostrophe or a quotation mark.
 */

export default {
  languageName: "Oʻzbekcha",
  languageLabel: "Interfeys tili",
  locale: "uz-UZ",
  title: "Hujjatlar boʻyicha savollar",
  subtitle: "Hujjatlardan iqtibos keltirilgan javoblar",
  placeholder: "Savol bering…",
  inputLabel: "Savolingiz",
  sendLabel: "Savolni yuborish",
  close: "Chatni yopish",
  logLabel: "Suhbat",
  emptyTitle: "Hujjatlar haqida soʻrang",
  emptyText:
    "Rus, ingliz, qozoq, qirgʻiz, oʻzbek yoki tojik tilida yozing. Har bir javob — hujjatdan olingan gap: unda " +
    "aniq javob ajratib koʻrsatiladi va manbasi keltiriladi.",
  examplesLabel: "Misollar",
  examples: [
    "Сколько человек приняли участие в конференции в Боровом?",
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "Who is the Head of the OSCE Centre in Bishkek?"
  ],
  keysHint: "Enter — yuborish · Shift+Enter — yangi qator",
  you: "Siz",
  thinking: "Hujjatlardan qidiryapman…",
  confidence: "Ishonchlilik",
  source: "Manba",
  passage: "Hujjatdan parcha",
  openDoc: "Hujjatni ochish",
  openDocLabel: "Toʻliq hujjatni shu gapdan ochish:",
  original: "Asl sahifa",
  originalLabel: "Hujjat olingan sahifani ochish (yangi varaq):",
  moreAnswers: function (n) {
    return "Yana " + n + " ta ehtimoliy javob";
  },
  notFound: "Hujjatlarda javob topilmadi.",
  notFoundHint: "Hujjatlar bu savolga ishonchli javob bermaydi. Savolni boshqacha tuzib koʻring.",
  networkError: "Serverga ulanib boʻlmadi.",
  networkHint: "Ulanishni tekshirib, qaytadan urinib koʻring.",
  serverError: function (status) {
    return "Server javob bera olmadi (HTTP " + status + "). Keyinroq qaytadan urinib koʻring.";
  },
  tooMany: function (seconds) {
    return seconds
      ? "Savollar juda koʻp, " + seconds + " soniyadan keyin qaytadan urinib koʻring."
      : "Savollar juda koʻp, birozdan keyin qaytadan urinib koʻring.";
  },
  busy: function (seconds) {
    return seconds
      ? "Xizmat hozir band, " + seconds + " soniyadan keyin qaytadan urinib koʻring."
      : "Xizmat hozir band, birozdan keyin qaytadan urinib koʻring.";
  },
  needKey: "Bu chat uchun yaroqli kirish kaliti kerak.",
  needKeyHint: "Sayt administratoriga xabar bering.",
  rejected: "Savol qabul qilinmadi:",
  httpStatus: function (status) {
    return "HTTP " + status;
  },
  docLoading: "Hujjat yuklanmoqda…",
  docError: "Hujjatni ochib boʻlmadi:",
  closeViewer: "Hujjatni yopish",
  feedbackLabel: "Javob toʻgʻrimi?",
  feedbackUp: "Ha, javob toʻgʻri",
  feedbackDown: "Yoʻq, javob notoʻgʻri",
  correctionLabel: "Toʻgʻri javob…",
  correctionPlaceholder: "Toʻgʻri javob… (ixtiyoriy)",
  correctionSend: "Yuborish",
  correctionSendLabel: "Fikrni yuborish",
  feedbackThanks: "Fikringiz uchun rahmat!",
  feedbackError: "Fikr yuborilmadi:",
  documents: "Hujjatlar",
  docsFilter: "Hujjatlarni nomi boʻyicha filtrlash",
  docsFilterPlaceholder: "Nomi boʻyicha filtrlash…",
  docsLoading: "Hujjatlar roʻyxati yuklanmoqda…",
  docsError: "Hujjatlar roʻyxatini yuklab boʻlmadi:",
  docsEmpty: "Bunday nomli hujjat yoʻq.",
  docsCount: function (shown, total) {
    return shown === total ? total + " ta hujjat" : shown + " ta hujjat (jami " + total + " ta)";
  },
  docsMore: function (n) {
    return "(dastlabki " + n + " ta hujjat koʻrsatildi: filtrni aniqlashtiring)";
  },
  docDate: "Sana",
  docCollection: "Toʻplam",
  docLanguage: "Til",
  chars: function (n) {
    return n.toLocaleString("uz-UZ") + " ta belgi";
  },
  langNames: {
    ru: "rus tili",
    en: "ingliz tili",
    kk: "qozoq tili",
    ky: "qirgʻiz tili",
    uz: "oʻzbek tili",
    tg: "tojik tili"
  },
  newConversation: "Yangi suhbat",
  filters: "Filtrlar",
  filtersActive: function (n) {
    return "(faol: " + n + ")";
  },
  filtersTitle: "Faqat mos hujjatlardan qidirish",
  filterLang: "Hujjat tili",
  filterAny: "Istalgan",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
  filterDates: "Hujjat sanasi",
  filterFrom: "Qachondan",
  filterTo: "Qachongacha",
  filtersClear: "Filtrlarni tozalash",
  filtersMatch: function (shown, total) {
    return "Mos hujjatlar: " + shown + " ta (jami " + total + " ta)";
  },
  filtersUndated: "Sanasi yoʻq hujjatlar sana filtridan oʻtmaydi.",
  filtersBadRange: "Boshlanish sanasi tugash sanasidan keyin turibdi.",
  filtersSummary: "Filtrlar:",
  // A date as the browser writes it takes no suffix ("…dan boshlab"), so the range is said without one.
  dateFrom: function (date) {
    return date + " va undan keyin";
  },
  dateTo: function (date) {
    return date + " va undan oldin";
  },
  followUp: "Oldingi savolning davomi sifatida oʻqildi:",
  why: "Nega?",
  whyLabel: "Bu javobni tushuntirish",
  whyNotFoundLabel: "Javob nega yoʻqligini tushuntirish",
  explainTitle: "Bu natija qanday olindi",
  explainLoading: "Tushuntirish soʻralmoqda…",
  explainError: "Tushuntirishni olib boʻlmadi:",
  explainStage: "Tekshirish kerak boʻlgan bosqich",
  explainNoStage: "yoʻq: javob chegaradan oʻtdi",
  stageNames: {
    index: "indeks (hujjatlar yuklanmagan)",
    question: "savol",
    filters: "filtrlar",
    retrieval: "parchalarni qidirish",
    reading: "gaplarni oʻqish"
  },
  explainThreshold: "Ishonchlilik chegarasi",
  explainKind: "Savol turi",
  kindNames: {
    number: "son",
    date: "sana",
    person: "shaxs",
    place: "joy",
    organisation: "tashkilot",
    other: "boshqa"
  },
  explainReadAs: "Quyidagicha oʻqildi",
  explainFilters: "Filtrlar",
  explainPassages: "Topilgan parchalar (yakuniy reyting)",
  explainSentences: "Oʻqilgan gaplar",
  explainInputs: "Eng yaxshi nomzodning ishonchlilik koʻrsatkichlari",
  explainNone: "Yoʻq.",
  notFoundClosest: "Hujjatlarda javob topilmadi — eng yaqin parchalar:",
  closestNote: "Bular javob emas: parchani hujjat ichida oʻqish uchun oching.",
  closestLabel: "Eng yaqin parchalar (javob emas)",
  closestOpen: "Hujjatni shu parchadan ochish:",
  closestMore: function (n) {
    return "Yana " + n + " ta parcha";
  },
  notFoundFiltered: "Filtrlarga mos hujjat yoʻq. Ularni tozalang yoki kengaytiring va qaytadan soʻrang.",
  contact: "Kimga murojaat qilish mumkin:"
};
