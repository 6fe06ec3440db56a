// Drag and drop onto the upload box: the dropped file becomes the form's file input (no upload by script).
document.addEventListener("DOMContentLoaded", function () {
  var drop = document.getElementById("drop"), input = document.getElementById("file"),
      chosen = document.getElementById("chosen");
  if (!drop || !input) { return; }
  function show() { chosen.textContent = input.files.length ? "已选择：" + input.files[0].name : ""; }
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
  });
});
