/*
 * What the chat knows of the documents: the list (GET /documents: title, language, date, collection, size), fetched
 * at most once for the citations' dates and the filters' count and again at each opening of the documents view,
 * and the full texts opened (GET /documents/{id}), each fetched once; and the document languages the service
 * has (GET /health `languages`), asked once.
 */

// A language code as the server writes them, and how many the filter would ever offer.
const LANGUAGE_CODE = /^[a-z]{2,3}$/;
const MAX_LANGUAGES = 20;

export function createCatalog(request) {
  let all = null; // the last list fetched
  const meta = {}; // doc_id → {doc_id, title, lang, date, collection}
  let waiting = []; // [doc_id, callback] for documents not known yet
  let metaLoad = null;
  let listLoads = 0;
  const texts = {}; // doc_id → promise of the document
  let languages = null; // promise of the codes, null when the server does not say
  const listeners = [];

  // Records what `docs` say, calls back those waiting for them and tells the listeners.
  function note(docs) {
    docs.forEach((doc) => {
      if (!doc || !doc.doc_id) return;
      meta[doc.doc_id] = {
        doc_id: doc.doc_id,
        title: doc.title,
        lang: doc.lang,
        date: doc.date || null,
        collection: doc.collection || null
      };
    });
    waiting = waiting.filter((entry) => {
      const doc = meta[entry[0]];
      if (doc) entry[1](doc);
      return !doc;
    });
    listeners.forEach((listener) => listener());
  }

  // The list for citations and filters: once; a failure is no error (dates are a nicety) and is not retried.
  function ensure() {
    if (!metaLoad) {
      metaLoad = all
        ? Promise.resolve(all)
        : request("GET", "/documents").then(
            (docs) => {
              docs = Array.isArray(docs) ? docs : [];
              if (!all) all = docs;
              note(docs);
              return docs;
            },
            () => null
          );
    }
    return metaLoad;
  }

  // The list again (documents may have been added or removed); resolves null when a later reload overtook it.
  function reload() {
    const ticket = ++listLoads;
    return request("GET", "/documents").then(
      (docs) => {
        if (ticket !== listLoads) return null;
        all = Array.isArray(docs) ? docs : [];
        note(all);
        return all;
      },
      (error) => {
        if (ticket !== listLoads) return null;
        throw error;
      }
    );
  }

  return {
    all: () => all,
    title: (docId) => (meta[docId] && meta[docId].title) || null,
    note: note,
    ensure: ensure,
    reload: reload,
    onChange: (listener) => listeners.push(listener),

    // Calls `use` with what is known of the document, now or once the list has come.
    withDocument(docId, use) {
      if (meta[docId]) {
        use(meta[docId]);
        return;
      }
      waiting.push([docId, use]);
      ensure();
    },

    // Forgets the callbacks of replies no longer shown.
    forgetWaiting() {
      waiting = [];
    },

    // Forgets the listeners and callbacks of a chat taken down (drawn again in another language); what is
    // known of the documents stays for the next one.
    detach() {
      waiting = [];
      listeners.length = 0;
    },

    // The server's document languages, or null (an older server, a keyless /health while reads need a key).
    languages() {
      if (!languages) {
        languages = request("GET", "/health").then(
          (health) => {
            const codes = health && Array.isArray(health.languages) ? health.languages : [];
            const valid = codes.filter((code) => typeof code === "string" && LANGUAGE_CODE.test(code));
            return valid.length ? valid.slice(0, MAX_LANGUAGES) : null;
          },
          () => null
        );
      }
      return languages;
    },

    text(docId) {
      if (!texts[docId]) {
        texts[docId] = request("GET", "/documents/" + encodeURIComponent(docId)).then(null, (error) => {
          delete texts[docId];
          throw error;
        });
      }
      return texts[docId];
    }
  };
}
