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
    caches.open('kns-pages').then(function (c) {
      return Promise.all(urls.map(function (u) {
        return fetch(u, { credentials: 'same-origin' }).then(function (r) {
          if (!r.ok) return;
          var html = r.clone();
          // Pictures of the lesson too.
          return r.text().then(function (t) {
            var imgs = t.match(/\/courses\/[^"]+\/img\/[^"]+/g) || [];
            return Promise.all([c.put(u, html)].concat(imgs.map(function (i) { return c.add(i); })));
          });
        });
      }));
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
