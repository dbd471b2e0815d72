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
  var MAX_BACKOFF = 15000;
  // Asks the assistant to go on in the language sent along (channels/commands.py LANGUAGE_SWITCH).
  var LANGUAGE_SWITCH = '/switch_language';

  // Everything the page itself says, one block per language (the assistant's words come from the assistant).
  // Error texts are keyed by the server's error codes (web/server.py ERROR_CODES).
  var PAGE_TEXT = {
    en: {
      placeholder: 'Type your message', send: 'Send', restart: 'New chat', label: 'Your message',
      restartTitle: 'Forget this conversation on this device and start again', languageLabel: 'Language',
      safety: 'Never type card numbers or passwords here.', conversation: 'Conversation',
      quickReplies: 'Quick replies', youSaid: 'You said: ', assistantSaid: 'Assistant said: ',
      offline: 'Can\u2019t reach the assistant, retrying\u2026 Your messages will be sent when it\u2019s back.',
      pending: 'Not sent yet \u2013 it will be sent when the connection is back.',
      pendingSoon: 'Not sent yet \u2013 it will be sent in a moment.', failed: 'Not sent.',
      limit: 'You\u2019ve reached the {max}-character limit. Please shorten your message.',
      historyFailed: 'Your earlier messages could not be loaded.',
      endFailed: 'The conversation could not be ended because the server can\u2019t be reached. Please try again.',
      startFailed: 'A new conversation could not be started. Please reload the page.',
      errors: {
        rate_limited: 'You\u2019re sending messages faster than the assistant can take them. Please wait {seconds} ' +
          'seconds; your message will be sent then.',
        too_slow: 'The assistant is taking too long to answer. Please try again in a moment.',
        unavailable: 'The assistant is unavailable right now. Your message was not sent; it will be retried.',
        upstream: 'The assistant couldn\u2019t handle that message. Please try again or rephrase it.',
        no_reply: 'The assistant didn\u2019t reply. Please try again in a moment.',
        too_long: 'That message is too long. Please shorten it.',
        bad_request: 'That message could not be sent. Please try again.',
        cross_site: 'Requests from other sites are not accepted.',
        history_unavailable: 'The conversation history is not available right now.',
        other: 'Something went wrong. Please try again.'
      }
    },
    es: {
      placeholder: 'Escriba su mensaje', send: 'Enviar', restart: 'Nuevo chat', label: 'Su mensaje',
      restartTitle: 'Olvidar esta conversación en este dispositivo y empezar de nuevo', languageLabel: 'Idioma',
      safety: 'Nunca escriba aquí números de tarjeta ni contraseñas.', conversation: 'Conversación',
      quickReplies: 'Respuestas rápidas', youSaid: 'Usted dijo: ', assistantSaid: 'El asistente dijo: ',
      offline: 'No podemos contactar con el asistente; reintentando\u2026 Sus mensajes se enviarán cuando vuelva.',
      pending: 'Aún no enviado: se enviará cuando vuelva la conexión.',
      pendingSoon: 'Aún no enviado: se enviará en un momento.', failed: 'No enviado.',
      limit: 'Ha llegado al límite de {max} caracteres. Acorte su mensaje, por favor.',
      historyFailed: 'No se pudieron cargar sus mensajes anteriores.',
      endFailed: 'No se pudo terminar la conversación porque no hay conexión con el servidor. Inténtelo de nuevo.',
      startFailed: 'No se pudo empezar una conversación nueva. Vuelva a cargar la página.',
      errors: {
        rate_limited: 'Está enviando mensajes más rápido de lo que el asistente puede atenderlos. Espere {seconds} ' +
          'segundos; su mensaje se enviará entonces.',
        too_slow: 'El asistente está tardando demasiado en responder. Inténtelo de nuevo en un momento.',
        unavailable: 'El asistente no está disponible ahora mismo. Su mensaje no se envió; se volverá a intentar.',
        upstream: 'El asistente no pudo procesar ese mensaje. Inténtelo de nuevo o dígalo de otra forma.',
        no_reply: 'El asistente no respondió. Inténtelo de nuevo en un momento.',
        too_long: 'Ese mensaje es demasiado largo. Acórtelo, por favor.',
        bad_request: 'No se pudo enviar ese mensaje. Inténtelo de nuevo.',
        cross_site: 'No se aceptan solicitudes de otros sitios.',
        history_unavailable: 'El historial de la conversación no está disponible ahora mismo.',
        other: 'Algo salió mal. Inténtelo de nuevo.'
      }
    },
    zh: {
      placeholder: '请输入消息', send: '发送', restart: '新对话', label: '您的消息',
      restartTitle: '在此设备上清除本次对话并重新开始', languageLabel: '语言',
      safety: '请勿在此输入银行卡号或密码。', conversation: '对话',
      quickReplies: '快捷回复', youSaid: '您说：', assistantSaid: '助手说：',
      offline: '暂时无法连接助手，正在重试…… 恢复连接后会发送您的消息。',
      pending: '尚未发送——恢复连接后会自动发送。',
      pendingSoon: '尚未发送——稍后会自动发送。', failed: '未发送。',
      limit: '已达到{max}个字符的上限，请缩短您的消息。',
      historyFailed: '无法加载您之前的消息。',
      endFailed: '无法连接服务器，未能结束对话。请重试。',
      startFailed: '无法开始新的对话。请重新加载页面。',
      errors: {
        rate_limited: '您发送消息的速度太快，助手来不及处理。请等待{seconds}秒，届时会发送您的消息。',
        too_slow: '助手回复时间过长，请稍后再试。',
        unavailable: '助手暂时无法使用。您的消息尚未发送，稍后会重试。',
        upstream: '助手无法处理这条消息。请重试或换一种说法。',
        no_reply: '助手没有回复，请稍后再试。',
        too_long: '这条消息太长了，请缩短。',
        bad_request: '这条消息无法发送，请重试。',
        cross_site: '不接受来自其他网站的请求。',
        history_unavailable: '暂时无法获取对话记录。',
        other: '出了点问题，请重试。'
      }
    }
  };

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
    statuses: {},      // outbox id -> the PAGE_TEXT key of the status its bubble shows
    liveGroups: [],    // quick-reply groups still clickable
    language: null,    // the language chosen on the switch, if the debtor chose one
    pageLanguage: 'en',  // the language of the page's own words (PAGE_TEXT)
    switchAfterHistory: false  // a switch chosen before the history was known
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

  // ------------------------------------------------------------ the page's words

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  function say(key, values) {
    var words = PAGE_TEXT[state.pageLanguage] || PAGE_TEXT.en;
    return fill(words[key] !== undefined ? words[key] : PAGE_TEXT.en[key], values);
  }

  function sayError(code, values) {
    var errors = (PAGE_TEXT[state.pageLanguage] || PAGE_TEXT.en).errors;
    return fill(errors[code] || errors.other, values);
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
    who.textContent = say(from === 'user' ? 'youSaid' : 'assistantSaid');
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
    group.setAttribute('aria-label', say('quickReplies'));
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
    delete state.statuses[item.id];
    if (!status) { if (span) { span.remove(); } return; }
    state.statuses[item.id] = status.key;
    if (!span) {
      span = document.createElement('span');
      span.className = 'status';
      div.appendChild(span);
    }
    div.classList.add(status.kind);
    span.textContent = say(status.key);
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

  function pendingStatus() { return {kind: 'pending', key: 'pending'}; }

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
      setStatus(item, {kind: 'pending', key: 'pendingSoon'});
      renderNotice(sayError('rate_limited', {seconds: seconds}), true);
      state.waitTimer = window.setTimeout(function () { state.waitTimer = null; pump(); }, seconds * 1000);
      return;
    }
    state.outbox.shift();
    writeStore();
    if (result.ok) {
      setStatus(item, null);
      if (typeof result.data.language === 'string') { followLanguage(result.data.language); }
      var messages = Array.isArray(result.data.messages) ? result.data.messages : [];
      messages.forEach(function (m) { renderBot(m, true); });
      if (result.data.notice) { renderNotice(sayError(result.data.notice_code), false); }
    } else {
      setStatus(item, {kind: 'failed', key: 'failed'});
      renderNotice(sayError(result.data.code), true);
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
    showBanner(say('offline'));
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
      renderNotice(say('historyFailed'), true);
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
    } else if (messages.length && state.switchAfterHistory) {
      state.outbox.push({id: newId(), message: LANGUAGE_SWITCH, hidden: true, payload: true,
                         language: state.language});
      writeStore();
    }
    state.switchAfterHistory = false;
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

  // The page's own words in the chosen language; whatever is on show (banner, notes, statuses) is said again.
  function pageIn(code) {
    state.pageLanguage = PAGE_TEXT[code] ? code : 'en';
    document.documentElement.lang = state.pageLanguage;
    els.input.placeholder = say('placeholder');
    document.getElementById('send').textContent = say('send');
    els.restart.textContent = say('restart');
    els.restart.title = say('restartTitle');
    document.querySelector('label[for="message"]').textContent = say('label');
    document.querySelector('label[for="language"]').textContent = say('languageLabel');
    document.getElementById('safety').textContent = say('safety');
    els.log.setAttribute('aria-label', say('conversation'));
    if (!state.online) { showBanner(say('offline')); }
    Object.keys(state.statuses).forEach(function (id) {
      var span = state.bubbles[id] && state.bubbles[id].querySelector('.status');
      if (span) { span.textContent = say(state.statuses[id]); }
    });
    els.limitNote.textContent = '';
    updateCounter();
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

  // The assistant went on in another language (the debtor asked for it by name): the page follows.
  function followLanguage(code) {
    if (code === els.language.value || !PAGE_TEXT[code]) { return; }
    state.language = code;
    writeLanguage(code);
    els.language.value = code;
    pageIn(code);
  }

  // Choosing a language asks the assistant to continue in it. A greeting or switch still queued carries the new
  // choice instead; before the history is known, the switch waits for it (a new conversation's greeting carries it).
  els.language.addEventListener('change', function () {
    state.language = els.language.value;
    writeLanguage(state.language);
    pageIn(state.language);
    var queued = state.outbox.filter(function (item, i) { return item.hidden && !(state.sending && i === 0); })[0];
    if (queued) {
      queued.language = state.language;
      writeStore();
    } else if (!state.ready) {
      state.switchAfterHistory = true;
    } else {
      enqueue({message: LANGUAGE_SWITCH, hidden: true, payload: true, language: state.language});
    }
  });

  function updateCounter() {
    var length = els.input.value.length;
    els.counter.textContent = length + ' / ' + maxLength;
    var atLimit = length >= maxLength;
    els.counter.classList.toggle('at-limit', atLimit);
    var note = atLimit ? say('limit', {max: maxLength}) : '';
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
      renderNotice(say('endFailed'), true);
    });
  });

  var restart = chooseConversation();
  state.language = readLanguage();
  pageIn(state.language);
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
      renderNotice(say('startFailed'), true);
    });
  } else {
    loadHistory();
  }
}());
