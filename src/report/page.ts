// The report page's own CSS and script, inlined into every report. Plain strings (not TypeScript
// compiled in) so the page runs as written in any browser; the Chromium page test covers them.
// The script only ever puts user data into the page through textContent, never as markup.

export const CSS = `
:root{--ok:#2f9e5b;--error:#d64545;--timeout:#e58a1f;--cancelled:#8e959c;--running:#4a7bd0;
--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--sel:#e8f0ff;--bg:#f5f6f8;--card:#fff;--row:24px;--label:260px;--note:120px}
*{box-sizing:border-box}
body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
#note{margin:6px 0 0}
header{padding:14px 20px 12px;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:19px;margin:0 0 6px;word-break:break-word}
h2{font-size:13px;margin:0;font-weight:600}
.meta{color:var(--muted);display:flex;gap:6px 16px;flex-wrap:wrap;align-items:center}
.meta b{color:var(--fg);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.st-ok{background:var(--ok)}.st-error{background:var(--error)}.st-timeout{background:var(--timeout)}
.st-cancelled{background:var(--cancelled)}.st-running{background:var(--running)}
main{display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:16px;padding:16px 20px;align-items:start}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden;min-width:0}
.card>.bar-head{display:flex;align-items:center;gap:12px;padding:8px 12px;border-bottom:1px solid var(--line);flex-wrap:wrap}
.tools{display:flex;gap:10px;align-items:center;margin-left:auto;color:var(--muted)}
.tools input[type=search]{font:inherit;padding:3px 8px;border:1px solid var(--line);border-radius:6px;width:180px}
.legend{display:flex;gap:14px;color:var(--muted);font-size:12px;padding:6px 12px;border-top:1px solid var(--line)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.scroll{max-height:62vh;overflow:auto;position:relative}
.vbody{position:relative}
.axis{position:sticky;top:0;z-index:2;height:22px;background:var(--card);border-bottom:1px solid var(--line);display:grid;grid-template-columns:var(--label) 1fr var(--note)}
.axis .ticks{position:relative}
.axis .ticks span{position:absolute;top:3px;transform:translateX(-50%);color:var(--muted);font-size:11px;white-space:nowrap}
.axis .ticks span:first-child{transform:none}
.grid{position:absolute;top:0;bottom:0;left:var(--label);right:var(--note);pointer-events:none}
.grid div{position:absolute;top:0;bottom:0;border-left:1px dashed var(--line)}
.wf-row{position:absolute;left:0;right:0;height:var(--row);display:grid;grid-template-columns:var(--label) 1fr var(--note);align-items:center;cursor:pointer;border-bottom:1px solid #f1f2f4}
.wf-row:hover,.t-row:hover{background:#f7f9fc}
.wf-row.sel,.t-row.sel{background:var(--sel)}
.label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:0 8px 0 12px}
.mark{display:inline-block;width:16px;font-weight:700}
.fold{display:inline-block;width:12px;margin-left:-12px;color:var(--muted);cursor:pointer}
.fold:hover{color:var(--fg)}
.m-ok{color:var(--ok)}.m-error{color:var(--error)}.m-timeout{color:var(--timeout)}.m-cancelled{color:var(--cancelled)}.m-running{color:var(--running)}
.track{position:relative;height:100%}
.wbar{position:absolute;top:6px;height:12px;min-width:3px;border-radius:3px}
.wbar.group{top:9px;height:6px;opacity:.55}
.wbar.replayed{box-shadow:0 0 0 1px var(--running);background-image:repeating-linear-gradient(135deg,rgba(255,255,255,.55) 0 3px,transparent 3px 6px)}
.note{color:var(--muted);font-size:12px;padding:0 10px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.retry{color:var(--timeout);font-weight:600}.replay{color:var(--running);font-weight:600}
.table .t-head{position:sticky;top:0;z-index:2;background:var(--card);border-bottom:1px solid var(--line)}
.t-head,.t-row{display:grid;grid-template-columns:60px minmax(160px,1fr) 70px 90px 100px 100px 80px 96px;align-items:center}
.t-row{position:absolute;left:0;right:0;height:var(--row);cursor:pointer;border-bottom:1px solid #f1f2f4}
.t-head button{font:inherit;font-weight:600;text-align:left;background:none;border:0;padding:6px 10px;cursor:pointer;color:var(--fg)}
.t-head button:hover{background:#f7f9fc}
.t-row>span{padding:0 10px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.num{text-align:right;font-variant-numeric:tabular-nums}
.t-head button.num{text-align:right}
.wide{grid-column:1/-1}
#detail{position:sticky;top:16px;padding:12px 14px;max-height:calc(100vh - 32px);overflow:auto}
#detail h2{font-size:15px;margin:0 0 8px;word-break:break-word}
#detail dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:8px 0;align-items:baseline}
#detail dt{color:var(--muted)}#detail dd{margin:0;word-break:break-word}
.err{border-left:3px solid var(--error);background:#fdf2f2;padding:8px 10px;border-radius:4px;margin:8px 0}
.err.warn{border-color:var(--timeout);background:#fdf6ec}
.err .en{font-weight:700}
.err pre{white-space:pre-wrap;word-break:break-word;margin:6px 0 0;color:#444}
.hint{color:var(--muted)}
button.zoom{font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--fg);cursor:pointer}
button.zoom:hover{background:#f7f9fc}
[hidden]{display:none!important}
.empty{padding:16px;color:var(--muted)}
@media (max-width:900px){main{grid-template-columns:1fr}#detail{position:static}}
`

