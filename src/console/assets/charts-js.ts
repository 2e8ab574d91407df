/**
 * The page's script, part 3: line charts as inline SVG built with createElementNS (names in <text>
 * nodes are text, like everything else). X is time over the last hour of samples, Y starts at 0.
 */
export const CHARTS_JS = String.raw`
(function () {
  var C = window.Console, NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#1f5fbf', '#e07b00', '#12805c', '#b42318', '#6941c6'];
  var W = 640, H = 220, L = 56, R = 14, T = 28, B = 30, HOUR = 3600e3;

  function s(tag, attrs, text) {
    var el = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) el.textContent = String(text);
    return el;
  }
  function nice(max) {
    if (max <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(max))), m = max / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function hm(ms) { var d = new Date(ms); return (d.getHours() < 10 ? '0' : '') + d.getHours() + ':' + (d.getMinutes() < 10 ? '0' : '') + d.getMinutes() + ':' + (d.getSeconds() < 10 ? '0' : '') + d.getSeconds(); }

  /** series: [{name, points: [[timeMs, value], ...]}]. */
  C.chart = function (title, series, cls) {
    var all = [];
    series.forEach(function (x) { all = all.concat(x.points); });
    var now = Date.now();
    var t1 = all.length ? Math.max(now, all[all.length - 1][0]) : now;
    var t0 = all.length ? Math.max(t1 - HOUR, Math.min.apply(null, all.map(function (p) { return p[0]; }))) : t1 - HOUR;
    // A young console fills its first minute from the left, as a recorder would.
    if (t1 - t0 < 60e3) t1 = t0 + 60e3;
    var ymax = nice(Math.max.apply(null, [0].concat(all.map(function (p) { return p[1]; }))));
    var x = function (t) { return L + (t - t0) / (t1 - t0) * (W - L - R); };
    var y = function (v) { return H - B - v / ymax * (H - T - B); };
    var svg = s('svg', { class: 'chart ' + (cls || ''), viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'data-points': all.length });
    svg.appendChild(s('title', null, title));
    svg.appendChild(s('text', { x: L, y: 16, 'font-weight': 600 }, title));
    for (var i = 0; i <= 4; i++) {
      var v = ymax * i / 4, yy = y(v);
      svg.appendChild(s('line', { class: 'grid', x1: L, x2: W - R, y1: yy, y2: yy }));
      svg.appendChild(s('text', { x: L - 6, y: yy + 4, 'text-anchor': 'end' }, C.fmt(v)));
    }
    for (var j = 0; j <= 3; j++) {
      var t = t0 + (t1 - t0) * j / 3;
      svg.appendChild(s('text', { x: x(t), y: H - 10, 'text-anchor': j === 0 ? 'start' : j === 3 ? 'end' : 'middle' }, hm(t)));
    }
    svg.appendChild(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.appendChild(s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    series.forEach(function (ser, k) {
      var color = COLORS[k % COLORS.length];
      var pts = ser.points.filter(function (p) { return p[0] >= t0; });
      if (pts.length > 1) {
        svg.appendChild(s('polyline', { fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round', class: 'series',
          points: pts.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ') }));
      }
      pts.forEach(function (p) { if (pts.length <= 30) svg.appendChild(s('circle', { cx: x(p[0]), cy: y(p[1]), r: 2.5, fill: color })); });
    });
    if (all.length === 0) svg.appendChild(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no samples yet'));
    var legend = C.h('div', { class: 'legend' }, series.map(function (ser, k) {
      var last = ser.points.length ? ser.points[ser.points.length - 1][1] : undefined;
      var dot = C.h('i');
      dot.style.background = COLORS[k % COLORS.length];
      return C.h('span', null, dot, ser.name + (last === undefined ? '' : ': ' + C.fmt(last)));
    }));
    return C.h('div', null, svg, legend);
  };
})();
`;
