/**
 * The page's script, part 1 of 3 (served concatenated as /app.js): DOM helpers, the API call and the
 * router. Everything shown is put in the DOM as text nodes or attribute values (`h` below), never as
 * markup: message bodies, properties, topic and group names are user data.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var C = window.Console = {};

  /** h('td', {class: 'num'}, 'text', child, ...): an element whose string children become text nodes. */
  C.h = function (tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'value') el.value = v;
        else el.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) C.append(el, arguments[i]);
    return el;
  };
  C.append = function (el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { C.append(el, x); }); return; }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  };

  C.fmt = function (n) {
    if (typeof n !== 'number' || !isFinite(n)) return String(n === undefined ? '' : n);
    return Math.abs(n) >= 1000 || Number.isInteger(n) ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
  };
  C.time = function (ms) {
    if (!ms || ms <= 0) return '';
    var d = new Date(ms), p = function (x) { return (x < 10 ? '0' : '') + x; };
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  };
  C.link = function (hash, text) { return C.h('a', { href: hash }, text); };
  C.hashOf = function (page, name) { return '#/' + page + '/' + encodeURIComponent(name); };

  /** A table: cols = [[title, (row) => cell, 'num'?], ...]. */
  C.table = function (cols, rows, id) {
    var head = C.h('tr', null, cols.map(function (c) { return C.h('th', { class: c[2] }, c[0]); }));
    var body = rows.map(function (r) {
      return C.h('tr', null, cols.map(function (c) { return C.h('td', { class: c[2] }, c[1](r)); }));
    });
    if (rows.length === 0) body = [C.h('tr', null, C.h('td', { colspan: cols.length, class: 'muted' }, 'none'))];
    return C.h('table', { id: id }, C.h('thead', null, head), C.h('tbody', null, body));
  };
  C.kv = function (pairs) {
    return C.h('table', { class: 'kv' }, C.h('tbody', null, pairs.map(function (p) { return C.h('tr', null, C.h('td', null, p[0]), C.h('td', null, p[1])); })));
  };
  C.error = function (e) { return C.h('div', { class: 'error' }, e && e.message ? e.message : String(e)); };

  C.api = function (path, params) {
    var qs = params ? '?' + new URLSearchParams(params).toString() : '';
    return fetch('api/' + path + qs, { headers: { Accept: 'application/json' } }).then(C.json);
  };
  C.post = function (path, body) {
    return fetch('api/' + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(C.json);
  };
  C.json = function (res) {
    return res.json().then(function (v) {
      if (!res.ok) throw new Error(v && v.error ? v.error : 'HTTP ' + res.status);
      return v;
    });
  };

  /** Form values by input name. */
  C.values = function (form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) { if (el.name) out[el.name] = el.type === 'checkbox' ? el.checked : el.value; });
    return out;
  };
  C.field = function (label, name, attrs) {
    var a = Object.assign({ name: name }, attrs || {});
    var tag = a.tag || 'input';
    delete a.tag;
    return C.h('label', null, label, C.h(tag, a));
  };

  C.pages = {};
  var main, status, seq = 0;

  /** Renders the page the hash names; a slower earlier render never overwrites a later one. */
  C.route = function () {
    var parts = (location.hash || '#/cluster').slice(2).split('/');
    var page = parts[0] || 'cluster';
    var arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : undefined;
    var render = C.pages[page] || C.pages.cluster;
    Array.prototype.forEach.call(document.querySelectorAll('#nav a'), function (a) {
      var target = a.getAttribute('href').slice(2);
      a.className = target === page || target + 's' === page || (page === 'topic' && target === 'topics') || (page === 'group' && target === 'groups') ? 'active' : '';
    });
    var mine = ++seq;
    status.textContent = 'loading…';
    var box = C.h('div', { id: 'page-' + page });
    Promise.resolve().then(function () { return render(box, arg); }).catch(function (e) {
      C.append(box, C.error(e));
    }).then(function () {
      if (mine !== seq) return;
      main.replaceChildren(box);
      status.textContent = 'updated ' + C.time(Date.now());
      document.body.setAttribute('data-page', page);
    });
  };

  document.addEventListener('DOMContentLoaded', function () {
    main = document.getElementById('main');
    status = document.getElementById('status');
    window.addEventListener('hashchange', C.route);
    C.route();
  });
})();
`;
