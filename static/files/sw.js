// Kỹ Năng Số service worker: lessons, course pages and pictures stay
// readable offline. Pages are fetched from the network first (progress
// must be fresh) and kept; static files are content-hashed, so the cache
// copy is always right.
var PAGES = 'kns-pages';
var FILES = 'kns-files';
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  var p = url.pathname;
  if (p.indexOf('/static/') === 0 || /^\/courses\/[^/]+\/img\//.test(p)) {
    e.respondWith(caches.open(FILES).then(function (c) {
      return c.match(req).then(function (hit) {
        return hit || fetch(req).then(function (r) { if (r.ok) c.put(req, r.clone()); return r; });
      });
    }));
    return;
  }
  // The quiz link, offline: the attempt kept for this course (app.js
  // records which), never a new draw.
  if (/^\/courses\/[^/]+\/quiz$/.test(p)) {
    e.respondWith(fetch(req).catch(function () {
      return caches.open(PAGES).then(function (c) { return c.match(p); }).then(function (hit) {
        if (!hit) return offline();
        return hit.text().then(function (to) { return Response.redirect(new URL(to, location.origin).href, 303); });
      });
    }));
    return;
  }
  // Lessons, course pages and the quiz attempt kept for offline use (its
  // questions and options; the answers reach the phone only with the
  // result, after grading).
  if (p === '/' || /^\/courses\/[^/]+(\/lessons\/[^/]+|\/quiz\/[^/]+)?$/.test(p)) {
    e.respondWith(fetch(req).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(PAGES).then(function (c) { c.put(p, copy); }); }
      return r;
    }).catch(function () {
      return caches.open(PAGES).then(function (c) { return c.match(p); }).then(function (hit) {
        return hit || offline();
      });
    }));
  }
});
// Background Sync: quiz answers submitted without a connection (and
// lessons marked read) are sent
// when the browser has the network again, even with no page of ours open.
// app.js gives this worker a copy of them (a worker cannot read
// localStorage) and keeps its own; the server grades an attempt once, so
// whichever copy arrives first decides and the other gets the same result.
var DB = 'kns';
var OUTBOX = 'quiz-outbox';
function outbox(mode, use) {
  return new Promise(function (done, fail) {
    var open = indexedDB.open(DB, 1);
    open.onupgradeneeded = function () { open.result.createObjectStore(OUTBOX, { keyPath: 'id' }); };
    open.onerror = function () { fail(open.error); };
    open.onsuccess = function () {
      var db = open.result;
      var tx = db.transaction(OUTBOX, mode);
      var req = use(tx.objectStore(OUTBOX));
      tx.oncomplete = function () { db.close(); done(req.result); };
      tx.onerror = tx.onabort = function () { db.close(); fail(tx.error); };
    };
  });
}
self.addEventListener('message', function (e) {
  var m = e.data || {};
  var heard = function () { if (e.ports && e.ports[0]) e.ports[0].postMessage(true); };
  var job = null;
  if (m.kns === 'quiz-put') job = outbox('readwrite', function (s) { return s.put({ id: m.id, action: m.action, fields: m.fields, lesson: !!m.lesson }); });
  if (m.kns === 'quiz-drop') job = outbox('readwrite', function (s) { return s.delete(m.id); });
  if (job) e.waitUntil(job.then(heard, function () {}));
});
self.addEventListener('sync', function (e) {
  if (e.tag !== 'kns-quiz') return;
  e.waitUntil(outbox('readonly', function (s) { return s.getAll(); }).then(function (all) {
    return Promise.all(all.map(function (q) {
      var body = new URLSearchParams();
      q.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
      // A failed fetch (still no network) rejects, and the browser tries
      // again later.
      return fetch(q.action, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
        var decided = q.lesson ? r.ok || r.status === 404 : (r.ok && new URL(r.url).pathname === q.action) || r.status === 410 || r.status === 422;
        if (decided) {
          return outbox('readwrite', function (s) { return s.delete(q.id); });
        }
        // Signed out, or another account signed in since: the page sends
        // them when their owner signs in again.
      });
    }));
  }));
});
function offline() {
  return new Response(
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<p style="font:1.2rem system-ui;padding:1rem">Bạn đang không có kết nối mạng, và trang này chưa được lưu để đọc ngoại tuyến.</p>' +
    '<p style="font:1.1rem system-ui;padding:0 1rem" lang="en">You are offline, and this page was not saved for offline reading.</p>',
    { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}
