/* The chat's Russian strings: the keys of strings/en.js. */

// Russian plural: 1 документ, 2 документа, 5 документов.
function plural(n, one, few, many) {
  var m10 = n % 10;
  var m100 = n % 100;
  if (m10 === 1 && m100 !== 11) return one;
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14)) return few;
  return many;
}

export default {
  languageName: "Русский",
  languageLabel: "Язык интерфейса",
  locale: "ru-RU",
  title: "Вопросы по документам",
  subtitle: "Ответы с цитатами из документов",
  placeholder: "Задайте вопрос…",
  inputLabel: "Ваш вопрос",
  sendLabel: "Отправить вопрос",
  close: "Закрыть чат",
  logLabel: "Диалог",
  emptyTitle: "Спросите о документах",
  emptyText:
    "Пишите на русском, английском, казахском, киргизском, узбекском или таджикском. Ответ — это предложение " +
    "из документа, в котором выделен точный ответ и указан источник.",
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
  original: "Исходная страница",
  originalLabel: "Открыть страницу, с которой взят документ (новая вкладка):",
  moreAnswers: function (n) {
    return "Ещё " + n + " " + plural(n, "вариант", "варианта", "вариантов") + " ответа";
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
  httpStatus: function (status) {
    return "HTTP " + status;
  },
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
    if (shown === total) return total + " " + plural(total, "документ", "документа", "документов");
    return shown + " из " + total + " " + plural(total, "документа", "документов", "документов");
  },
  docsMore: function (n) {
    return "(показаны первые " + n + ": уточните фильтр)";
  },
  docDate: "Дата",
  docCollection: "Коллекция",
  docLanguage: "Язык",
  chars: function (n) {
    return n.toLocaleString("ru-RU") + " симв.";
  },
  langNames: {
    ru: "русский",
    en: "английский",
    kk: "казахский",
    ky: "киргизский",
    uz: "узбекский",
    tg: "таджикский"
  },
  newConversation: "Новый разговор",
  filters: "Фильтры",
  filtersActive: function (n) {
    return "(активно: " + n + ")";
  },
  filtersTitle: "Искать только в подходящих документах",
  filterLang: "Язык документов",
  filterAny: "Любой",
  filterLangNames: { ru: "Русский", en: "English", kk: "Қазақша", ky: "Кыргызча", uz: "Oʻzbekcha", tg: "Тоҷикӣ" },
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
    return "Ещё " + n + " " + plural(n, "фрагмент", "фрагмента", "фрагментов");
  },
  notFoundFiltered: "Ни один документ не подходит под фильтры. Сбросьте или расширьте их и спросите снова.",
  contact: "К кому обратиться:"
};
