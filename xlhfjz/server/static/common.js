/* Shared by the two pages: the session (token → HttpOnly cookie), requests, safe DOM building.
   Plain ES2017, no framework. Data from a workbook is only ever put in the page as text
   (textContent), never as HTML. */
"use strict";

var XL = (function () {
  var NETWORK = "无法连接街道服务器，请检查网络后重试；仍不行请联系街道处非办。";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = String(v);
        else if (k === "className") node.className = v;
        else node.setAttribute(k, String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(box, kind, text) {
    box.className = "message " + kind;
    box.textContent = text;
    box.hidden = !text;
  }

  /* fetch → {ok, status, data | blob, error}: never throws, errors are Chinese sentences. */
  async function request(method, url, body, wantBlob) {
    var response;
    try {
      response = await fetch(url, { method: method, body: body, credentials: "same-origin",
        headers: typeof body === "string" ? { "Content-Type": "application/json" } : {} });
    } catch (e) {
      return { ok: false, status: 0, error: NETWORK };
    }
    if (response.ok && wantBlob) {
      return { ok: true, status: response.status, blob: await response.blob(),
               name: fileName(response.headers.get("Content-Disposition")) };
    }
    var data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.ok) return { ok: true, status: response.status, data: data };
    var error = data && typeof data.error === "string" ? data.error
      : "服务器没有完成这个请求（代码 " + response.status + "），请稍后再试。";
    return { ok: false, status: response.status, error: error };
  }

  function fileName(disposition) {
    var m = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
    if (m) { try { return decodeURIComponent(m[1]); } catch (e) { /* fall through */ } }
    m = /filename="([^"]+)"/i.exec(disposition || "");
    return m ? m[1] : "下载.xlsx";
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el("a", { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  /* The token form: shown when there is no session; calls done(session) once signed in. */
  function session(wantRole, done) {
    var form = document.getElementById("login");
    var input = document.getElementById("token");
    var box = document.getElementById("login-message");
    var out = document.getElementById("logout");
    out.addEventListener("click", async function () {
      await request("DELETE", "/api/session");
      location.reload();
    });
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var token = input.value.trim();
      if (!token) { show(box, "error", "请先输入令牌。"); return; }
      show(box, "info", "正在核对令牌……");
      var r = await request("POST", "/api/session", JSON.stringify({ token: token }));
      input.value = "";
      if (!r.ok) { show(box, "error", r.error); return; }
      begin(r.data);
    });

    function begin(s) {
      if (wantRole === "office" && s.role !== "office") {
        form.hidden = false;
        show(box, "error", "这是社区的令牌。街道看板需要街道处非办的令牌；社区请打开首页校验台账。");
        return;
      }
      form.hidden = true;
      show(box, "info", "");
      out.hidden = false;
      done(s);
    }

    request("GET", "/api/session").then(function (r) {
      if (r.ok) begin(r.data);
      else {
        form.hidden = false;
        if (r.status !== 401) show(box, "error", r.error);
        input.focus();
      }
    });
  }

  function fixed(x, digits) {
    return x === null || x === undefined ? "—" : Number(x).toFixed(digits === undefined ? 1 : digits);
  }

  function when(text) {
    return text ? String(text).replace("T", " ").slice(0, 19) : "—";
  }

  return { el: el, clear: clear, show: show, request: request, save: save, session: session,
           fixed: fixed, when: when };
})();