export const SCRIPT = `(function () {
'use strict';
var data = JSON.parse(document.getElementById('okflow-data').textContent);
var steps = data.steps;
var span = Math.max(data.durationMs, 0.001);
var ROW = 24, OVERSCAN = 10;
var MARK = { ok: '\\u2713', error: '\\u2717', timeout: '\\u23F1', cancelled: '\\u2298', running: '\\u2026' };
var GROUP = { all: 1, any: 1, race: 1 };

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function fmt(ms) {
  if (ms === null) return 'running';
  if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
  if (ms >= 10) return ms.toFixed(1) + ' ms';
  return ms.toFixed(2) + ' ms';
}
/* The time window the waterfall shows: the whole run, or a step zoomed to. */
var view = { from: 0, to: span };
function pct(ms) { return ((Math.max(view.from, Math.min(ms, view.to)) - view.from) / (view.to - view.from)) * 100; }
function count(n) { return n.toLocaleString('en-US'); }
function end(s) { return s.duration === null ? data.durationMs : s.start + s.duration; }

var selected = -1, filterText = '', problemsOnly = false;
/* Groups folded in the waterfall (their children hidden there; the table keeps every step). */
var folded = new Set();
var hasKids = new Set();
steps.forEach(function (s) { if (s.parent >= 0) hasKids.add(s.parent); });
function hiddenByFold(i) {
  for (var p = steps[i].parent; p >= 0; p = steps[p].parent) if (folded.has(p)) return true;
  return false;
}
var sortKey = '', sortDir = 1;

function wanted(s) {
  if (problemsOnly && s.status === 'ok' && s.retries.length === 0) return false;
  return filterText === '' || s.name.toLowerCase().indexOf(filterText) >= 0;
}

/* A list of fixed-height rows of which only those in view (and a few more) are in the DOM. */
function VList(scroller, body, make) {
  var self = this;
  this.scroller = scroller; this.body = body; this.make = make; this.items = []; this.rows = new Map();
  var queued = false;
  scroller.addEventListener('scroll', function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; self.draw(); });
  });
}
VList.prototype.set = function (items) {
  this.items = items;
  this.body.style.height = items.length * ROW + 'px';
  this.rows.forEach(function (r) { r.remove(); });
  this.rows = new Map();
  this.draw();
};
VList.prototype.draw = function () {
  var top = this.scroller.scrollTop, h = this.scroller.clientHeight || window.innerHeight;
  var from = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  var to = Math.min(this.items.length, Math.ceil((top + h) / ROW) + OVERSCAN);
  var keep = new Map();
  for (var p = from; p < to; p++) {
    var row = this.rows.get(p);
    if (row) this.rows.delete(p);
    else {
      row = this.make(this.items[p]);
      row.style.top = p * ROW + 'px';
      this.body.appendChild(row);
    }
    keep.set(p, row);
  }
  this.rows.forEach(function (r) { r.remove(); });
  this.rows = keep;
};
VList.prototype.mark = function () {
  this.rows.forEach(function (row) { row.classList.toggle('sel', Number(row.dataset.i) === selected); });
};
VList.prototype.reveal = function (i) {
  var p = this.items.indexOf(i);
  if (p < 0) return;
  var s = this.scroller, y = p * ROW;
  if (y < s.scrollTop + 30 || y + ROW > s.scrollTop + s.clientHeight) s.scrollTop = Math.max(0, y - s.clientHeight / 2);
  this.draw();
};

/* Waterfall */
var wfScroll = document.getElementById('wf-scroll');
var wfBody = document.getElementById('wf-body');
function ticks() {
  var width = view.to - view.from;
  var raw = width / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), stepMs = mag;
  [1, 2, 5, 10].some(function (m) { stepMs = m * mag; return stepMs >= raw; });
  var out = [];
  for (var t = Math.ceil(view.from / stepMs) * stepMs; t <= view.to + width * 1e-4; t += stepMs) out.push(t);
  return out;
}
var grid = el('div', 'grid');
wfBody.appendChild(grid);
function axis() {
  var holder = document.getElementById('wf-ticks');
  holder.textContent = '';
  grid.textContent = '';
  ticks().forEach(function (t) {
    var label = el('span', '', t === 0 ? '0' : (view.from > 0 ? '+' : '') + fmt(t).replace(/\\.0+ /, ' '));
    label.style.left = pct(t) + '%';
    holder.appendChild(label);
    var line = el('div');
    line.style.left = pct(t) + '%';
    grid.appendChild(line);
  });
}
axis();
var unzoom = document.getElementById('unzoom');
function zoom(from, to) {
  view = { from: Math.max(0, from), to: Math.min(span, Math.max(to, from + 0.001)) };
  unzoom.hidden = view.from <= 0 && view.to >= span;
  axis();
  waterfall.set(waterfall.items);
}
unzoom.addEventListener('click', function () { zoom(0, span); });
function makeBar(i) {
  var s = steps[i];
  var row = el('div', 'wf-row' + (i === selected ? ' sel' : ''));
  row.dataset.i = String(i);
  row.title = s.name;
  var label = el('div', 'label');
  label.style.paddingLeft = 22 + s.depth * 16 + 'px';
  if (hasKids.has(i)) {
    var fold = el('span', 'fold', folded.has(i) ? '\u25B8' : '\u25BE');
    fold.title = folded.has(i) ? 'show its steps' : 'hide its steps';
    label.appendChild(fold);
  }
  label.appendChild(el('span', 'mark m-' + s.status, MARK[s.status]));
  label.appendChild(el('span', 'name', s.name));
  var track = el('div', 'track');
  var bar = el('div', 'wbar st-' + s.status + (GROUP[s.kind] ? ' group' : '') + (s.replayed ? ' replayed' : ''));
  bar.style.left = pct(s.start) + '%';
  bar.style.width = Math.max(0, pct(end(s)) - pct(s.start)) + '%';
  if (end(s) < view.from || s.start > view.to) bar.hidden = true;
  track.appendChild(bar);
  var note = el('div', 'note', fmt(s.duration));
  if (s.retries.length > 0) note.appendChild(el('span', 'retry', ' \\u21BB' + s.retries.length));
  if (s.replayed) note.appendChild(el('span', 'replay', ' \\u27F2'));
  row.appendChild(label);
  row.appendChild(track);
  row.appendChild(note);
  return row;
}
var waterfall = new VList(wfScroll, wfBody, makeBar);

/* Table */
var COLS = [
  ['n', '#', 1], ['name', 'Step', 0], ['kind', 'Kind', 0], ['status', 'Status', 0],
  ['start', 'Start', 1], ['duration', 'Duration', 1], ['attempts', 'Attempts', 1], ['replayed', 'Replayed', 0]
];
function cell(s, i, key) {
  switch (key) {
    case 'n': return String(i + 1);
    case 'start': return '+' + fmt(s.start);
    case 'duration': return fmt(s.duration);
    case 'replayed': return s.replayed ? 'yes' : '';
    case 'attempts': return String(s.attempts);
    default: return String(s[key]);
  }
}
function sortValue(i, key) {
  var s = steps[i];
  if (key === 'n') return i;
  if (key === 'duration') return s.duration === null ? Infinity : s.duration;
  if (key === 'replayed') return s.replayed ? 1 : 0;
  if (key === 'name') return s.name.toLowerCase();
  return s[key];
}
function makeRow(i) {
  var s = steps[i];
  var row = el('div', 't-row' + (i === selected ? ' sel' : ''));
  row.dataset.i = String(i);
  row.setAttribute('role', 'row');
  COLS.forEach(function (c) {
    var span = el('span', c[2] ? 'num' : '', cell(s, i, c[0]));
    span.setAttribute('role', 'cell');
    if (c[0] === 'status') span.className = 'm-' + s.status;
    if (c[0] === 'name') span.style.paddingLeft = 10 + s.depth * 12 + 'px';
    row.appendChild(span);
  });
  return row;
}
var head = document.getElementById('t-head');
var buttons = {};
COLS.forEach(function (c) {
  var b = el('button', c[2] ? 'num' : '', c[1]);
  b.type = 'button';
  b.setAttribute('role', 'columnheader');
  b.setAttribute('aria-sort', 'none');
  b.dataset.key = c[0];
  b.addEventListener('click', function () {
    if (sortKey === c[0]) sortDir = -sortDir;
    else { sortKey = c[0]; sortDir = c[0] === 'duration' || c[0] === 'attempts' ? -1 : 1; }
    render();
  });
  buttons[c[0]] = b;
  head.appendChild(b);
});
var table = new VList(document.getElementById('t-scroll'), document.getElementById('t-body'), makeRow);

/* Details */
var detail = document.getElementById('detail');
function dl(pairs) {
  var list = el('dl');
  pairs.forEach(function (p) { list.appendChild(el('dt', '', p[0])); list.appendChild(el('dd', p[2] || '', p[1])); });
  return list;
}
function errorBox(e, title, warn) {
  var box = el('div', 'err' + (warn ? ' warn' : ''));
  if (title) box.appendChild(el('div', 'hint', title));
  var line = el('div');
  line.appendChild(el('span', 'en', e.name));
  if (e.message) line.appendChild(document.createTextNode(': ' + e.message));
  box.appendChild(line);
  if (e.fields.length) box.appendChild(dl(e.fields.map(function (f) { return [f[0], f[1], 'mono']; })));
  if (e.stack) {
    var d = el('details'); d.appendChild(el('summary', 'hint', 'stack'));
    d.appendChild(el('pre', '', e.stack)); box.appendChild(d);
  }
  return box;
}
function showRun() {
  detail.textContent = '';
  detail.appendChild(el('h2', '', 'Run'));
  var failed = steps.filter(function (s) { return s.status !== 'ok'; }).length;
  detail.appendChild(dl([
    ['outcome', data.status + (data.replayed ? ' (from the store)' : '')],
    ['duration', fmt(data.durationMs)],
    ['started', data.startedAt ? new Date(data.startedAt).toISOString() : '\\u2014'],
    ['steps', count(steps.length)],
    ['not ok', String(failed)]
  ]));
  if (data.error) detail.appendChild(errorBox(data.error, 'the run ended with'));
  detail.appendChild(el('p', 'hint', 'Click a step (or use \\u2191 \\u2193) to see its details.'));
}
function showStep(i) {
  var s = steps[i];
  detail.textContent = '';
  var h = el('h2');
  h.appendChild(el('span', 'mark m-' + s.status, MARK[s.status]));
  h.appendChild(el('span', '', s.name));
  detail.appendChild(h);
  var path = [], p = s.parent;
  while (p >= 0) { path.unshift(steps[p].name); p = steps[p].parent; }
  var rows = [
    ['status', s.status], ['kind', s.kind], ['step id', s.id, 'mono'],
    ['starts at', '+' + fmt(s.start)], ['ends at', s.duration === null ? 'still running' : '+' + fmt(s.start + s.duration)],
    ['duration', fmt(s.duration)], ['attempts', String(s.attempts)],
    ['replayed', s.replayed ? 'yes, from the durable store (not run again)' : 'no']
  ];
  if (path.length) rows.splice(2, 0, ['in group', path.join(' \\u203A ')]);
  if (s.timeoutMs !== undefined) rows.push(['time limit', fmt(s.timeoutMs)]);
  detail.appendChild(dl(rows));
  if (s.error) detail.appendChild(errorBox(s.error, 'failed with'));
  if (s.status === 'timeout') detail.appendChild(errorBox({ name: 'TimeoutError', message: 'no result within ' + fmt(s.timeoutMs || 0), fields: [] }, 'timed out', true));
  s.retries.forEach(function (r) {
    detail.appendChild(errorBox(r.error, 'attempt ' + r.attempt + ' failed, retried after ' + fmt(r.delayMs), true));
  });
  var focus = el('button', 'zoom', 'Zoom the waterfall to this step');
  focus.type = 'button';
  focus.addEventListener('click', function () {
    var pad = Math.max((end(s) - s.start) * 0.05, 0.01);
    zoom(s.start - pad, end(s) + pad);
  });
  detail.appendChild(focus);
}
function select(i) {
  selected = i;
  waterfall.mark();
  table.mark();
  if (i < 0) showRun(); else showStep(i);
}
function onPick(ev) {
  var row = ev.target.closest('[data-i]');
  if (!row) return;
  var i = Number(row.dataset.i);
  if (ev.target.closest('.fold')) {
    if (folded.has(i)) folded.delete(i); else folded.add(i);
    render();
    return;
  }
  select(i);
}
var foldAll = document.getElementById('fold-all');
foldAll.hidden = hasKids.size === 0;
foldAll.addEventListener('click', function () {
  if (folded.size > 0) folded.clear(); else hasKids.forEach(function (g) { folded.add(g); });
  render();
});
wfBody.addEventListener('click', onPick);
document.getElementById('t-body').addEventListener('click', onPick);
document.addEventListener('keydown', function (ev) {
  if (ev.target && ev.target.tagName === 'INPUT') return;
  var order = waterfall.items, at = order.indexOf(selected);
  if (ev.key === 'Escape') select(-1);
  else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    if (order.length === 0) return;
    var next = ev.key === 'ArrowDown' ? Math.min(order.length - 1, at + 1) : Math.max(0, at - 1);
    ev.preventDefault();
    select(order[next]);
    waterfall.reveal(order[next]);
    table.reveal(order[next]);
  }
});

/* Filter, sort, draw */
function render() {
  var shown = [];
  for (var i = 0; i < steps.length; i++) if (wanted(steps[i])) shown.push(i);
  var top = waterfall.scroller.scrollTop;
  waterfall.set(folded.size === 0 ? shown : shown.filter(function (i) { return !hiddenByFold(i); }));
  waterfall.scroller.scrollTop = top;
  waterfall.draw();
  foldAll.textContent = folded.size > 0 ? 'Unfold groups' : 'Fold groups';
  var sorted = shown.slice();
  if (sortKey) {
    sorted.sort(function (a, b) {
      var x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      return x < y ? -sortDir : x > y ? sortDir : a - b;
    });
  }
  table.set(sorted);
  Object.keys(buttons).forEach(function (k) {
    var on = k === sortKey;
    buttons[k].setAttribute('aria-sort', on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    buttons[k].textContent = COLS.filter(function (c) { return c[0] === k; })[0][1] + (on ? (sortDir > 0 ? ' \\u25B2' : ' \\u25BC') : '');
  });
  document.getElementById('count').textContent =
    shown.length === steps.length ? count(steps.length) + ' steps' : count(shown.length) + ' of ' + count(steps.length) + ' steps';
}
document.getElementById('filter').addEventListener('input', function (ev) {
  filterText = ev.target.value.trim().toLowerCase();
  render();
});
document.getElementById('problems').addEventListener('change', function (ev) {
  problemsOnly = ev.target.checked;
  render();
});
render();
showRun();
if (steps.length === 0) wfScroll.appendChild(el('div', 'empty', 'This run has no steps.'));
})();
`
