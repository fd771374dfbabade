// phr serve: a little plain JavaScript where it helps; every page works without it.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  var lang = document.getElementById('lang');
  if (lang && lang.form) {
    lang.addEventListener('change', function () { lang.form.submit(); });
  }
});
