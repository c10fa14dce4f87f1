// mxwatch status page: auto-refresh, live filter, sort and page links without a full
// reload, and the Retry buttons. Served as a file (the Content-Security-Policy allows no
// inline script) and compiled into the binary. The page works without it: every control is
// a plain link or a GET form, and the server renders every view.
'use strict';
(function () {
  document.documentElement.classList.add('js');
  var body = document.body;
  var period = (parseInt(body.getAttribute('data-refresh'), 10) || 10) * 1000;
  var form = document.getElementById('controls');
  var auto = document.getElementById('autorefresh');
  var updated = document.getElementById('updated');
  var busy = false;
  var pending = null;

  function stamp() {
    if (updated) updated.textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  // Replaces #results with the same part of a freshly fetched page, keeping open
  // <details> open and the scroll position where it was.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById('results');
    var old = document.getElementById('results');
    if (!fresh || !old) return;
    var open = [];
    old.querySelectorAll('details').forEach(function (d, i) { if (d.open) open.push(i); });
    var y = window.scrollY;
    old.replaceWith(document.adoptNode(fresh));
    var all = fresh.querySelectorAll('details');
    open.forEach(function (i) { if (all[i]) all[i].open = true; });
    window.scrollTo(0, y);
    stamp();
  }

  function load(url) {
    if (busy) { pending = url; return; }
    busy = true;
    fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(swap)
      .catch(function (e) { if (updated) updated.textContent = 'refresh failed: ' + e.message; })
      .finally(function () {
        busy = false;
        if (pending) { var next = pending; pending = null; load(next); }
      });
  }

  // The form's fields as a URL: defaults left out, back to page 1.
  function formUrl() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) {
      if (v === '' || (k === 'per' && v === '100')) return;
      params.set(k, v);
    });
    return '/?' + params.toString();
  }

  // Keeps the form's hidden sort/order (and the fields) in step with the URL.
  function syncForm(url) {
    if (!form) return;
    var p = new URL(url, location.href).searchParams;
    ['sort', 'order', 'status', 'per'].forEach(function (k) {
      var el = form.elements[k];
      if (el && p.has(k)) el.value = p.get(k);
    });
  }

  if (form) {
    var timer = null;
    var apply = function () {
      var url = formUrl();
      history.replaceState(null, '', url);
      load(url);
    };
    form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
    form.elements.q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 250);
    });
    ['status', 'per'].forEach(function (k) { form.elements[k].addEventListener('change', apply); });
  }

  document.addEventListener('click', function (e) {
    var a = e.target.closest('a[data-nav]');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    history.pushState(null, '', a.href);
    syncForm(a.href);
    load(a.href);
  });
  window.addEventListener('popstate', function () {
    syncForm(location.href);
    load(location.href);
  });

  setInterval(function () {
    if (document.hidden || (auto && !auto.checked)) return;
    load(location.href);
  }, period);
  stamp();

  // ---- Retry (delivernow): a first click arms the button, a second within 5 s sends. ----
  var status = document.getElementById('retry-status');

  function say(text, cls) {
    if (!status) return;
    status.textContent = text;
    status.className = 'retry-status' + (cls ? ' ' + cls : '');
  }

  function describe(job) {
    var what = job.all ? 'all deferred mail' : job.destination;
    if (job.state === 'failed') return 'Retry of ' + what + ' failed: ' + (job.error || 'unknown error');
    if (job.state !== 'done') return 'Retrying ' + what + '\u2026';
    if (job.all) return 'Retry of all deferred mail scheduled.';
    return 'Retry of ' + what + ': ' + job.rescheduled + ' of ' + job.messages +
      ' deferred message' + (job.messages === 1 ? '' : 's') + ' scheduled for delivery now.';
  }

  function poll(id, deadline, button) {
    fetch('/api/v1/delivernow/' + id, { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (doc) {
        var job = doc.job;
        if (!job) throw new Error(doc.error || 'no such job');
        var finished = job.state === 'done' || job.state === 'failed';
        say(describe(job), finished ? (job.state === 'done' ? 'ok' : 'bad') : '');
        if (!finished && Date.now() < deadline) setTimeout(function () { poll(id, deadline, button); }, 500);
        else button.disabled = false;
      })
      .catch(function (e) { say('Retry status unknown: ' + e.message, 'bad'); button.disabled = false; });
  }

  function send(button) {
    var all = button.hasAttribute('data-retry-all');
    var body = all ? { all: true } : { destination: button.getAttribute('data-retry') };
    button.disabled = true;
    say('Asking the MTA to retry\u2026');
    fetch('/api/v1/delivernow', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-Mxwatch-Request': 'delivernow' },
      body: JSON.stringify(body)
    })
      .then(function (r) { return r.json().then(function (doc) { return { ok: r.ok, doc: doc }; }); })
      .then(function (res) {
        if (!res.ok || !res.doc.job) throw new Error(res.doc.error || 'refused');
        say(describe(res.doc.job));
        poll(res.doc.job.id, Date.now() + 120000, button);
      })
      .catch(function (e) { say('Retry refused: ' + e.message, 'bad'); button.disabled = false; });
  }

  document.addEventListener('click', function (e) {
    var button = e.target.closest('button[data-retry], button[data-retry-all]');
    if (!button || button.disabled) return;
    if (!button.hasAttribute('data-armed')) {
      var label = button.textContent;
      button.setAttribute('data-armed', label);
      button.textContent = 'Click again to confirm';
      setTimeout(function () {
        if (button.hasAttribute('data-armed')) {
          button.textContent = button.getAttribute('data-armed');
          button.removeAttribute('data-armed');
        }
      }, 5000);
      return;
    }
    button.textContent = button.getAttribute('data-armed');
    button.removeAttribute('data-armed');
    send(button);
  });
})();
