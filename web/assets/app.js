// phr serve: a little plain JavaScript where it helps; every page works without it.
'use strict';
document.documentElement.classList.add('lang-js');
document.addEventListener('DOMContentLoaded', function () {
  // the language chooser submits itself (its OK button is for pages without script)
  var lang = document.getElementById('lang');
  if (lang && lang.form) {
    lang.addEventListener('change', function () { lang.form.submit(); });
  }
});
