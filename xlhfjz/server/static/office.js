/* The office page: the street's dashboard (the model of xlhfjz.office.dashboard, as the summary's
   汇总看板 shows it), refreshed by polling /api/board. Workbook data is put in the page as text
   only; ECharts draws the charts from the server's own copy. */
"use strict";

(function () {
  var el = XL.el, $ = function (id) { return document.getElementById(id); };
  var POLL = 5000;
  var PASSED = ["创建成功", "创建成功（优秀）"];
  var shown = null;       // what the page shows now (version + last submissions)
  var charts = {};

  XL.session("office", function () {
    $("app").hidden = false;
    charts.results = echarts.init($("chart-results"));
    charts.scores = echarts.init($("chart-scores"));
    window.addEventListener("resize", function () { charts.results.resize(); charts.scores.resize(); });
    refresh();
  });

  async function refresh() {
    var r = await XL.request("GET", "/api/board");
    if (!r.ok) {
      XL.show($("board-message"), "error", r.error);
    } else {
      XL.show($("board-message"), "info", "");
      var key = r.data.version + JSON.stringify(r.data.last_submitted);
      if (key !== shown) { render(r.data); shown = key; }
      $("updated").textContent = "数据更新于 " + r.data.board.generated.slice(11, 16) + "，每 5 秒自动刷新";
    }
    setTimeout(refresh, POLL);
  }

  function render(doc) {
    var b = doc.board, t = b.target, last = doc.last_submitted || {};
    $("title").textContent = b.title;
    document.title = b.title;
    var progress = {};
    b.progress.forEach(function (p) { progress[p[0]] = p[1]; });
    $("kpi-n").textContent = t.n;
    $("kpi-submitted").textContent = progress["已提交"] === undefined ? "—" : progress["已提交"];
    $("kpi-passed").textContent = t.passed;
    $("kpi-required").textContent = t.required;
    $("kpi-rate").textContent = (t.rate * 100).toFixed(1) + "%";
    $("kpi-gap").textContent = t.gap;
    $("kpi-gap").parentNode.className = "kpi " + (t.gap ? "bad" : "good");
    $("sentence").textContent = "完成率：" + t.sentence + "。达标线 " + b.pass_line + " 分。";

    var body = $("communities").tBodies[0];
    XL.clear(body);
    b.communities.forEach(function (c) {
      var cls = PASSED.indexOf(c.status) >= 0 ? "status-ok" : (c.status === "未提交" ? "status-none" : "status-bad");
      body.appendChild(el("tr", { "data-code": c.code }, [
        el("td", { className: "nowrap", text: c.code }),
        el("td", { text: c.name || "—" }),
        el("td", { className: cls, text: c.status }),
        el("td", { className: "num", text: XL.fixed(c.total) }),
        el("td", { className: "num", text: c.errors === null ? "—" : c.errors }),
        el("td", { className: "num", text: c.warnings === null ? "—" : c.warnings }),
        el("td", { className: "nowrap", text: XL.when(last[c.code]) }),
      ]));
    });

    var cand = $("candidates").tBodies[0];
    XL.clear(cand);
    b.candidates.slice(0, 10).forEach(function (c) {
      cand.appendChild(el("tr", { "data-code": c.code }, [
        el("td", { text: c.name || c.code }),
        el("td", { className: "num", text: XL.fixed(c.total) }),
        el("td", { className: "num", text: XL.fixed(c.short_by) }),
        el("td", { text: c.shortfalls || "—" }),
      ]));
    });
    if (!b.candidates.length) cand.appendChild(el("tr", {}, [el("td", { colspan: 4, text: "（无）" })]));

    list($("not-submitted"), b.not_submitted.map(function (n) { return (n[1] || "") + "（" + n[0] + "）"; }));
    list($("problems"), b.problems.map(function (p) {
      return p.file + "：" + p.outcome + (p.reason ? "，" + p.reason : "");
    }));

    charts.results.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 20, bottom: 60 },
      tooltip: {},
      xAxis: { type: "category", data: b.counts.map(function (c) { return c[0]; }),
               axisLabel: { interval: 0, rotate: 20, fontSize: 13 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: b.counts.map(function (c) { return c[1]; }),
                 barMaxWidth: 48, label: { show: true, position: "top" }, itemStyle: { color: "#1d4e89" } }],
    }, true);
    charts.scores.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 20, bottom: 70 },
      tooltip: {},
      xAxis: { type: "category", data: b.scores.map(function (s) { return s[0]; }),
               axisLabel: { interval: 0, rotate: 30, fontSize: 12 } },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{
        type: "bar",
        barMaxWidth: 48,
        label: { show: true, position: "top", formatter: function (p) { return p.value.toFixed(1); } },
        data: b.scores.map(function (s) {
          return { value: Number(s[1].toFixed(1)), itemStyle: { color: s[1] >= b.pass_line ? "#1a7f37" : "#d4a72c" } };
        }),
        markLine: { symbol: "none", silent: true, lineStyle: { color: "#cf222e", width: 2, type: "solid" },
                    label: { position: "insideEndTop", formatter: "达标线 " + b.pass_line }, data: [{ yAxis: b.pass_line }] },
      }],
    }, true);
  }

  function list(ul, items) {
    XL.clear(ul);
    if (!items.length) items = ["（无）"];
    items.forEach(function (text) { ul.appendChild(el("li", { text: text })); });
  }
})();
