// phr serve: a little plain JavaScript where it helps; every page works without it.
'use strict';
document.documentElement.classList.add('lang-js');

// The Scan page's webcam: a frame a second goes to /scan/frame with the
// codes read so far, until the server says the record is whole and filed.
function startWebcam(button) {
  var form = button.form;
  var video = document.getElementById('video');
  var status = document.getElementById('cam-status');
  var csrf = form.querySelector('input[name=csrf]').value;
  var codes = Array.prototype.map.call(form.querySelectorAll('input[name=code]'), function (i) { return i.value; });
  var canvas = document.createElement('canvas');
  var busy = false, stream = null, timer = null;
  function stop() {
    if (timer) clearInterval(timer);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
  }
  function tick() {
    if (busy || !video.videoWidth) return;
    busy = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var fd = new FormData();
      fd.append('csrf', csrf);
      codes.forEach(function (c) { fd.append('code', c); });
      fd.append('frame', blob, 'frame.jpg');
      fetch('/scan/frame', { method: 'POST', body: fd, credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          codes = j.codes || codes;
          status.textContent = j.message || '';
          if (j.record) { stop(); window.location.assign(j.record); }
        })
        .catch(function (e) { status.textContent = String(e); })
        .then(function () { busy = false; });
    }, 'image/jpeg', 0.92);
  }
  navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1920 } }, audio: false })
    .then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      timer = setInterval(tick, 1000);
    })
    .catch(function (e) { status.textContent = String(e); });
}

document.addEventListener('DOMContentLoaded', function () {
  // the language chooser submits itself (its OK button is for pages without script)
  var lang = document.getElementById('lang');
  if (lang && lang.form) {
    lang.addEventListener('change', function () { lang.form.submit(); });
  }
  var cam = document.getElementById('webcam');
  if (cam && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    cam.hidden = false;
    cam.addEventListener('click', function () { cam.disabled = true; startWebcam(cam); });
  }
});
