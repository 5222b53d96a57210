// A form sent back with errors: the summary at its top takes the focus,
// so the person (and her screen reader) starts from what to fix.
(function () {
  var s = document.getElementById('error-summary');
  if (s) s.focus();
})();

// A page reached at a loosely written address (a certificate code in
// lower case) shows the address it is known by, as printed on paper.
(function () {
  var l = document.querySelector('link[rel=canonical]');
  if (!l || !window.history || !history.replaceState) return;
  var want = new URL(l.href, location.href);
  if (want.pathname !== location.pathname) history.replaceState(null, '', want.pathname + location.search + location.hash);
})();

// Sign-up and team forms: search the chosen province's communes as the
// person types, without diacritics ("ba dinh" finds "Phường Ba Đình").
// The form works without this: the server resolves what was typed.
(function () {
  var prov = document.querySelector('select[data-communes]');
  var input = document.getElementById('commune');
  if (!prov || !input) return;
  var code = document.querySelector('input[name=commune_code]');
  var list = document.getElementById('commune-list');
  var box = document.createElement('ul');
  box.className = 'suggest';
  box.hidden = true;
  input.insertAdjacentElement('afterend', box);
  if (list) { input.removeAttribute('list'); }
  var communes = [];
  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
  }
  function load() {
    communes = [];
    if (!prov.value) return;
    fetch('/api/v1/provinces/' + encodeURIComponent(prov.value) + '/communes')
      .then(function (r) { return r.ok ? r.json() : []; })
      // A box already filled (a form sent back) shows no list until the
      // person types in it again.
      .then(function (data) { communes = data; if (document.activeElement === input) show(); });
  }
  function show() {
    var q = fold(input.value);
    box.innerHTML = '';
    if (!q) { box.hidden = true; return; }
    var found = communes.filter(function (c) { return c.folded.indexOf(q) >= 0; }).slice(0, 8);
    found.forEach(function (c) {
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = c.name;
      b.addEventListener('click', function () {
        input.value = c.name;
        if (code) code.value = c.code;
        box.hidden = true;
      });
      li.appendChild(b);
      box.appendChild(li);
    });
    box.hidden = found.length === 0;
  }
  prov.addEventListener('change', function () { input.value = ''; if (code) code.value = ''; load(); });
  input.addEventListener('input', function () { if (code) code.value = ''; show(); });
  // Close the list when the person moves on; the delay lets a tap on a
  // suggestion land first.
  input.addEventListener('blur', function () { setTimeout(function () { box.hidden = true; }, 200); });
  load();
})();

// Read a lesson aloud with the phone's own voice, when it has one for the
// page's language; a voice of another language would only confuse.
(function () {
  var btn = document.querySelector('button.speak');
  if (!btn || !('speechSynthesis' in window)) return;
  var lang = btn.getAttribute('data-lang');
  var label = btn.textContent;
  function voice() {
    return speechSynthesis.getVoices().filter(function (v) { return v.lang.toLowerCase().indexOf(lang) === 0; })[0];
  }
  function ready() { if (voice()) btn.hidden = false; }
  ready();
  speechSynthesis.addEventListener('voiceschanged', ready);
  btn.addEventListener('click', function () {
    if (speechSynthesis.speaking) { speechSynthesis.cancel(); btn.textContent = label; return; }
    var v = voice();
    if (!v) { btn.hidden = true; return; }
    var text = document.querySelector('article.lesson').innerText;
    var u = new SpeechSynthesisUtterance(text);
    u.voice = v; u.lang = v.lang; u.rate = 0.9;
    u.onend = function () { btn.textContent = label; };
    btn.textContent = '■ ' + btn.getAttribute('data-stop');
    speechSynthesis.speak(u);
  });
})();

