(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("violations-data").textContent);
  var rows = data.rows;
  // Columns are found by name, never by position: the data block lists the names of its
  // columns and each header names its column in data-column, so adding a column moves no other.
  var at = {};
  data.columns.forEach(function (name, index) { at[name] = index; });
  function get(row, name) {
    return Object.prototype.hasOwnProperty.call(at, name) ? row[at[name]] : "";
  }
  var PAGE = 200;
  var RANK = { critical: 5, high: 4, medium: 3, low: 2, info: 1, deny: 3, warn: 2, allow: 1 };
  // Sorted by RANK rather than by text, the most serious first on the first click.
  var RANKED = { decision: true, severity: true };
  var BADGES = { decision: true, severity: true };
  var CLASSES = {
    action: "nowrap", rule: "rule", session: "id", target: "id", owner: "owner", start: "nowrap",
    field: "field", actual: "clamp", expected: "clamp", message: "msg", location: "loc"
  };
  // Shorter text for values whose start or end says little; the cell's title keeps the whole.
  var SHORT = {
    owner: function (value) { return String(value).replace(/^arn:aws[a-z-]*:(iam|sts)::/, ""); },
    start: function (value) { return String(value).replace(/\.\d+Z$/, "Z"); }
  };
  var haystack = rows.map(function (r) { return r.join("\u0001").toLowerCase(); });
  var text = document.getElementById("filter");
  // Each select keeps to the rows whose column of its name has the chosen value, and the
  // choice is kept in the URL's fragment under that name.
  var filters = ["decision", "rule", "severity"].map(function (name) {
    return { name: name, control: document.getElementById("filter-" + name) };
  });
  var count = document.getElementById("count");
  var more = document.getElementById("more");
  var body = document.querySelector("#violations tbody");
  var headers = document.querySelectorAll("#violations th");
  var columns = Array.prototype.map.call(headers, function (th) { return th.dataset.column; });
  var sortBy = null, sortDir = 1, limit = PAGE;

  // The location is the one column that the data holds as two.
  function value(row, name) {
    if (name === "location") { return get(row, "source") + ":" + get(row, "line"); }
    return get(row, name);
  }
  function key(row, name) {
    if (RANKED[name]) { return RANK[get(row, name)] || 0; }
    if (name === "location") {
      return get(row, "source") + ":" + String(get(row, "line")).padStart(12, "0");
    }
    return get(row, name);
  }
  function compare(a, b) {
    var x = key(rows[a], sortBy), y = key(rows[b], sortBy);
    if (x < y) { return -sortDir; }
    if (x > y) { return sortDir; }
    return a - b;
  }
  function cell(tr, name, value, shown) {
    var td = document.createElement("td");
    var kind = CLASSES[name] || "";
    if (kind) { td.className = kind; }
    var display = shown === undefined ? String(value) : shown;
    if (kind === "clamp") {
      var div = document.createElement("div");
      div.textContent = display;
      td.appendChild(div);
    } else {
      td.textContent = display;
    }
    if (display !== String(value) || kind === "clamp") { td.title = String(value); }
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
    var chosen = filters.filter(function (f) { return f.control.value; });
    var shown = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (chosen.some(function (f) { return get(row, f.name) !== f.control.value; })) { continue; }
      if (q && haystack[i].indexOf(q) < 0) { continue; }
      shown.push(i);
    }
    if (sortBy !== null) { shown.sort(compare); }
    var fragment = document.createDocumentFragment();
    shown.slice(0, limit).forEach(function (index) {
      var row = rows[index];
      var tr = document.createElement("tr");
      tr.dataset.decision = get(row, "decision");
      tr.dataset.rule = get(row, "rule");
      columns.forEach(function (name) {
        var full = value(row, name);
        if (BADGES[name]) {
          badge(tr, full);
        } else {
          cell(tr, name, full, SHORT[name] ? SHORT[name](full) : undefined);
        }
      });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    count.textContent = "showing " + Math.min(limit, shown.length) + " of " + shown.length +
      " matching (" + rows.length + " in all)";
    count.dataset.matching = shown.length;
    more.hidden = shown.length <= limit;
    var state = new URLSearchParams();
    if (text.value) { state.set("q", text.value); }
    chosen.forEach(function (f) { state.set(f.name, f.control.value); });
    var hash = state.toString();
    if (("#" + hash) !== location.hash && !(hash === "" && location.hash === "")) {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }
  function restore() {
    var state = new URLSearchParams(location.hash.replace(/^#/, ""));
    text.value = state.get("q") || "";
    filters.forEach(function (f) { f.control.value = state.get(f.name) || ""; });
  }
  headers.forEach(function (th) {
    th.addEventListener("click", function () {
      var name = th.dataset.column;
      sortDir = name === sortBy ? -sortDir : (RANKED[name] ? -1 : 1);
      sortBy = name;
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
  });
  [text].concat(filters.map(function (f) { return f.control; })).forEach(function (control) {
    control.addEventListener("input", function () { limit = PAGE; render(); });
  });
  more.addEventListener("click", function () { limit += PAGE; render(); });
  window.addEventListener("hashchange", function () { restore(); render(); });
  restore();
  render();
})();
