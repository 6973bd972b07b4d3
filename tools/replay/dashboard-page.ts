/**
 * The replay dashboard page's style and script (`dashboard.ts` writes them
 * inline: the page loads nothing). The script reads the widgets from the
 * page's JSON, places them on CloudWatch's 24-column grid and draws each:
 * a metric widget as an SVG line chart with its legend and annotations, the
 * alarm widget as a list of states, a Logs Insights widget as a table. Each
 * widget element gets `data-rendered`: how many series, alarms or rows it drew.
 */

export const PAGE_STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; background: #f2f3f3; color: #16191f; }
h1 { font-size: 18px; margin: 0 0 4px; } .facts { margin: 0 0 12px; color: #545b64; font-size: 13px; }
#grid { display: grid; grid-template-columns: repeat(24, 1fr); grid-auto-rows: 48px; gap: 8px; }
.widget { background: #fff; border: 1px solid #d5dbdb; padding: 6px 8px; overflow: hidden; display: flex; flex-direction: column; }
.widget h2 { font-size: 12px; margin: 0 0 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; flex-shrink: 0; }
.rows { overflow: auto; flex: 1; min-height: 0; }
.widget svg { flex: 1; min-height: 0; width: 100%; }
.legend { font-size: 9px; line-height: 1.25; max-height: 34%; overflow: hidden; }
.legend span { display: inline-block; margin-right: 6px; } .legend i { display: inline-block; width: 8px; height: 8px; margin-right: 2px; }
.legend .none { color: #879596; }
.alarms { list-style: none; margin: 0; padding: 0; font-size: 11px; overflow: auto; }
.alarms li { margin: 2px 0; } .state { display: inline-block; width: 118px; font-weight: bold; }
.ALARM { color: #d13212; } .OK { color: #1d8102; } .INSUFFICIENT_DATA { color: #879596; }
table { border-collapse: collapse; font-size: 10px; width: 100%; } td, th { border-bottom: 1px solid #eaeded; padding: 2px 4px; text-align: left; }
.empty { color: #879596; font-size: 11px; }
`;

/** Runs in the browser: no imports, plain DOM. */
export const PAGE_SCRIPT = `
(function () {
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("data").textContent);
  var grid = document.getElementById("grid");
  function el(tag, attrs, text, ns) {
    var e = ns ? document.createElementNS(NS, tag) : document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function chart(w, box) {
    var W = 400, H = 160, L = 34, B = 14;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none" }, undefined, true);
    var drawn = (w.series || []).filter(function (s) { return s.points.length > 0; });
    var xs = [], ys = [];
    drawn.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    (w.annotations || []).forEach(function (a) { ys.push(a.value); });
    var xMax = Math.max(1, Math.max.apply(null, xs.concat([0]))), yMax = Math.max(1, Math.max.apply(null, ys.concat([0])) * 1.1);
    var x = function (v) { return L + (v / xMax) * (W - L - 4); }, y = function (v) { return H - B - (v / yMax) * (H - B - 4); };
    svg.appendChild(el("line", { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: "#aab7b8" }, undefined, true));
    svg.appendChild(el("text", { x: 2, y: 10, "font-size": 9 }, String(+yMax.toPrecision(3)), true));
    svg.appendChild(el("text", { x: W - 40, y: H - 2, "font-size": 9 }, xMax.toFixed(0) + " s", true));
    (w.annotations || []).forEach(function (a) {
      svg.appendChild(el("line", { x1: L, x2: W - 4, y1: y(a.value), y2: y(a.value), stroke: "#d13212", "stroke-dasharray": "4 3" }, undefined, true));
    });
    drawn.forEach(function (s, i) {
      var d = s.points.map(function (p, j) { return (j ? "L" : "M") + x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ");
      svg.appendChild(el("path", { d: d, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 1.5, "class": "series" }, undefined, true));
    });
    box.appendChild(svg);
    var legend = el("div", { "class": "legend" });
    drawn.forEach(function (s, i) {
      var item = el("span"); var swatch = el("i"); swatch.style.background = COLORS[i % COLORS.length];
      item.appendChild(swatch); item.appendChild(document.createTextNode(s.label)); legend.appendChild(item);
    });
    (w.annotations || []).forEach(function (a) { legend.appendChild(el("span", {}, "--- " + a.label + " " + a.value)); });
    (w.unmeasured || []).forEach(function (label) { legend.appendChild(el("span", { "class": "none" }, label + ": no replay figure")); });
    box.appendChild(legend);
    return drawn.length;
  }
  function alarms(w, box) {
    var list = el("ul", { "class": "alarms" });
    (w.alarms || []).forEach(function (a) {
      var li = el("li", { title: a.why }); li.appendChild(el("span", { "class": "state " + a.state }, a.state));
      li.appendChild(document.createTextNode(a.name)); list.appendChild(li);
    });
    box.appendChild(list);
    return (w.alarms || []).length;
  }
  function table(w, box) {
    if (!w.rows || w.rows.length === 0) { box.appendChild(el("p", { "class": "empty" }, "no matching log lines in the replay")); return 0; }
    var wrap = el("div", { "class": "rows" }), t = el("table"), head = el("tr");
    w.columns.forEach(function (c) { head.appendChild(el("th", {}, c)); });
    t.appendChild(head);
    w.rows.forEach(function (r) { var tr = el("tr"); r.forEach(function (v) { tr.appendChild(el("td", {}, v)); }); t.appendChild(tr); });
    wrap.appendChild(t);
    box.appendChild(wrap);
    return w.rows.length;
  }
  data.widgets.forEach(function (w) {
    var box = el("section", { "class": "widget", "data-type": w.type });
    box.style.gridColumn = (w.x + 1) + " / span " + w.width;
    box.style.gridRow = (w.y + 1) + " / span " + w.height;
    box.appendChild(el("h2", {}, w.title));
    var n = w.type === "alarm" ? alarms(w, box) : w.type === "log" ? table(w, box) : chart(w, box);
    box.setAttribute("data-rendered", String(n));
    grid.appendChild(box);
  });
  document.body.setAttribute("data-widgets", String(data.widgets.length));
})();
`;
