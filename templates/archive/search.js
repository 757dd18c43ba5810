/* The archive's search page: Pagefind (pagefind/ in this site, built with the archive) for
   the index, ranking and filters; this script for the query, the checks and the results.

   Pagefind alone is not right for Russian in two ways, both fixed here:
   - it matches every query word as a prefix of indexed words, so "стать" (stem "стат")
     also found "статус" and "стандарт"; each result is checked word by word and kept only
     if each query word occurs in it in one of its own forms (same Snowball stem);
   - before stemming it folds diacritics, "й" into "и", which breaks the Russian endings
     (-ой, -ый, -ий): "клиентской" became the stem "клиентско" and missed "клиентская". The
     query is therefore stemmed here with the real Snowball Russian algorithm (ruStem below,
     kept equal to the Snowball reference by tests/archive/test_search_browser.py) and
     Pagefind is asked for the stems, which are prefixes of every form's indexed word.
   Excerpts are cut around the words that really matched and mark only those. Everything is
   loaded from this site; the search page form works without JavaScript only as far as a
   static page can (it still lists series and topics to browse). */
(function () {
  "use strict";

  /* ---- Snowball Russian stemmer (snowballstem.org/algorithms/russian) ---------------- */
  var VOWELS = "аеиоуыэюя";
  var PG1 = ["в", "вши", "вшись"];
  var PG2 = ["ив", "ивши", "ившись", "ыв", "ывши", "ывшись"];
  var ADJ = ["ее", "ие", "ые", "ое", "ими", "ыми", "ей", "ий", "ый", "ой", "ем", "им", "ым",
    "ом", "его", "ого", "ему", "ому", "их", "ых", "ую", "юю", "ая", "яя", "ою", "ею"];
  var PART1 = ["ем", "нн", "вш", "ющ", "щ"];
  var PART2 = ["ивш", "ывш", "ующ"];
  var REFL = ["ся", "сь"];
  var VERB1 = ["ла", "на", "ете", "йте", "ли", "й", "л", "ем", "н", "ло", "но", "ет", "ют",
    "ны", "ть", "ешь", "нно"];
  var VERB2 = ["ила", "ыла", "ена", "ейте", "уйте", "ите", "или", "ыли", "ей", "уй", "ил",
    "ыл", "им", "ым", "ен", "ило", "ыло", "ено", "ят", "ует", "уют", "ит", "ыт", "ены",
    "ить", "ыть", "ишь", "ую", "ю"];
  var NOUN = ["а", "ев", "ов", "ие", "ье", "е", "иями", "ями", "ами", "еи", "ии", "и", "ией",
    "ей", "ой", "ий", "й", "иям", "ям", "ием", "ем", "ам", "ом", "о", "у", "ах", "иях", "ях",
    "ы", "ь", "ию", "ью", "ю", "ия", "ья", "я"];
  var DERIV = ["ост", "ость"];
  var TIDY = ["ейш", "ейше", "н", "ь"];

  function isVowel(c) { return VOWELS.indexOf(c) >= 0; }
  /* the longest suffix of w in list that lies at or after position limit */
  function suffix(w, limit, list) {
    var best = "";
    for (var i = 0; i < list.length; i++) {
      var s = list[i];
      if (s.length > best.length && w.length - s.length >= limit &&
          w.slice(w.length - s.length) === s) { best = s; }
    }
    return best;
  }
  /* Snowball's among with two groups: group 1 needs а/я before it; the longest wins */
  function among(w, limit, group1, group2) {
    var s1 = suffix(w, limit, group1), s2 = suffix(w, limit, group2);
    if (!s1 && !s2) { return null; }
    if (s2.length > s1.length) { return w.slice(0, w.length - s2.length); }
    var before = w.length - s1.length - 1;
    if (before >= limit && (w[before] === "а" || w[before] === "я")) {
      return w.slice(0, w.length - s1.length);
    }
    return null;
  }
  function ruStem(word) {
    var w = word.toLowerCase().replace(/ё/g, "е");
    var rv = w.length, r1 = w.length, r2 = w.length, i;
    for (i = 0; i < w.length; i++) { if (isVowel(w[i])) { rv = i + 1; break; } }
    for (i = 1; i < w.length; i++) { if (!isVowel(w[i]) && isVowel(w[i - 1])) { r1 = i + 1; break; } }
    for (i = r1 + 1; i < w.length; i++) { if (!isVowel(w[i]) && isVowel(w[i - 1])) { r2 = i + 1; break; } }
    var cut = among(w, rv, PG1, PG2), s;
    if (cut !== null) {
      w = cut;
    } else {
      s = suffix(w, rv, REFL);
      if (s) { w = w.slice(0, w.length - s.length); }
      s = suffix(w, rv, ADJ);
      if (s) {
        w = w.slice(0, w.length - s.length);
        cut = among(w, rv, PART1, PART2);
        if (cut !== null) { w = cut; }
      } else {
        cut = among(w, rv, VERB1, VERB2);
        if (cut !== null) {
          w = cut;
        } else {
          s = suffix(w, rv, NOUN);
          if (s) { w = w.slice(0, w.length - s.length); }
        }
      }
    }
    if (w.length - 1 >= rv && w[w.length - 1] === "и") { w = w.slice(0, -1); }
    s = suffix(w, Math.max(rv, r2), DERIV);
    if (s) { w = w.slice(0, w.length - s.length); }
    s = suffix(w, rv, TIDY);
    if (s === "ейш" || s === "ейше") {
      w = w.slice(0, w.length - s.length);
      if (w.length - 2 >= rv && w.slice(-2) === "нн") { w = w.slice(0, -1); }
    } else if (s === "н") {
      if (w.length - 2 >= rv && w.slice(-2) === "нн") { w = w.slice(0, -1); }
    } else if (s === "ь") {
      w = w.slice(0, -1);
    }
    return w;
  }
  window.publisherSearch = { ruStem: ruStem };  /* for the tests (and curious readers) */

  /* ---- query and matching ------------------------------------------------------------ */
  var WORD = /[\p{L}\p{N}]+/gu;
  var script = document.currentScript;
  var root = new URL("../", script.src);
  var language = (document.documentElement.lang || "").split("-")[0].toLowerCase();
  var russian = language === "ru";
  var BATCH = 24;  /* results checked per step (each loads one fragment file) */
  var WANT = 10;   /* results shown before "show more" */
  var EXCERPT = 30;  /* words */

  function normal(word) { return word.toLowerCase().replace(/ё/g, "е"); }
  function stemOf(word) { return russian ? ruStem(normal(word)) : normal(word); }
  /* the stems a text word stands for: the whole word and, for "интернет-магазин", its parts */
  function wordStems(text) {
    var parts = normal(text).match(WORD) || [];
    var stems = parts.map(stemOf);
    if (parts.length > 1) { stems.push(stemOf(parts.join(""))); }
    return stems;
  }
  function queryTerms(text) {
    var seen = {}, terms = [];
    (text.match(WORD) || []).forEach(function (word) {
      var stem = stemOf(word);
      if (stem && !seen[stem]) { seen[stem] = true; terms.push(stem); }
    });
    return terms;
  }

  var pagefind = null;
  function engine() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", root).href).then(function (pf) {
        return pf.options({ basePath: new URL("pagefind/", root).href,
                            baseUrl: root.pathname }).then(function () { return pf; });
      });
    }
    return pagefind;
  }

  /* which of the result's matched words are true forms of the query's terms */
  function verify(data, terms) {
    var words = data.content.split(/\s+/);
    var covered = {}, hits = [], score = 0;
    var locations = data.weighted_locations && data.weighted_locations.length ?
      data.weighted_locations : data.locations.map(function (l) {
        return { location: l, balanced_score: 1 };
      });
    locations.forEach(function (loc) {
      var word = words[loc.location];
      if (word === undefined) { return; }
      var stems = wordStems(word), hit = false;
      terms.forEach(function (term) {
        if (stems.indexOf(term) >= 0) { covered[term] = true; hit = true; }
      });
      if (hit) { hits.push(loc.location); score += loc.balanced_score || 1; }
    });
    var ok = terms.every(function (term) { return covered[term]; });
    return ok ? { words: words, hits: hits.sort(function (a, b) { return a - b; }), score: score } : null;
  }

  /* a window of EXCERPT words holding the most hits; hits are marked */
  function excerpt(words, hits) {
    var start = 0, best = -1;
    hits.forEach(function (h) {
      var from = Math.max(0, h - 5), count = 0;
      hits.forEach(function (o) { if (o >= from && o < from + EXCERPT) { count++; } });
      if (count > best) { best = count; start = from; }
    });
    var p = document.createElement("p");
    p.className = "search-excerpt";
    var marked = {};
    hits.forEach(function (h) { marked[h] = true; });
    var end = Math.min(words.length, start + EXCERPT);
    if (start > 0) { p.appendChild(document.createTextNode("… ")); }
    for (var i = start; i < end; i++) {
      var text = words[i] + (i + 1 < end ? " " : "");
      if (marked[i]) {
        var mark = document.createElement("mark");
        mark.textContent = words[i];
        p.appendChild(mark);
        if (i + 1 < end) { p.appendChild(document.createTextNode(" ")); }
      } else {
        p.appendChild(document.createTextNode(text));
      }
    }
    if (end < words.length) { p.appendChild(document.createTextNode(" …")); }
    return p;
  }

  /* ---- the page ------------------------------------------------------------------------ */
  var form = document.getElementById("search-page-form");
  if (!form) { return; }
  var input = document.getElementById("search-page-q");
  var seriesSelect = document.getElementById("search-series");
  var tagSelect = document.getElementById("search-tag");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var more = document.getElementById("search-more");
  var generation = 0;

  function item(data, checked) {
    var li = document.createElement("li");
    li.className = "issue-item search-result";
    var h = document.createElement("h2");
    h.className = "issue-item-title";
    var a = document.createElement("a");
    a.href = data.url;
    a.textContent = (data.meta && data.meta.title) || data.url;
    h.appendChild(a);
    li.appendChild(h);
    var meta = document.createElement("p");
    meta.className = "issue-item-meta";
    var series = optionText(seriesSelect, (data.filters && data.filters.series || [])[0]);
    meta.textContent = [series, data.meta.label, data.meta.date].filter(Boolean).join(" · ");
    li.appendChild(meta);
    if (checked && checked.hits.length) {
      li.appendChild(excerpt(checked.words, checked.hits));
    } else if (data.content) {
      li.appendChild(excerpt(data.content.split(/\s+/), []));
    }
    return li;
  }

  /* a filter value is a slug; its option says how to show it */
  function optionText(select, value) {
    if (!select || !value) { return value || ""; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { return select.options[i].textContent; }
    }
    return value;
  }

  function filters() {
    var chosen = {};
    if (seriesSelect && seriesSelect.value) { chosen.series = [seriesSelect.value]; }
    if (tagSelect && tagSelect.value) { chosen.tag = [tagSelect.value]; }
    return chosen;
  }

  function run() {
    var mine = ++generation;
    var text = input.value.trim();
    var chosen = filters();
    list.textContent = "";
    more.hidden = true;
    if (!text && !Object.keys(chosen).length) { status.textContent = ""; return; }
    var terms = queryTerms(text);
    if (status.hasAttribute("data-empty") || (text && !terms.length)) { status.textContent = status.getAttribute("data-nothing"); return; }
    engine().then(function (pf) {
      var query = russian ? terms.join(" ") : text;
      return pf.search(text ? query : null, { filters: chosen });
    }).then(function (search) {
      if (mine !== generation) { return; }
      var candidates = search.results, next = 0, found = 0, goal = WANT;
      function step() {
        var batch = candidates.slice(next, next + BATCH);
        next += batch.length;
        return Promise.all(batch.map(function (r) { return r.data(); })).then(function (datas) {
          if (mine !== generation) { return; }
          var kept = [];
          datas.forEach(function (data, i) {
            var checked = text && russian ? verify(data, terms) : { words: data.content.split(/\s+/),
              hits: (data.locations || []), score: batch[i].score };
            if (checked) { kept.push({ data: data, checked: checked, order: i }); }
          });
          kept.sort(function (a, b) { return b.checked.score - a.checked.score || a.order - b.order; });
          kept.forEach(function (k) { list.appendChild(item(k.data, k.checked)); });
          found += kept.length;
          var done = next >= candidates.length;
          if (!done && found < goal) { return step(); }
          status.textContent = found ? status.getAttribute("data-found") + " " + found +
            (done ? "" : "+") : status.getAttribute("data-nothing");
          more.hidden = done;
          more.onclick = function () { more.hidden = true; goal = found + WANT; step(); };
        });
      }
      return step();
    }).catch(function (error) {
      if (mine === generation) { status.textContent = String(error); }
    });
  }

  var params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  if (seriesSelect) { seriesSelect.value = params.get("series") || ""; }
  if (tagSelect) { tagSelect.value = params.get("tag") || ""; }
  run();
  var timer = null;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = new URL(window.location.href);
      [["q", input.value], ["series", seriesSelect && seriesSelect.value],
       ["tag", tagSelect && tagSelect.value]].forEach(function (pair) {
        if (pair[1]) { url.searchParams.set(pair[0], pair[1]); } else { url.searchParams.delete(pair[0]); }
      });
      history.replaceState(null, "", url);
      run();
    }, 200);
  }
  input.addEventListener("input", later);
  [seriesSelect, tagSelect].forEach(function (s) { if (s) { s.addEventListener("change", later); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); later(); });
})();
