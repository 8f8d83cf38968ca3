/**
 * The dashboard's browser script (served as /dashboard.js). It opens GET /api/events and
 * renders each snapshot; every value is set with textContent or attributes, so a route name
 * or an error message can never become markup. Kept free of template literals so it can live
 * in a TypeScript string.
 */
export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var STATE_WORD = { u: 'healthy', d: 'unhealthy', e: 'ejected', r: 'draining' };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function count(n) { return Number(n).toLocaleString('en-US'); }
  function rate(n) { return n < 10 ? n.toFixed(1) : count(Math.round(n)); }
  function ms(v) {
    if (v === null || v === undefined) return '–';
    if (v < 1) return v.toFixed(2) + ' ms';
    if (v < 100) return v.toFixed(1) + ' ms';
    return count(Math.round(v)) + ' ms';
  }
  function duration(s) {
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function clock(iso) { return new Date(iso).toLocaleTimeString(); }
  function set(id, text) { var n = $(id); if (n.textContent !== text) n.textContent = text; }
  function cell(tag, className, text, scope) {
    var c = el(tag, className, text);
    if (scope) c.setAttribute('scope', scope);
    return c;
  }
  function row(cells) { var tr = el('tr'); cells.forEach(function (c) { tr.appendChild(c); }); return tr; }
  function fill(parent, children) { parent.replaceChildren.apply(parent, children); }

  function spark(values) {
    var max = Math.max.apply(null, values.concat([1]));
    var offset = 59 - (values.length - 1);
    var points = values.map(function (v, i) { return (offset + i) + ',' + (20 - (v / max) * 19).toFixed(2); });
    $('spark').querySelector('polyline').setAttribute('points', points.join(' '));
    set('peak', rate(Math.max.apply(null, values.concat([0]))));
  }

  function history(marks) {
    var bar = el('span', 'hist');
    var down = 0;
    // Seconds before the first sample are shown empty, so every bar has the same time scale.
    for (var k = marks.length; k < 60; k++) bar.appendChild(el('i', 'm-n'));
    for (var i = 0; i < marks.length; i++) {
      var m = marks[i];
      if (m !== 'u') down++;
      bar.appendChild(el('i', 'm-' + m));
    }
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', marks.length + ' s: ' + (marks.length - down) + ' s available, ' + down + ' s not');
    return bar;
  }

  // workers > 1: "(1/2 workers)" when the workers disagree about a target.
  function split(t) {
    if (!t.workers || t.state === 'healthy') return '';
    var n = t.state === 'unhealthy' ? t.workers.unhealthy : t.state === 'ejected' ? t.workers.ejected : t.workers.draining;
    return n < t.workers.reporting ? ' (' + n + '/' + t.workers.reporting + ' workers)' : '';
  }

  function workers(list) {
    var section = $('workers-section');
    if (!list) { section.hidden = true; return; }
    section.hidden = false;
    fill($('workers'), list.map(function (w) {
      var tr = row([
        cell('th', null, String(w.slot), 'row'),
        cell('td', null, w.pid === null ? '–' : String(w.pid)),
        cell('td', 'num', w.answered ? duration(w.uptimeSeconds) : 'not answering'),
        cell('td', 'num', w.requests === null ? '–' : count(w.requests)),
        cell('td', 'num', w.inFlight === null ? '–' : count(w.inFlight)),
        cell('td', 'num', count(w.restarts)),
      ]);
      tr.setAttribute('data-worker', String(w.slot));
      return tr;
    }));
  }

  function upstreams(list) {
    if (list.length === 0) { fill($('upstreams'), [el('p', 'empty', 'No upstreams.')]); return; }
    fill($('upstreams'), list.map(function (u) {
      var box = el('div', 'upstream');
      box.setAttribute('data-upstream', u.name);
      box.appendChild(el('h3', null, u.name + (u.healthCheck ? ' (active health check)' : '')));
      var table = el('table');
      var head = el('thead');
      head.appendChild(row([cell('th', null, 'Target', 'col'), cell('th', null, 'State', 'col'), cell('th', 'num opt', 'In flight', 'col'), cell('th', 'num opt', 'Latency', 'col'), cell('th', null, 'Last 60 s', 'col')]));
      var body = el('tbody');
      u.targets.forEach(function (t) {
        var tr = row([
          cell('th', 'url', t.url, 'row'),
          cell('td', 'state state-' + t.state, t.state + split(t)),
          cell('td', 'num opt', count(t.inFlight)),
          cell('td', 'num opt', t.latencyEwmaMs > 0 ? ms(t.latencyEwmaMs) : '–'),
        ]);
        var h = el('td');
        h.appendChild(history(t.history));
        tr.appendChild(h);
        tr.setAttribute('data-target', t.url);
        tr.setAttribute('data-state', t.state);
        body.appendChild(tr);
      });
      table.appendChild(head);
      table.appendChild(body);
      var scroll = el('div', 'scroll');
      scroll.appendChild(table);
      box.appendChild(scroll);
      return box;
    }));
  }

  function classes(totals, total) {
    fill($('classes'), ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'].map(function (c) {
      var n = totals[c] || 0;
      return row([cell('th', null, c, 'row'), cell('td', 'num', count(n)), cell('td', 'num', total > 0 ? ((n / total) * 100).toFixed(1) + ' %' : '–')]);
    }));
  }

  function routes(list) {
    if (list.length === 0) { fill($('routes'), [row([cell('td', 'empty', 'No requests yet.')])]); return; }
    fill($('routes'), list.map(function (r) {
      return row([cell('th', null, r.name, 'row'), cell('td', 'num', rate(r.perSecond)), cell('td', 'num', count(r.total)), cell('td', 'num', count(r.errors))]);
    }));
  }

  function errors(list) {
    if (list.length === 0) { fill($('errors'), [el('li', 'empty', 'None.')]); return; }
    fill($('errors'), list.map(function (e) {
      var li = el('li');
      var t = el('time', null, clock(e.at));
      t.setAttribute('datetime', e.at);
      li.appendChild(t);
      li.appendChild(el('span', 'kind kind-' + e.kind, e.kind));
      li.appendChild(document.createTextNode(' ' + (e.worker ? 'worker ' + e.worker + ': ' : '') + e.message));
      return li;
    }));
  }

  function reload(r) {
    if (!r) { fill($('reload'), [el('p', 'empty', 'No reload since start.')]); return; }
    var p = el('p');
    p.appendChild(el('span', r.ok ? 'ok' : 'failed', r.ok ? 'Applied' : 'Refused'));
    var t = el('time', null, clock(r.at));
    t.setAttribute('datetime', r.at);
    p.appendChild(document.createTextNode(' at '));
    p.appendChild(t);
    p.appendChild(document.createTextNode(' (' + r.trigger + ')' + (r.ok ? '' : ': the previous configuration keeps serving.')));
    var nodes = [p];
    var lines = r.errors.concat(r.warnings.map(function (w) { return 'warning: ' + w; }));
    if (lines.length > 0) nodes.push(el('pre', null, lines.join('\n')));
    fill($('reload'), nodes);
  }

  var lastKey = '';
  function render(s) {
    set('uptime', duration(s.uptimeSeconds));
    set('rate', rate(s.requests.perSecond));
    set('total', count(s.requests.total));
    set('inflight', count(s.inFlight));
    set('connections', count(s.connections));
    set('p50', s.latencyMs ? ms(s.latencyMs.p50) : '–');
    set('p95', s.latencyMs ? ms(s.latencyMs.p95) : '–');
    set('p99', s.latencyMs ? ms(s.latencyMs.p99) : '–');
    set('cache', !s.cache ? 'no cache' : s.cache.hitRatio === null ? '–' : (s.cache.hitRatio * 100).toFixed(1) + ' %');
    set('window', String(s.windowSeconds));
    spark(s.requests.rateHistory);
    upstreams(s.upstreams);
    workers(s.workers);
    classes(s.requests.classes, s.requests.total);
    routes(s.topRoutes);
    var key = JSON.stringify([s.errors.length, s.errors[0], s.reload]);
    if (key !== lastKey) { lastKey = key; errors(s.errors); reload(s.reload); }
  }

  function status(text, className) { var c = $('conn'); c.textContent = text; c.className = className; }
  var source = new EventSource('/api/events');
  source.addEventListener('open', function () { status('live', 'live'); });
  source.addEventListener('error', function () { status(source.readyState === 2 ? 'disconnected (reload the page)' : 'reconnecting…', 'lost'); });
  source.addEventListener('snapshot', function (e) {
    status('live', 'live');
    render(JSON.parse(e.data));
  });
})();
`;
