/*
 * HTTP calls to the service. A failure rejects with {kind: "network"} or {kind: "http", status, message,
 * retryAfter}; errors.js turns either into words.
 */

// FastAPI errors: {"detail": "message"} or {"detail": [{"msg": ..., "loc": [...]}, ...]}.
function detailMessage(body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (!item || typeof item !== "object") return String(item);
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== "body").join(".") : "";
        return (loc ? loc + ": " : "") + (item.msg || "");
      })
      .join("; ");
  }
  if (detail && typeof detail === "object") return JSON.stringify(detail);
  return "";
}

// request(method, path, body?) against `endpoint` ("" for this origin); a read key goes as a bearer token.
export function createClient(endpoint, apiKey) {
  const base = String(endpoint || "").replace(/\/+$/, "");

  return function request(method, path, body) {
    const init = { method: method, headers: { Accept: "application/json" } };
    if (apiKey) init.headers.Authorization = "Bearer " + apiKey;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(base + path, init).then(
      (response) =>
        response.text().then((raw) => {
          let data = null;
          try {
            data = raw ? JSON.parse(raw) : null;
          } catch (ignored) {
            data = null;
          }
          if (response.ok) return data;
          // Whole seconds to wait (429 rate limit, 503 queue full); readable cross-origin as the API exposes it.
          const wait = parseInt(response.headers.get("Retry-After") || "", 10);
          throw {
            kind: "http",
            status: response.status,
            message: detailMessage(data),
            retryAfter: wait > 0 ? wait : 0
          };
        }),
      () => {
        throw { kind: "network" };
      }
    );
  };
}