// Keep lessons readable without a connection: a service worker keeps what
// was read, and a course's lessons can be saved ahead of a trip.
(function () {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js');
  // On a shared phone, signing out forgets the pages kept for offline use.
  var out = document.querySelector('form[action="/logout"]');
  if (out && 'caches' in window) out.addEventListener('submit', function () { caches.delete('kns-pages'); });
  var btn = document.querySelector('button.save-offline');
  if (!btn || !('caches' in window)) return;
  btn.parentNode.hidden = false;
  btn.addEventListener('click', function () {
    var urls = btn.getAttribute('data-urls').trim().split(/\s+/);
    var quiz = btn.getAttribute('data-quiz');
    caches.open('kns-pages').then(function (c) {
      // One drawn attempt of the quiz (questions and options only): the
      // server continues the open one or draws it; the link to the quiz
      // then leads to it offline.
      var keep = quiz ? fetch(quiz, { credentials: 'same-origin' }).then(function (r) {
        var to = new URL(r.url).pathname;
        if (!r.ok || to.indexOf(quiz + '/') !== 0) return;
        return r.text().then(function (t) {
          return Promise.all([
            c.put(to, new Response(t, { headers: { 'Content-Type': 'text/html; charset=utf-8' } })),
            c.put(quiz, new Response(to))]);
        });
      }) : null;
      return Promise.all([keep].concat(urls.map(function (u) {
        return fetch(u, { credentials: 'same-origin' }).then(function (r) {
          if (!r.ok) return;
          var html = r.clone();
          // Pictures of the lesson too.
          return r.text().then(function (t) {
            var imgs = t.match(/\/courses\/[^"]+\/img\/[^"]+/g) || [];
            return Promise.all([c.put(u, html)].concat(imgs.map(function (i) { return c.add(i); })));
          });
        });
      })));
    }).then(function () { btn.textContent = '✓ ' + btn.getAttribute('data-done'); btn.disabled = true; });
  });
})();

// Share a link the phone's way (Zalo, Messenger, SMS…) where the browser
// can; print a poster. Both buttons stay hidden where they can't work.
(function () {
  document.querySelectorAll('button.share').forEach(function (b) {
    if (!navigator.share) return;
    b.hidden = false;
    b.addEventListener('click', function () {
      navigator.share({ title: b.getAttribute('data-title'), url: b.getAttribute('data-url') }).catch(function () {});
    });
  });
  var p = document.querySelector('button.print');
  if (p && window.print) { p.hidden = false; p.addEventListener('click', function () { window.print(); }); }
})();


