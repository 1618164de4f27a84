// Choosing a saved reply puts its filled-in text in the answer box at once (without JS, the
// "Preview saved reply" button does the same on the server). Text the officer typed is kept.
(function () {
  var select = document.getElementById("saved");
  var box = document.getElementById("answer-text");
  if (!select || !box) return;
  var lastFilled = "";
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var text = option ? option.getAttribute("data-text") || "" : "";
    if (box.value.trim() === "" || box.value === lastFilled) {
      box.value = text;
      lastFilled = text;
    }
  });
})();
