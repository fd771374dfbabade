// phr serve: entry forms. Adds and removes rows of repeated groups, and
// keeps a draft of the form in this browser (localStorage) so that a page
// reload or a closed tab loses nothing; the draft is dropped once the
// entry is signed. The form works without this script (one row each).
'use strict';
(function () {
  var PREFIX = 'phr-draft:';

  function rowsOf(arr) { return arr.querySelector(':scope > .phr-rows'); }

  // Positions used in an array's rows (names "<array name>.<n>...").
  function positions(arr) {
    var name = arr.dataset.name + '.', used = {};
    rowsOf(arr).querySelectorAll('[name]').forEach(function (el) {
      if (el.name.indexOf(name) === 0) {
        used[parseInt(el.name.slice(name.length), 10)] = true;
      }
    });
    return used;
  }

  function addRowAt(arr, pos) {
    var rows = rowsOf(arr);
    if (rows.children.length >= parseInt(arr.dataset.max, 10)) { return null; }
    var tpl = arr.querySelector(':scope > template');
    rows.insertAdjacentHTML('beforeend', tpl.innerHTML.split(arr.dataset.ph).join(String(pos)));
    return rows.lastElementChild;
  }

  function addRow(arr) {
    var used = positions(arr), next = 0;
    Object.keys(used).forEach(function (k) { next = Math.max(next, parseInt(k, 10) + 1); });
    return addRowAt(arr, next);
  }

  function fields(form) {
    var v = {};
    form.querySelectorAll('[name^="e."]').forEach(function (el) {
      if (el.closest('template')) { return; }
      if (el.value !== '') { v[el.name] = el.value; }
    });
    return v;
  }

  function save(form) {
    try { localStorage.setItem(PREFIX + form.dataset.draft, JSON.stringify(fields(form))); } catch (e) { /* full or off */ }
  }

  // The array whose rows hold name, and the position in it.
  function arrayFor(form, name) {
    var best = null;
    form.querySelectorAll('.phr-array').forEach(function (arr) {
      if (arr.closest('template')) { return; }
      var n = arr.dataset.name + '.';
      if (name.indexOf(n) === 0 && (!best || n.length > best.dataset.name.length + 1)) { best = arr; }
    });
    return best;
  }

  function restore(form, draft) {
    var names = Object.keys(draft);
    // rows first, outer arrays before inner ones
    names.sort(function (a, b) { return a.split('.').length - b.split('.').length; });
    names.forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el) {
        var arr = arrayFor(form, name);
        if (arr) {
          var pos = parseInt(name.slice(arr.dataset.name.length + 1), 10);
          if (!isNaN(pos)) { addRowAt(arr, pos); }
        }
        el = form.elements.namedItem(name);
      }
      if (el && el.value !== undefined) { el.value = draft[name]; }
    });
  }

  function setup(form) {
    var key = PREFIX + form.dataset.draft;
    form.addEventListener('click', function (ev) {
      var t = ev.target;
      if (t.classList.contains('phr-add')) {
        var row = addRow(t.closest('.phr-array'));
        if (row) {
          var first = row.querySelector('input, select');
          if (first) { first.focus(); }
        }
        save(form);
      } else if (t.classList.contains('phr-del')) {
        var r = t.closest('.phr-row');
        r.parentNode.removeChild(r);
        save(form);
      }
    });
    form.addEventListener('input', function () { save(form); });
    form.addEventListener('change', function () { save(form); });
    var note = document.getElementById('phr-draft-note');
    if (form.dataset.fresh === '1') {
      var raw = null;
      try { raw = localStorage.getItem(key); } catch (e) { raw = null; }
      if (raw) {
        var draft = null;
        try { draft = JSON.parse(raw); } catch (e) { draft = null; }
        if (draft && Object.keys(draft).length) {
          restore(form, draft);
          if (note) { note.hidden = false; }
        }
      }
    } else {
      save(form);
    }
    var discard = document.getElementById('phr-draft-discard');
    if (discard) {
      discard.addEventListener('click', function () {
        try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
        window.location.reload();
      });
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-clear-draft]').forEach(function (el) {
      try { localStorage.removeItem(PREFIX + el.dataset.clearDraft); } catch (e) { /* nothing kept */ }
    });
    document.querySelectorAll('form[data-draft]').forEach(setup);
  });
}());