// A quiz that survives a dropped connection. The answers are kept on the
// phone (localStorage, by attempt) as they are given, so a reload or a
// closed browser loses none. "Nộp bài" without a connection marks them to
// send: a page sends them when the phone is back online (the next page
// opened, the online event, or every half minute), and where the browser
// has Background Sync the service worker sends them as well, with no page
// open (a worker cannot read localStorage, so it is given a copy; see
// sw.js). The attempt id is the form's idempotency key: the server grades
// an attempt once, and a resend, with whatever answers, gets the first
// result. Answers wait for the person who gave them: a page signed out,
// or of another account on a shared phone, sends nothing.
(function () {
  var KEY = 'kns-quiz:';
  // Answers no longer wanted (the server takes them for 14 days) are
  // cleared a day after that.
  var KEEP = 15 * 24 * 3600 * 1000;
  var bar = document.getElementById('quiz-sync');
  var me = bar && bar.getAttribute('data-user');
  function get(id) { try { return JSON.parse(localStorage.getItem(KEY + id)); } catch (e) { return null; } }
  function put(id, v) { try { localStorage.setItem(KEY + id, JSON.stringify(v)); } catch (e) {} }
  function drop(id) { try { localStorage.removeItem(KEY + id); } catch (e) {} }
  function kept() {
    var out = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(KEY) === 0) out.push(k.slice(KEY.length));
    }
    return out;
  }
  // worker tells the service worker, and resolves to whether it heard.
  function worker(msg) {
    var sw = navigator.serviceWorker;
    if (!sw || !sw.controller || !window.MessageChannel) return Promise.resolve(false);
    return new Promise(function (done) {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () { done(true); };
      sw.controller.postMessage(msg, [ch.port2]);
      setTimeout(function () { done(false); }, 3000);
    });
  }
  function outbox(aid, s) {
    worker({ kns: 'quiz-put', id: aid, action: s.action, fields: s.fields, lesson: !!s.lesson }).then(function (heard) {
      if (heard) return navigator.serviceWorker.ready.then(function (r) { if (r.sync) return r.sync.register('kns-quiz'); });
    }).catch(function () {});
  }
  function settled(aid) { drop(aid); worker({ kns: 'quiz-drop', id: aid }); }
  var form = document.querySelector('form.quiz[data-attempt]');
  var note = document.getElementById('offline-note');
  var id = form && form.getAttribute('data-attempt');
  function say(which, seen) {
    if (!note) return;
    if (!which) { note.hidden = true; return; }
    note.textContent = note.getAttribute('data-' + which);
    note.className = 'notice offline-note ' + which;
    note.hidden = false;
    // Told after a tap on "Nộp bài", at the foot of a long page: bring
    // the note to where she is looking.
    if (seen && note.scrollIntoView) note.scrollIntoView({ block: 'center' });
  }
  function fields(f) {
    var out = [];
    new FormData(f || form).forEach(function (v, k) { out.push([k, String(v)]); });
    return out;
  }
  function unanswered() {
    return Array.prototype.filter.call(form.querySelectorAll('fieldset.question'), function (f) {
      var sel = f.querySelectorAll('select');
      if (sel.length) return Array.prototype.some.call(sel, function (s) { return !s.value; });
      return !f.querySelector('input:checked');
    });
  }
  // send posts kept answers once; it resolves to the page to show when
  // the server has decided (graded, or too late), or null to try later.
  // The form token is this page's: the one kept with the answers belongs
  // to the session they were given in, which a sign-in since has ended.
  function send(aid, s) {
    var body = new URLSearchParams();
    var tok = document.querySelector('input[name=_csrf]');
    s.fields.forEach(function (kv) { body.append(kv[0], kv[0] === '_csrf' && tok ? tok.value : kv[1]); });
    return fetch(s.action, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
      var at = new URL(r.url).pathname;
      if (s.lesson) {
        // Noted, or a lesson no longer in the course: nothing to resend.
        if (r.ok || r.status === 404) { settled(aid); return { url: at, msg: null }; }
        return null;
      }
      if (r.ok && at === s.action) { settled(aid); return { url: s.action, msg: 'sent' }; }
      if (r.status === 410) { settled(aid); return { url: s.action, msg: 'expired' }; }
      if (r.status === 422) { s.pending = false; put(aid, s); worker({ kns: 'quiz-drop', id: aid }); return { url: s.action, msg: null }; }
      return null;
    }, function () { return null; });
  }
  function mine(s) { return s && s.pending && (!s.user || s.user === me); }
  var busy = false;
  function sync() {
    if (busy) return;
    var ids = [];
    kept().forEach(function (aid) {
      var s = get(aid);
      if (!s) return;
      // Past the time the server takes them: a draft, or another
      // account's answers, go. Her own are still sent, to be told so.
      var old = !(s.at > Date.now() - KEEP);
      if (old && (!s.pending || (me && !mine(s)))) { drop(aid); return; }
      if (mine(s)) ids.push(aid);
    });
    // Signed out, say that answers wait on this phone for their owner.
    var waiting = document.getElementById('quiz-waiting');
    if (waiting) waiting.hidden = !kept().some(function (aid) { var s = get(aid); return s && s.pending && !s.lesson && s.at > Date.now() - KEEP; });
    if (!me || !ids.length || !navigator.onLine) return;
    busy = true;
    if (form && ids.indexOf(id) >= 0) say('sending');
    ids.reduce(function (p, aid) {
      return p.then(function () {
        return send(aid, get(aid)).then(function (res) {
          if (!res) { if (aid === id) say('pending'); return; }
          if (aid === id) { location.replace(res.url); return; }
          if (!bar || !res.msg) return;
          bar.textContent = bar.getAttribute('data-' + res.msg) + ' ';
          var a = document.createElement('a');
          a.href = res.url;
          a.textContent = bar.getAttribute('data-see');
          bar.appendChild(a);
          bar.className = 'notice ok-box quiz-sync';
          bar.hidden = false;
        });
      });
    }, Promise.resolve()).then(function () { busy = false; }, function () { busy = false; });
  }
  // A connection that comes back often goes again at once (3G in a
  // field), and a page being closed may see it come back as it goes:
  // send only once it has held a moment, from a page still open.
  var leaving = false;
  window.addEventListener('pagehide', function () { leaving = true; });
  window.addEventListener('online', function () { setTimeout(function () { if (!leaving && navigator.onLine) sync(); }, 1500); });
  setInterval(sync, 30000);
  // "Đã hiểu" on a lesson read offline: the phone notes it and moves on
  // to the next lesson (kept by the service worker); the note is sent
  // with the answers. Marking a lesson twice is harmless.
  var done = document.querySelector('form.lesson-done');
  if (done && window.fetch) done.addEventListener('submit', function (e) {
    e.preventDefault();
    var action = done.getAttribute('action');
    var s = { action: action, fields: fields(done), pending: true, user: me, at: Date.now(), lesson: true };
    function keepIt() {
      put('lesson:' + action, s);
      outbox('lesson:' + action, s);
      try { sessionStorage.setItem('kns-lesson-kept', '1'); } catch (err) {}
      location.href = done.getAttribute('data-next');
    }
    if (!navigator.onLine) { keepIt(); return; }
    // Online, or so the phone thinks: a connection that dies on the way
    // is noted the same.
    var body = new URLSearchParams();
    s.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
    fetch(action, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
      var next = done.getAttribute('data-next');
      // (A followed redirect loses its #quiz.)
      if (r.ok) location.href = new URL(r.url).pathname === new URL(next, location.href).pathname ? next : r.url;
      else done.submit(); // the server's own page says what went wrong
    }, keepIt);
  });
  try {
    if (bar && sessionStorage.getItem('kns-lesson-kept')) {
      sessionStorage.removeItem('kns-lesson-kept');
      if (kept().some(function (aid) { return aid.indexOf('lesson:') === 0; })) { bar.textContent = bar.getAttribute('data-lesson'); bar.className = 'notice offline-note pending quiz-sync'; bar.hidden = false; }
    }
  } catch (err) {}
  // A graded attempt's page: nothing of it is left to keep.
  var graded = document.querySelector('[data-graded]');
  if (graded && get(graded.getAttribute('data-graded'))) settled(graded.getAttribute('data-graded'));
  if (form) {
    var before = get(id);
    if (before) {
      // Give back what was answered before the reload or the closed
      // browser.
      form.querySelectorAll('input[type=radio], input[type=checkbox]').forEach(function (el) {
        el.checked = before.fields.some(function (kv) { return kv[0] === el.name && kv[1] === el.value; });
      });
      form.querySelectorAll('select').forEach(function (el) {
        var kv = before.fields.filter(function (kv) { return kv[0] === el.name; })[0];
        el.value = kv ? kv[1] : '';
      });
    }
    // Offline, the link to this course's quiz leads here.
    if (navigator.onLine && 'caches' in window) {
      caches.open('kns-pages').then(function (c) {
        c.put('/courses/' + form.getAttribute('data-course') + '/quiz', new Response(form.getAttribute('action')));
      });
    }
    if (before && before.pending) say('pending');
    else if (!navigator.onLine) say('offline');
    var answered = function (pending) {
      return { action: form.getAttribute('action'), fields: fields(), pending: pending, user: me, at: Date.now() };
    };
    var keep = function () { var s = get(id); put(id, answered(!!(s && s.pending))); };
    form.addEventListener('change', keep);
    form.addEventListener('input', keep);
    window.addEventListener('offline', function () { var s = get(id); say(s && s.pending ? 'pending' : 'offline'); });
    window.addEventListener('online', function () { var s = get(id); if (!s || !s.pending) say(null); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var s = answered(true);
      if (!navigator.onLine) {
        if (unanswered().length) { say('missing', true); return; }
        put(id, s);
        outbox(id, s);
        say('pending', true);
        return;
      }
      put(id, s);
      say('sending');
      busy = true;
      send(id, s).then(function (res) {
        busy = false;
        // The connection went at the moment of sending.
        if (!res) { outbox(id, s); say('pending', true); return; }
        if (res.msg) { location.replace(res.url); return; }
        form.submit(); // the server shows what is missing
      });
    });
  }
  sync();
})();
