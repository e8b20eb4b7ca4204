/* The community page: choose a workbook → its issues and score at once; download it marked;
   submit it; this community's submissions. Workbook data is put in the page as text only. */
"use strict";

(function () {
  var el = XL.el, $ = function (id) { return document.getElementById(id); };
  var SEVERITY = { error: "错误", warning: "提醒" };
  var PASSED = ["创建成功", "创建成功（优秀）"];
  var current = null;   // the chosen File
  var rubric = null;
  var busy = false;
  var run = 0;          // the latest check; an older answer arriving late is ignored

  XL.session("community", function (s) {
    rubric = s.rubric;
    $("who").textContent = (s.community_name || "") + (s.community_code ? "（" + s.community_code + "）" : "")
      + (s.role === "office" ? "街道处非办" : "");
    $("app").hidden = false;
    loadSubmissions();
  });

  var drop = $("drop"), input = $("file");
  input.addEventListener("change", function () { if (input.files.length) choose(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (t) {
    drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (ev) {
    var files = ev.dataTransfer && ev.dataTransfer.files;
    if (files && files.length) choose(files[0]);
  });
  $("download").addEventListener("click", download);
  $("submit").addEventListener("click", submit);

  function form() {
    var data = new FormData();
    data.append("file", current, current.name);
    return data;
  }

  async function choose(file) {
    var status = $("status");
    $("result").hidden = true; $("issues-card").hidden = true; $("score-card").hidden = true;
    XL.show($("action-message"), "info", "");
    if (!/\.(xlsx|xlsm)$/i.test(file.name)) {
      XL.show(status, "error", "“" + file.name + "”不是 Excel 工作簿。请选择 .xlsx 或 .xlsm 文件；"
        + "WPS 或旧版 Excel（.xls、.et）的文件请先“另存为”.xlsx。");
      current = null;
      return;
    }
    current = file;
    var mine = ++run;
    XL.show(status, "info", "正在校验“" + file.name + "”……大的台账可能需要半分钟，请稍候。");
    var answers = await Promise.all([
      XL.request("POST", "/api/validate", form()),
      XL.request("POST", "/api/score", form()),
    ]);
    if (mine !== run) return;
    input.value = "";
    var failed = answers.filter(function (a) { return !a.ok; })[0];
    if (failed) { XL.show(status, "error", failed.error); return; }
    var report = answers[0].data.files[0], card = answers[1].data.files[0];
    XL.show(status, "ok", "已校验“" + file.name + "”" + (report.community_name ? "（" + report.community_name + "）" : "")
      + "：共检查 " + sum(report.rows) + " 行。"
      + (report.counts.error ? "有错误的行不计分，请按下面的“发现的问题”改正。" : ""));
    showResult(file.name, report, card);
  }

  function sum(rows) {
    var n = 0;
    Object.keys(rows || {}).forEach(function (k) { n += rows[k] || 0; });
    return n;
  }

  function showResult(name, report, card) {
    $("filename").textContent = "（" + name + "）";
    $("count-errors").textContent = report.counts.error;
    $("count-warnings").textContent = report.counts.warning;
    $("score-total").textContent = XL.fixed(card.total);
    var result = $("score-result");
    result.textContent = card.result;
    var passed = PASSED.indexOf(card.result) >= 0;
    result.className = "result " + (passed ? "pass" : "fail");
    $("score-total").parentNode.className = "count " + (passed ? "good" : "error");
    $("result").hidden = false;
    showIssues(report.issues);
    showScore(card);
  }

  /* Rows are added in slices between frames, so thousands of issues never freeze the page. */
  function showIssues(issues) {
    var body = $("issues").tBodies[0];
    XL.clear(body);
    var order = {};
    order["整个文件"] = -1;
    rubric.sheets.forEach(function (name, k) { order[name] = k; });
    issues.forEach(function (i) {
      var key = i.sheet || "整个文件";
      if (!(key in order)) order[key] = 1000 + Object.keys(order).length;
    });
    var sorted = issues.slice().sort(function (a, b) {
      return order[a.sheet || "整个文件"] - order[b.sheet || "整个文件"] || (a.row || 0) - (b.row || 0);
    });
    $("issues-card").hidden = false;
    $("issues-note").textContent = sorted.length ? "共 " + sorted.length + " 条，红色为错误，黄色为提醒"
      : "没有发现问题，可以提交到街道";
    var mine = run, k = 0;
    (function slice() {
      if (mine !== run) return;
      var frag = document.createDocumentFragment();
      for (var end = Math.min(k + 400, sorted.length); k < end; k++) {
        var i = sorted[k];
        frag.appendChild(el("tr", { "data-code": i.code, className: i.severity === "error" ? "E" : "W" }, [
          el("td", { text: i.sheet || "整个文件" }),
          el("td", { className: "num", text: i.row ? "第" + i.row + "行" : "—" }),
          el("td", { text: i.column || "—" }),
          el("td", { className: "level", text: SEVERITY[i.severity] || i.severity }),
          el("td", { text: i.message }),
        ]));
      }
      body.appendChild(frag);
      if (k < sorted.length) setTimeout(slice, 0);
    })();
  }

  function showScore(card) {
    var body = $("score").tBodies[0];
    XL.clear(body);
    var reasons = (card.reasons || []).slice();
    if (card.vetoes && card.vetoes.length) {
      reasons.push("一票否决：" + card.vetoes.map(function (v) { return v + " " + (rubric.vetoes[v] || ""); }).join("；"));
    }
    Object.keys(card.gates || {}).forEach(function (g) {
      if (!card.gates[g]) reasons.push("基本条件 " + g + " 未满足：" + (rubric.gates[g] || ""));
    });
    $("score-reasons").textContent = reasons.join("；");
    rubric.items.forEach(function (item) {
      var got = card.items[item[0]];
      if (!got) return;
      var full = got.score >= got.max - 1e-9;
      body.appendChild(el("tr", { "data-item": item[0] }, [
        el("td", { text: item[0] }),
        el("td", { text: item[1] }),
        el("td", { className: "num", text: XL.fixed(got.score) }),
        el("td", { className: "num", text: got.max }),
        el("td", { text: full ? "已满分" : (got.missing || "—") }),
      ]));
    });
    body.appendChild(el("tr", { "data-item": "total" }, [
      el("th", { text: "合计" }), el("th", { text: card.result }),
      el("th", { className: "num", text: XL.fixed(card.total) }), el("th", { className: "num", text: "100" }),
      el("th", { text: "" }),
    ]));
    $("score-card").hidden = false;
  }

  async function download() {
    if (!current || busy) return;
    busy = true;
    var box = $("action-message");
    XL.show(box, "info", "正在生成标注后的台账……");
    var r = await XL.request("POST", "/api/marked", form(), true);
    busy = false;
    if (!r.ok) { XL.show(box, "error", r.error); return; }
    XL.save(r.blob, r.name);
    XL.show(box, "ok", "已下载“" + r.name + "”。请在 Excel 或 WPS 中打开它，按标红、标黄的单元格修改。");
  }

  async function submit() {
    if (!current || busy) return;
    busy = true;
    var box = $("action-message");
    XL.show(box, "info", "正在提交到街道……");
    var r = await XL.request("POST", "/api/submissions", form());
    busy = false;
    if (!r.ok) { XL.show(box, "error", r.error); return; }
    var s = r.data;
    var text = "提交成功：" + XL.when(s.received_at) + "，创建结果：" + s.result + "，总分 " + XL.fixed(s.total)
      + " 分，错误 " + s.errors + " 个、提醒 " + s.warnings + " 个。";
    if (s.errors) text += "有错误的行不计分，改正后可以再次提交，街道以最后一次为准。";
    XL.show(box, "ok", text);
    loadSubmissions();
  }

  async function loadSubmissions() {
    var r = await XL.request("GET", "/api/submissions");
    var body = $("submissions").tBodies[0];
    XL.clear(body);
    if (!r.ok) { $("no-submissions").hidden = false; $("no-submissions").textContent = r.error; return; }
    var subs = r.data.submissions;
    $("no-submissions").hidden = subs.length > 0;
    subs.slice(0, 50).forEach(function (s) {
      body.appendChild(el("tr", { "data-id": s.id }, [
        el("td", { className: "nowrap", text: XL.when(s.received_at) }),
        el("td", { text: s.result }),
        el("td", { className: "num", text: XL.fixed(s.total) }),
        el("td", { className: "num", text: s.errors }),
        el("td", { className: "num", text: s.warnings }),
      ]));
    });
  }
})();
