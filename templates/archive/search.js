/* Static search for the archive: reads search/docs.json and the shards of the query's words.
   Stems words exactly as the builder did (the endings come from docs.json), matches every
   indexed stem that starts with a query stem, and shows the issues containing all words.
   No external requests; the index is loaded on demand from this site. */
(function () {
  "use strict";
  var root = new URL("../", document.currentScript.src);
  var WORD = /[\p{L}\p{N}]+/gu;
  var metaPromise = null;
  var shardCache = {};

  function getJSON(path) {
    return fetch(new URL(path, root)).then(function (r) {
      if (r.status === 404) { return {}; }
      if (!r.ok) { throw new Error(r.status + " " + path); }
      return r.json();
    });
  }
  function meta() {
    if (!metaPromise) { metaPromise = getJSON("search/docs.json"); }
    return metaPromise;
  }
  function stem(word, m) {
    word = word.toLowerCase().replace(/ё/g, "е");
    for (var i = 0; i < m.endings.length; i++) {
      var e = m.endings[i];
      if (word.length - e.length >= m.min_stem && word.slice(-e.length) === e) {
        return word.slice(0, word.length - e.length);
      }
    }
    return word;
  }
  function shardName(term) {
    return Array.from(term).slice(0, 2).map(function (c) {
      return c.codePointAt(0).toString(16);
    }).join("-");
  }
  function shard(name) {
    if (!shardCache[name]) { shardCache[name] = getJSON("search/" + name + ".json"); }
    return shardCache[name];
  }
  function matches(term) {
    return shard(shardName(term)).then(function (postings) {
      var found = new Set();
      Object.keys(postings).forEach(function (indexed) {
        if (indexed.indexOf(term) === 0) {
          var total = 0;
          postings[indexed].forEach(function (gap) { total += gap; found.add(total); });
        }
      });
      return found;
    });
  }
  function search(text) {
    return meta().then(function (m) {
      var terms = (text.match(WORD) || []).map(function (w) { return stem(w, m); })
        .filter(function (t) { return Array.from(t).length >= m.min_term; });
      if (!terms.length) { return { meta: m, ids: [] }; }
      return Promise.all(terms.map(matches)).then(function (sets) {
        var ids = Array.from(sets[0]).filter(function (id) {
          return sets.every(function (s) { return s.has(id); });
        }).sort(function (a, b) { return a - b; });
        return { meta: m, ids: ids };
      });
    });
  }
  function show(query) {
    var list = document.getElementById("search-results");
    var status = document.getElementById("search-status");
    list.textContent = "";
    if (!query.trim()) { status.textContent = ""; return; }
    search(query).then(function (result) {
      result.ids.slice(0, 200).forEach(function (id) {
        var doc = result.meta.docs[id];
        var li = document.createElement("li");
        li.className = "issue-item";
        var h = document.createElement("h2");
        h.className = "issue-item-title";
        var a = document.createElement("a");
        a.href = new URL(doc[1], root).href;
        a.textContent = doc[0];
        h.appendChild(a);
        var p = document.createElement("p");
        p.className = "issue-item-meta";
        p.textContent = doc[2] + " · " + doc[3];
        li.appendChild(h);
        li.appendChild(p);
        list.appendChild(li);
      });
      status.textContent = result.ids.length
        ? status.getAttribute("data-found") + " " + result.ids.length
        : status.getAttribute("data-nothing");
    }).catch(function (error) {
      status.textContent = String(error);
    });
  }
  var input = document.getElementById("search-page-q");
  var query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  show(query);
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { show(input.value); }, 150);
  });
})();
