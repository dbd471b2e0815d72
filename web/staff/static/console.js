// Shared by every console page: staff.api() calls the JSON API with the session's CSRF token.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // staff.api("POST", "/api/...", {…}) -> the parsed JSON; throws an Error whose message is the API's error.
  async function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET" && method !== "HEAD") {
      options.headers["X-CSRF-Token"] = csrfToken();
    }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var response = await fetch(url, options);
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      throw new Error("Your session ended. Please sign in again.");
    }
    var data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    if (!response.ok) {
      var error = new Error((data && data.error) || ("The console answered " + response.status + "."));
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  window.staff = { api: api, csrfToken: csrfToken };
})();
