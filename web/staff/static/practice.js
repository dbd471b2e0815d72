// The practice page: choose a scenario, chat with the simulated debtor, end and score, review past attempts.
// Everything the server sends is shown as text (textContent), never as HTML.
(function () {
  "use strict";
  var api = window.staff.api;
  var $ = function (id) { return document.getElementById(id); };
  var state = { scenarios: [], session: null, busy: false, chart: null, history: null };
  var colours = ["#0b5cad", "#1a7f37", "#a4161a", "#8250df", "#bf8700", "#57606a", "#0a7b83", "#cf222e",
                 "#6639ba", "#953800", "#1f6feb", "#24292f"];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function humanise(name) {
    var text = String(name).replace(/^objection_/, "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function showError(message) {
    var box = $("practice-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // ------------------------------------------------------------ scenarios

  function filtered() {
    var objection = $("filter-objection").value, difficulty = $("filter-difficulty").value,
        language = $("filter-language").value;
    return state.scenarios.filter(function (s) {
      return (!objection || s.objections.indexOf(objection) >= 0) && (!difficulty || s.difficulty === difficulty) &&
        (!language || s.language === language);
    });
  }

  function renderScenarios() {
    var list = $("scenarios"), shown = filtered();
    list.textContent = "";
    shown.forEach(function (s) {
      var item = el("li", null, "scenario");
      item.dataset.language = s.language;
      var heading = el("h3", s.title);
      heading.lang = s.language;
      item.appendChild(heading);
      var meta = el("p", null, "meta");
      var language = el("span", s.language_name, "badge language");
      language.lang = s.language;
      meta.appendChild(language);
      meta.appendChild(el("span", humanise(s.difficulty), "badge " + s.difficulty));
      meta.appendChild(el("span", s.objections.map(humanise).join(", "), "objections"));
      item.appendChild(meta);
      var start = el("button", "Start");
      start.type = "button";
      start.setAttribute("aria-label", "Start " + s.title);
      start.addEventListener("click", function () { startSession(s); });
      item.appendChild(start);
      list.appendChild(item);
    });
    $("scenario-count").textContent = shown.length + " of " + state.scenarios.length + " scenarios";
    $("surprise").disabled = shown.length === 0;
  }

  async function loadScenarios() {
    state.scenarios = await api("GET", "/api/practice/scenarios");
    var objections = {};
    state.scenarios.forEach(function (s) { s.objections.forEach(function (o) { objections[o] = true; }); });
    Object.keys(objections).sort().forEach(function (o) {
      var option = el("option", humanise(o));
      option.value = o;
      $("filter-objection").appendChild(option);
    });
    var languages = {};
    state.scenarios.forEach(function (s) { languages[s.language] = s.language_name; });
    Object.keys(languages).forEach(function (code) {
      var option = el("option", languages[code]);
      option.value = code;
      option.lang = code;
      $("filter-language").appendChild(option);
    });
    renderScenarios();
  }

  // ------------------------------------------------------------ a session

  function cardValue(key, value, card) {
    if (typeof value === "boolean") { return value ? "Yes" : "No"; }
    if (key === "balance" && card.currency) { return value + " " + card.currency; }
    return value;
  }

  function renderCard(card) {
    var list = $("card");
    list.textContent = "";
    Object.keys(card).forEach(function (key) {
      if (key === "currency" || card[key] === null || typeof card[key] === "object") { return; }
      list.appendChild(el("dt", humanise(key)));
      list.appendChild(el("dd", cardValue(key, card[key], card)));
    });
  }

  function addMessage(log, message) {
    var who = message.speaker === "collector" ? "You" : "Debtor";
    var item = el("li", null, "msg " + message.speaker);
    item.appendChild(el("span", who + ": ", "who"));
    item.appendChild(el("span", message.text, "text"));
    log.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  function setBusy(busy, status) {
    state.busy = busy;
    $("send").disabled = busy || !state.session || state.session.ended;
    $("finish").disabled = busy;
    $("session-status").textContent = status || "";
  }

  function openSession(session, title) {
    state.session = { id: session.session_id, ended: !!session.ended };
    $("session-title").textContent = title;
    renderCard(session.card);
    // The debtor speaks the scenario's language, and the collector answers in it.
    $("log").lang = $("message").lang = $("session-title").lang = session.card.language || "en";
    $("log").textContent = "";
    (session.messages || []).forEach(function (m) { addMessage($("log"), m); });
    $("choose").hidden = true;
    $("result").hidden = true;
    $("session").hidden = false;
    setBusy(false, session.ended ? "The debtor has ended the conversation. End and score it." : "");
    $("message").focus();
  }

  async function startSession(scenario) {
    showError("");
    try {
      setBusy(true, "Starting…");
      var session = await api("POST", "/api/practice/sessions", { scenario: scenario.id });
      openSession(session, scenario.title);
    } catch (error) {
      setBusy(false);
      showError(error.message);
    }
  }

  async function resumeSession(id) {
    showError("");
    try {
      var session = await api("GET", "/api/practice/sessions/" + encodeURIComponent(id));
      openSession(session, session.title);
    } catch (error) {
      showError(error.message);
    }
  }

  async function send(event) {
    event.preventDefault();
    if (state.busy || !state.session) { return; }
    var box = $("message"), text = box.value.trim();
    if (!text) { showError("Type a message first."); box.focus(); return; }
    showError("");
    var pending = addMessage($("log"), { speaker: "collector", text: text });
    box.value = "";
    setBusy(true, "The debtor is typing…");
    try {
      var answer = await api("POST", "/api/practice/sessions/" + state.session.id + "/messages", { text: text });
      answer.messages.forEach(function (m) { addMessage($("log"), m); });
      state.session.ended = answer.ended;
      setBusy(false, answer.ended ? "The debtor has ended the conversation. End and score it." : "");
      if (!answer.ended) { box.focus(); } else { $("finish").focus(); }
    } catch (error) {
      pending.remove();
      box.value = text;  // nothing typed is lost
      setBusy(false);
      showError(error.message);
      box.focus();
    }
  }

  async function finish() {
    if (state.busy || !state.session) { return; }
    showError("");
    setBusy(true, "Scoring…");
    try {
      var id = state.session.id;
      await api("POST", "/api/practice/sessions/" + id + "/finish");
      state.session = null;
      $("session").hidden = true;
      await openAttempt(id);
      await loadHistory();
    } catch (error) {
      setBusy(false);
      showError(error.message);
    }
  }

  function leave() {
    $("session").hidden = true;
    $("result").hidden = true;
    $("choose").hidden = false;
    state.session = null;
    loadHistory();
  }

  // ------------------------------------------------------------ scorecards

  function renderScorecard(card, messages) {
    $("result-summary").textContent = "Score " + card.score + " of 100 (pass mark " + card.pass_mark + "): " +
      (card.passed ? "passed" : "not passed") + ".";
    $("result-summary").className = "summary " + (card.passed ? "passed" : "failed");
    var autoFail = $("result-autofail");
    var titles = {};
    card.criteria.forEach(function (c) { titles[c.id] = c.title; });
    autoFail.hidden = card.auto_fail.length === 0;
    autoFail.textContent = card.auto_fail.length ? "Failed outright: " +
      card.auto_fail.map(function (id) { return titles[id] || id; }).join("; ") + "." : "";
    var list = $("criteria");
    list.textContent = "";
    card.criteria.forEach(function (c) {
      var item = el("li", null, "criterion " + (c.passed ? "passed" : "failed"));
      item.setAttribute("data-criterion", c.id);
      var head = el("h3");
      head.appendChild(el("span", c.passed ? "Passed" : "Missed", "verdict"));
      head.appendChild(el("span", " " + c.title));
      head.appendChild(el("span", " (weight " + c.weight + ")", "hint"));
      item.appendChild(head);
      var quote = el("div", null, "quote");
      quote.appendChild(el("strong", "What you said: "));
      if (c.evidence) { quote.appendChild(el("q", c.evidence)); } else { quote.appendChild(el("span", "nothing for this", "hint")); }
      item.appendChild(quote);
      var advice = el("p", null, "advice");
      advice.appendChild(el("strong", "Advice: "));
      advice.appendChild(el("span", c.advice));
      item.appendChild(advice);
      var model = el("div", null, "model-answer");
      model.appendChild(el("strong", "Model answer: "));
      model.appendChild(el("blockquote", c.model_answer));
      item.appendChild(model);
      list.appendChild(item);
    });
    var transcript = $("result-transcript");
    transcript.textContent = "";
    (messages || []).forEach(function (m) { addMessage(transcript, m); });
  }

  async function openAttempt(id) {
    showError("");
    try {
      var attempt = await api("GET", "/api/practice/attempts/" + encodeURIComponent(id));
      $("result-h").textContent = "Scorecard: " + attempt.title;
      renderScorecard(attempt.scorecard, attempt.messages);
      $("choose").hidden = true;
      $("result").hidden = false;
      $("result").focus();
    } catch (error) {
      showError(error.status === 404 ? "That attempt does not exist or is not yours." : error.message);
    }
  }

  // ------------------------------------------------------------ history and trend

  function renderHistory(data) {
    state.history = data;
    var body = document.querySelector("#attempts tbody");
    body.textContent = "";
    data.attempts.slice().reverse().forEach(function (a) {
      var row = el("tr");
      row.setAttribute("data-session", a.session_id);
      row.appendChild(el("td", (a.finished_at || "").replace("T", " ").replace("Z", " UTC")));
      row.appendChild(el("td", a.title));
      row.appendChild(el("td", a.score));
      row.appendChild(el("td", a.passed ? "Passed" : "Not passed"));
      var cell = el("td"), open = el("button", "Open", "secondary");
      open.type = "button";
      open.setAttribute("aria-label", "Open the attempt at " + a.title + " finished " + a.finished_at);
      open.addEventListener("click", function () { openAttempt(a.session_id); });
      cell.appendChild(open);
      row.appendChild(cell);
      body.appendChild(row);
    });
    $("attempts").hidden = data.attempts.length === 0;
    $("history-empty").hidden = data.attempts.length > 0;
    var openList = $("open-list");
    openList.textContent = "";
    data.open.forEach(function (s) {
      var item = el("li"), resume = el("button", "Resume", "secondary");
      resume.type = "button";
      resume.setAttribute("aria-label", "Resume " + s.title + " started " + s.started_at);
      resume.addEventListener("click", function () { resumeSession(s.session_id); });
      item.appendChild(el("span", s.title + " (started " + s.started_at.replace("T", " ").replace("Z", " UTC") + ") "));
      item.appendChild(resume);
      openList.appendChild(item);
    });
    $("open-sessions").hidden = data.open.length === 0;
    var select = $("trend-criterion");
    if (select.options.length === 1) {
      data.criteria.forEach(function (c) {
        var option = el("option", c.title);
        option.value = c.id;
        select.appendChild(option);
      });
    }
    renderTrend();
  }

  function trendSeries(data) {
    var counts = {};
    data.criteria.forEach(function (c) { counts[c.id] = 0; });
    var series = data.criteria.map(function (c) { return { id: c.id, label: c.title, values: [] }; });
    data.attempts.forEach(function (a, n) {
      series.forEach(function (s) {
        if (a.criteria[s.id]) { counts[s.id] += 1; }
        s.values.push(Math.round(100 * counts[s.id] / (n + 1)));
      });
    });
    series.push({ id: "", label: "Score", values: data.attempts.map(function (a) { return a.score; }) });
    return series;
  }

  function renderTrend() {
    var data = state.history;
    $("trend").hidden = !data || data.attempts.length === 0;
    if (!data || data.attempts.length === 0) { return; }
    var wanted = $("trend-criterion").value;
    var labels = data.attempts.map(function (a, n) { return "#" + (n + 1) + " " + (a.finished_at || "").slice(0, 10); });
    var series = trendSeries(data).filter(function (s) { return !wanted || s.id === wanted || s.id === ""; });
    var head = document.querySelector("#trend-table thead"), body = document.querySelector("#trend-table tbody");
    head.textContent = "";
    body.textContent = "";
    var headRow = el("tr");
    headRow.appendChild(el("th", "Criterion"));
    labels.forEach(function (l) { var th = el("th", l); th.scope = "col"; headRow.appendChild(th); });
    head.appendChild(headRow);
    series.forEach(function (s) {
      var row = el("tr"), th = el("th", s.label);
      th.scope = "row";
      row.appendChild(th);
      s.values.forEach(function (v) { row.appendChild(el("td", v)); });
      body.appendChild(row);
    });
    if (typeof window.Chart !== "function") { return; }
    if (state.chart) { state.chart.destroy(); }
    state.chart = new window.Chart($("trend-chart"), {
      type: "line",
      data: { labels: labels, datasets: series.map(function (s, n) {
        var colour = s.id === "" ? "#24292f" : colours[n % colours.length];
        return { label: s.label, data: s.values, borderColor: colour, backgroundColor: colour,
                 borderWidth: s.id === "" ? 3 : 1.5, tension: 0.2 };
      }) },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } },
                 plugins: { legend: { position: "bottom" } } }
    });
    $("trend-chart").setAttribute("data-rendered", "yes");
  }

  async function loadHistory() {
    try {
      renderHistory(await api("GET", "/api/practice/attempts"));
    } catch (error) {
      showError(error.message);
    }
  }

  // ------------------------------------------------------------ wiring

  $("filter-objection").addEventListener("change", renderScenarios);
  $("filter-difficulty").addEventListener("change", renderScenarios);
  $("filter-language").addEventListener("change", renderScenarios);
  $("surprise").addEventListener("click", function () {
    var shown = filtered();
    if (shown.length) { startSession(shown[Math.floor(Math.random() * shown.length)]); }
  });
  $("send-form").addEventListener("submit", send);
  $("message").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { send(event); }
  });
  $("finish").addEventListener("click", finish);
  $("leave").addEventListener("click", leave);
  $("again").addEventListener("click", leave);
  $("trend-criterion").addEventListener("change", renderTrend);

  loadScenarios().catch(function (error) { showError(error.message); });
  loadHistory().then(function () {
    var wanted = new URLSearchParams(window.location.search).get("attempt");
    if (wanted) { openAttempt(wanted); }
  });
})();
