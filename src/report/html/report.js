(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("violations-data").textContent);
  var rows = data.rows;
  var PAGE = 200;
  var RANK = { critical: 5, high: 4, medium: 3, low: 2, info: 1, deny: 3, warn: 2, allow: 1 };
  var haystack = rows.map(function (r) { return r.join("\u0001").toLowerCase(); });
  var text = document.getElementById("filter");
  var decision = document.getElementById("filter-decision");
  var rule = document.getElementById("filter-rule");
  var severity = document.getElementById("filter-severity");
  var count = document.getElementById("count");
  var more = document.getElementById("more");
  var body = document.querySelector("#violations tbody");
  var headers = document.querySelectorAll("#violations th");
  var sortCol = -1, sortDir = 1, limit = PAGE;

  function key(row, col) {
    if (col === 0 || col === 1) { return RANK[row[col]] || 0; }
    if (col === 12) { return row[12] + ":" + String(row[13]).padStart(12, "0"); }
    return row[col];
  }
  function compare(a, b) {
    var x = key(rows[a], sortCol), y = key(rows[b], sortCol);
    if (x < y) { return -sortDir; }
    if (x > y) { return sortDir; }
    return a - b;
  }
  var CLASSES = ["", "", "nowrap", "rule", "id", "id", "owner", "nowrap", "field", "clamp", "clamp", "msg", "loc"];
  function cell(tr, col, value, shown) {
    var td = document.createElement("td");
    td.className = CLASSES[col];
    var text = shown === undefined ? String(value) : shown;
    if (CLASSES[col] === "clamp") {
      var div = document.createElement("div");
      div.textContent = text;
      td.appendChild(div);
    } else {
      td.textContent = text;
    }
    if (text !== String(value) || CLASSES[col] === "clamp") { td.title = String(value); }
    tr.appendChild(td);
  }
  function badge(tr, value) {
    var td = document.createElement("td");
    var span = document.createElement("span");
    span.className = "badge " + value;
    span.textContent = value;
    td.appendChild(span);
    tr.appendChild(td);
  }
  function render() {
    var q = text.value.trim().toLowerCase();
    var d = decision.value, r = rule.value, s = severity.value;
    var shown = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (d && row[0] !== d) { continue; }
      if (r && row[3] !== r) { continue; }
      if (s && row[1] !== s) { continue; }
      if (q && haystack[i].indexOf(q) < 0) { continue; }
      shown.push(i);
    }
    if (sortCol >= 0) { shown.sort(compare); }
    var fragment = document.createDocumentFragment();
    shown.slice(0, limit).forEach(function (index) {
      var row = rows[index];
      var tr = document.createElement("tr");
      tr.dataset.decision = row[0];
      tr.dataset.rule = row[3];
      badge(tr, row[0]);
      badge(tr, row[1]);
      for (var c = 2; c <= 11; c++) {
        var shown = undefined;
        if (c === 6) { shown = String(row[6]).replace(/^arn:aws[a-z-]*:(iam|sts)::/, ""); }
        if (c === 7) { shown = String(row[7]).replace(/\.\d+Z$/, "Z"); }
        cell(tr, c, row[c], shown);
      }
      cell(tr, 12, row[12] + ":" + row[13]);
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    count.textContent = "showing " + Math.min(limit, shown.length) + " of " + shown.length +
      " matching (" + rows.length + " in all)";
    count.dataset.matching = shown.length;
    more.hidden = shown.length <= limit;
    var state = new URLSearchParams();
    if (text.value) { state.set("q", text.value); }
    if (d) { state.set("decision", d); }
    if (r) { state.set("rule", r); }
    if (s) { state.set("severity", s); }
    var hash = state.toString();
    if (("#" + hash) !== location.hash && !(hash === "" && location.hash === "")) {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }
  function restore() {
    var state = new URLSearchParams(location.hash.replace(/^#/, ""));
    text.value = state.get("q") || "";
    decision.value = state.get("decision") || "";
    rule.value = state.get("rule") || "";
    severity.value = state.get("severity") || "";
  }
  headers.forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.dataset.col);
      sortDir = col === sortCol ? -sortDir : (col <= 1 ? -1 : 1);
      sortCol = col;
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
  });
  [text, decision, rule, severity].forEach(function (control) {
    control.addEventListener("input", function () { limit = PAGE; render(); });
  });
  more.addEventListener("click", function () { limit += PAGE; render(); });
  window.addEventListener("hashchange", function () { restore(); render(); });
  restore();
  render();
})();
