// The console's only script: photo upload with progress, the print button, export polling.
// Everything works without it (plain form posts); it only adds progress and fewer reloads.
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setupUpload(form) {
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("[data-progress]");
    var status = form.querySelector("[data-upload-status]");
    var list = document.querySelector("[data-photos]");
    form.addEventListener("submit", function (event) {
      if (!input.files || !input.files.length) { return; }
      event.preventDefault();
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken") || cookie("csrftoken"));
      bar.hidden = false;
      bar.value = 0;
      status.textContent = "正在上传…";
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "正在上传 " + bar.value + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
        if (answer && answer.ok) {
          bar.value = 100;
          status.textContent = "照片已上传。";
          if (list && answer.image) {
            var li = document.createElement("li");
            var img = document.createElement("img");
            img.src = answer.image.thumbnail ? answer.image.thumbnail.url : answer.image.url;
            img.alt = "新上传的照片";
            img.width = 96; img.height = 96;
            li.appendChild(img);
            list.appendChild(li);
          }
          form.reset();
        } else if (answer && answer.errors) {
          status.textContent = "照片未上传：" + answer.errors.map(function (e) {
            return e.message + " [" + e.code + "]";
          }).join("；");
        } else {
          status.textContent = "照片未上传：服务器出错（HTTP " + xhr.status + "）。";
        }
      });
      xhr.addEventListener("error", function () {
        status.textContent = "照片未上传：网络中断，请重试。";
      });
      xhr.send(data);
    });
  }

  function setupExportPolling(node) {
    var url = node.getAttribute("data-export-poll");
    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.addEventListener("load", function () {
        var job = null;
        try { job = JSON.parse(xhr.responseText); } catch (err) { job = null; }
        if (!job) { return; }
        var bar = node.querySelector("progress");
        var text = node.querySelector("[data-export-text]");
        if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
        if (text) { text.textContent = job.label; }
        if (job.status === "DONE" || job.status === "FAILED") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      });
      xhr.send();
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), setupUpload);
    Array.prototype.forEach.call(document.querySelectorAll("[data-export-poll]"), setupExportPolling);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
