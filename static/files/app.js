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
      .then(function (data) { communes = data; show(); });
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
  load();
})();
