/* Debtor chat page: talks only to its own server (/api/...), which relays to Rasa.
 * Everything a user or the assistant writes is put on the page with textContent, never innerHTML.
 * The conversation belongs to an HttpOnly cookie this script cannot read; "New chat" asks the server to end it.
 * Typed text is sent as {message}; only the greeting and button clicks are sent as {payload}. */
(function () {
  'use strict';

  var STORAGE_KEY = 'debtor-chat/v2';
  // The debtor's language choice outlives "New chat": it is theirs, not the conversation's.
  var LANGUAGE_KEY = 'debtor-chat/language';
  var OLD_STORAGE_KEYS = ['debtor-chat/v1'];
  // A short token; the assistant itself decides whether it is a real account reference.
  var ACCOUNT_RE = /^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/;
  var OFFLINE_TEXT = 'Can\u2019t reach the assistant, retrying\u2026 Your messages will be sent when it\u2019s back.';
  var MAX_BACKOFF = 15000;

  var els = {
    log: document.getElementById('log'),
    typing: document.getElementById('typing'),
    banner: document.getElementById('banner'),
    form: document.getElementById('composer'),
    input: document.getElementById('message'),
    counter: document.getElementById('counter'),
    limitNote: document.getElementById('limit-note'),
    creditor: document.getElementById('creditor-name'),
    assistant: document.getElementById('assistant-name'),
    logo: document.getElementById('logo'),
    restart: document.getElementById('new-conversation'),
    language: document.getElementById('language')
  };

  var maxLength = 1000;
  var state = {
    account: null,     // the account reference from the deep link, if any
    outbox: [],        // messages not yet delivered: [{id, message, display, hidden, payload}]
    ready: false,      // history loaded; the outbox may be sent
    sending: false,
    online: true,
    waitTimer: null,   // set while the server asks us to slow down (429)
    backoff: 1000,
    pollTimer: null,
    bubbles: {},       // outbox id -> its bubble, to update the "not sent yet" status
    liveGroups: [],    // quick-reply groups still clickable
    language: null     // the language chosen on the switch, if the debtor chose one
  };

  // ------------------------------------------------------------ storage

  var memoryStore = null;
  function readStore() {
    try { return JSON.parse(window.localStorage.getItem(STORAGE_KEY)) || {}; }
    catch (e) { return memoryStore || {}; }
  }
  function writeStore() {
    var value = {account: state.account, outbox: state.outbox};
    memoryStore = value;
    try { window.localStorage.setItem(STORAGE_KEY, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  function readLanguage() {
    try { return window.localStorage.getItem(LANGUAGE_KEY); } catch (e) { return null; }
  }
  function writeLanguage(code) {
    try { window.localStorage.setItem(LANGUAGE_KEY, code); } catch (e) { /* private mode */ }
  }

  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      try { return window.crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  }

  function accountFromUrl() {
    var value = (new URLSearchParams(window.location.search).get('account') || '').trim();
    return ACCOUNT_RE.test(value) ? value.toUpperCase() : null;
  }

  function sameAccount(a, b) {
    return typeof a === 'string' && typeof b === 'string' && a.replace(/-/g, '') === b.replace(/-/g, '');
  }

  /* Returns true when the conversation in the cookie must end first: a link for a different account
   * (e.g. a shared phone) starts a new conversation, so nobody sees another person's conversation. */
  function chooseConversation() {
    OLD_STORAGE_KEYS.forEach(function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ }
    });
    var stored = readStore();
    var fromLink = accountFromUrl();
    var restart = Boolean(fromLink) && !sameAccount(stored.account, fromLink);
    state.account = restart ? fromLink : (typeof stored.account === 'string' ? stored.account : fromLink);
    state.outbox = !restart && Array.isArray(stored.outbox) ? stored.outbox.filter(validItem) : [];
    writeStore();
    return restart;
  }

  function validItem(item) {
    return item && typeof item.message === 'string' && typeof item.id === 'string';
  }

  // ------------------------------------------------------------ rendering

  function scrollToEnd() { els.log.scrollTop = els.log.scrollHeight; }

  function appendText(parent, text, linkify) {
    if (!linkify) { parent.appendChild(document.createTextNode(text)); return; }
    // Only https links become clickable; each part is still plain text (textContent / text nodes).
    var pattern = /https:\/\/[^\s<>"']+/g;
    var last = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:!?)\]]+$/, '');
      var safe = null;
      try { safe = new URL(url); } catch (e) { safe = null; }
      if (!safe || safe.protocol !== 'https:') { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var a = document.createElement('a');
      a.href = safe.href;
      a.textContent = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      parent.appendChild(a);
      last = match.index + url.length;
      pattern.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function bubble(from, text) {
    var div = document.createElement('div');
    div.className = 'msg ' + from;
    var who = document.createElement('span');
    who.className = 'visually-hidden';
    who.textContent = from === 'user' ? 'You said: ' : 'Assistant said: ';
    div.appendChild(who);
    var body = document.createElement('span');
    body.className = 'text';
    appendText(body, text, from === 'bot');
    div.appendChild(body);
    els.log.appendChild(div);
    return div;
  }

  function renderBot(message, interactive) {
    if (message.text) { bubble('bot', message.text); }
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (buttons.length) { renderButtons(buttons, interactive); }
    scrollToEnd();
  }

  function renderButtons(buttons, interactive) {
    var group = document.createElement('div');
    group.className = 'quick-replies';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Quick replies');
    buttons.forEach(function (b) {
      if (typeof b.title !== 'string' || typeof b.payload !== 'string') { return; }
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'quick-reply';
      button.textContent = b.title;
      button.disabled = !interactive;
      button.addEventListener('click', function (event) {
        if (button.disabled) { return; }
        disableGroup(group);
        button.classList.add('chosen');
        button.setAttribute('aria-pressed', 'true');
        enqueue({message: b.payload, display: b.title, payload: true});
        // A keyboard "click" (Enter/Space) would leave focus on a disabled button: move it to the input.
        if (event.detail === 0) { els.input.focus(); }
      });
      group.appendChild(button);
    });
    els.log.appendChild(group);
    if (interactive) { state.liveGroups.push(group); }
  }

  function disableGroup(group) {
    Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) { b.disabled = true; });
    state.liveGroups = state.liveGroups.filter(function (g) { return g !== group; });
  }

  function disableAllGroups() { state.liveGroups.slice().forEach(disableGroup); }

  function renderNotice(text, isError) {
    var p = document.createElement('p');
    p.className = 'notice' + (isError ? ' error' : '');
    p.textContent = text;
    els.log.appendChild(p);
    scrollToEnd();
  }

  function setStatus(item, status) {
    var div = state.bubbles[item.id];
    if (!div) { return; }
    var span = div.querySelector('.status');
    div.classList.remove('pending', 'failed');
    if (!status) { if (span) { span.remove(); } return; }
    if (!span) {
      span = document.createElement('span');
      span.className = 'status';
      div.appendChild(span);
    }
    div.classList.add(status.kind);
    span.textContent = status.text;
  }

  function showTyping(on) {
    if (on) { els.log.appendChild(els.typing); }   // after the last message; aria-hidden, so never announced
    els.typing.hidden = !on;
    els.log.setAttribute('aria-busy', on ? 'true' : 'false');
    if (on) { scrollToEnd(); }
  }

  function showBanner(text) { els.banner.textContent = text || ''; }

  // ------------------------------------------------------------ sending

  function enqueue(item) {
    item.id = newId();
    disableAllGroups();
    if (!item.hidden) {
      state.bubbles[item.id] = bubble('user', item.display || item.message);
      if (!state.online) { setStatus(item, pendingStatus()); }
      scrollToEnd();
    }
    state.outbox.push(item);
    writeStore();
    pump();
  }

  function pendingStatus() {
    return {kind: 'pending', text: 'Not sent yet \u2013 it will be sent when the connection is back.'};
  }

  function postJson(url, body) {
    return fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(body || {}),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, ok: response.ok, data: data || {}};
      });
    });
  }

  function pump() {
    if (state.sending || state.waitTimer || !state.online || !state.ready || !state.outbox.length) { return; }
    var item = state.outbox[0];
    state.sending = true;
    showTyping(true);
    var body = item.payload ? {payload: item.message} : {message: item.message};
    if (item.language) { body.language = item.language; }
    postJson('/api/message', body).then(function (result) {
      finish(item, result);
    }, function () {
      finish(item, null);   // this page's server is unreachable
    });
  }

  function finish(item, result) {
    state.sending = false;
    showTyping(false);
    if (!result || result.status === 503) {
      // Not delivered: keep it first in the outbox and send it when the assistant is back.
      setStatus(item, pendingStatus());
      goOffline();
      return;
    }
    if (result.status === 429) {
      // Too many messages from this address: nothing is lost, it stays first in the outbox and is resent.
      var seconds = Math.max(1, parseInt(result.data.retry_after, 10) || 10);
      setStatus(item, {kind: 'pending', text: 'Not sent yet \u2013 it will be sent in a moment.'});
      renderNotice(result.data.error || 'Too many messages. Yours will be sent in a moment.', true);
      state.waitTimer = window.setTimeout(function () { state.waitTimer = null; pump(); }, seconds * 1000);
      return;
    }
    state.outbox.shift();
    writeStore();
    if (result.ok) {
      setStatus(item, null);
      var messages = Array.isArray(result.data.messages) ? result.data.messages : [];
      messages.forEach(function (m) { renderBot(m, true); });
      if (result.data.notice) { renderNotice(result.data.notice, false); }
    } else {
      setStatus(item, {kind: 'failed', text: 'Not sent.'});
      renderNotice(result.data.error || 'Something went wrong. Please try again.', true);
    }
    pump();
  }

  // ------------------------------------------------------------ offline / reconnect

  function goOffline() {
    if (state.online) {
      state.online = false;
      state.backoff = 1000;
      state.outbox.forEach(function (item) { setStatus(item, pendingStatus()); });
    }
    showBanner(OFFLINE_TEXT);
    schedulePoll();
  }

  function schedulePoll() {
    window.clearTimeout(state.pollTimer);
    state.pollTimer = window.setTimeout(poll, state.backoff);
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF);
  }

  function poll() {
    fetch('/healthz', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (health) {
      if (health && health.rasa === true) { goOnline(); } else { schedulePoll(); }
    }, schedulePoll);
  }

  function goOnline() {
    window.clearTimeout(state.pollTimer);
    state.online = true;
    state.backoff = 1000;
    showBanner('');
    if (!state.ready) { loadHistory(); } else { pump(); }
  }

  window.addEventListener('online', function () {
    if (!state.online) { window.clearTimeout(state.pollTimer); state.backoff = 1000; poll(); }
  });

  // ------------------------------------------------------------ start-up

  function greeting() {
    return state.account ? '/greet' + JSON.stringify({account_id: state.account}) : '/greet';
  }

  function endConversation() {
    return postJson('/api/new-chat').then(function (result) {
      if (!result.ok) { throw new Error('not ended'); }
    });
  }

  function loadHistory() {
    fetch('/api/history', {cache: 'no-store', credentials: 'same-origin'}).then(function (response) {
      if (response.status === 503) { throw new Error('unavailable'); }
      return response.json().then(function (data) { return {ok: response.ok, data: data || {}}; });
    }).then(function (result) {
      showHistory(result.ok ? result.data.messages : null);
    }, function () {
      goOffline();
    });
  }

  function showHistory(messages) {
    if (messages === null) {
      renderNotice('Your earlier messages could not be loaded.', true);
      messages = [];
    }
    messages = Array.isArray(messages) ? messages : [];
    var lastUser = -1;
    messages.forEach(function (m, i) { if (m.from === 'user') { lastUser = i; } });
    messages.forEach(function (m, i) {
      if (m.from === 'user') { bubble('user', m.text); } else { renderBot(m, i > lastUser); }
    });
    var greetQueued = state.outbox.some(function (item) { return item.hidden; });
    if (!messages.length && !greetQueued) {
      var first = {id: newId(), message: greeting(), hidden: true, payload: true};
      if (state.language) { first.language = state.language; }
      state.outbox.unshift(first);
      writeStore();
    }
    // Messages typed earlier that never reached the assistant.
    state.outbox.forEach(function (item) {
      if (item.hidden) { return; }
      if (state.bubbles[item.id]) {
        els.log.appendChild(state.bubbles[item.id]);   // typed while the history was loading: keep it last
      } else {
        state.bubbles[item.id] = bubble('user', item.display || item.message);
        setStatus(item, pendingStatus());
      }
    });
    scrollToEnd();
    // Announce only what arrives from now on, not the whole history again.
    els.log.setAttribute('aria-live', 'polite');
    state.ready = true;
    pump();
  }

  function applyConfig(config) {
    if (!config) { return; }
    if (typeof config.creditor_name === 'string') { els.creditor.textContent = config.creditor_name; }
    if (typeof config.assistant_name === 'string') { els.assistant.textContent = config.assistant_name; }
    if (config.creditor_name) { document.title = config.creditor_name + ' \u2013 ' + (config.assistant_name || 'payments'); }
    if (typeof config.logo_url === 'string' && /^\/static\/[A-Za-z0-9._-]+$/.test(config.logo_url)) {
      els.logo.src = config.logo_url;
    }
    if (Array.isArray(config.languages) && config.languages.length > 1) { showLanguages(config.languages); }
    var max = parseInt(config.max_message_length, 10);
    if (max > 0) { maxLength = max; els.input.maxLength = max; updateCounter(); }
  }

  // The page's own words in the chosen language (the assistant's words come from the assistant).
  var PAGE_TEXT = {
    en: {placeholder: 'Type your message', send: 'Send', restart: 'New chat', label: 'Your message',
         safety: 'Never type card numbers or passwords here.'},
    es: {placeholder: 'Escriba su mensaje', send: 'Enviar', restart: 'Nuevo chat', label: 'Su mensaje',
         safety: 'Nunca escriba aquí números de tarjeta ni contraseñas.'},
    zh: {placeholder: '请输入消息', send: '发送', restart: '新对话', label: '您的消息',
         safety: '请勿在此输入银行卡号或密码。'}
  };

  function pageIn(code) {
    document.documentElement.lang = code;
    var words = PAGE_TEXT[code];
    if (!words) { return; }
    els.input.placeholder = words.placeholder;
    document.getElementById('send').textContent = words.send;
    els.restart.textContent = words.restart;
    document.querySelector('label[for="message"]').textContent = words.label;
    document.getElementById('safety').textContent = words.safety;
  }

  // The switch offers the assistant's languages (policy/languages.yml, through /config.json).
  function showLanguages(languages) {
    els.language.textContent = '';
    var known = languages.some(function (l) { return l && l.code === state.language; });
    if (!known) { state.language = null; }
    languages.forEach(function (language) {
      if (!language || typeof language.code !== 'string' || typeof language.name !== 'string') { return; }
      var option = document.createElement('option');
      option.value = language.code;
      option.textContent = language.name;
      option.lang = language.code;
      els.language.appendChild(option);
    });
    els.language.value = state.language || languages[0].code;
    pageIn(els.language.value);
    els.language.hidden = false;
  }

  // Choosing a language asks the assistant to continue in it: the greeting is sent again with the choice.
  els.language.addEventListener('change', function () {
    state.language = els.language.value;
    writeLanguage(state.language);
    pageIn(state.language);
    enqueue({message: greeting(), hidden: true, payload: true, language: state.language});
  });

  function updateCounter() {
    var length = els.input.value.length;
    els.counter.textContent = length + ' / ' + maxLength;
    var atLimit = length >= maxLength;
    els.counter.classList.toggle('at-limit', atLimit);
    var note = atLimit ? 'You\u2019ve reached the ' + maxLength + '-character limit. Please shorten your message.' : '';
    if (els.limitNote.textContent !== note) { els.limitNote.textContent = note; scrollToEnd(); }
  }

  els.input.addEventListener('input', updateCounter);

  els.form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = els.input.value;
    if (!text.trim()) { return; }
    if (text.length > maxLength) { updateCounter(); return; }
    els.input.value = '';
    updateCounter();
    enqueue({message: text.trim()});
  });

  els.restart.addEventListener('click', function () {
    // For shared phones: end this conversation (the server clears its cookie), forget it on this device and
    // start a clean one.
    endConversation().then(function () {
      try { window.localStorage.removeItem(STORAGE_KEY); } catch (e) { /* ignore */ }
      memoryStore = null;
      els.log.textContent = '';
      if (window.location.search) { window.history.replaceState(null, '', window.location.pathname); }
      window.location.reload();
    }, function () {
      renderNotice('The conversation could not be ended because the server can\u2019t be reached. Please try again.', true);
    });
  });

  var restart = chooseConversation();
  state.language = readLanguage();
  updateCounter();
  // Messages typed earlier that never reached the assistant stay visible, even before the history loads.
  state.outbox.forEach(function (item) {
    if (!item.hidden) {
      state.bubbles[item.id] = bubble('user', item.display || item.message);
      setStatus(item, pendingStatus());
    }
  });
  fetch('/config.json', {cache: 'no-store'}).then(function (r) { return r.json(); })
    .then(applyConfig, function () { /* keep the defaults */ });
  if (restart) {
    endConversation().then(loadHistory, function () {
      renderNotice('A new conversation could not be started. Please reload the page.', true);
    });
  } else {
    loadHistory();
  }
}());
