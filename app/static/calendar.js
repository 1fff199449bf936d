// Copy buttons for the calendar links. Without JavaScript the links are plain
// text to select and copy; with it, each one marked data-copy-label gets a button.
(function () {
  "use strict";
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "sr-only";
    document.body.appendChild(area);
    area.select();
    var done = document.execCommand("copy");
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.querySelectorAll("[data-copy-label]").forEach(function (source) {
    var label = source.getAttribute("data-copy-label");
    var done = source.getAttribute("data-copied-label") || label;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = label;
    button.addEventListener("click", function () {
      copy(source.textContent.trim()).then(function () {
        button.textContent = done;
        window.setTimeout(function () { button.textContent = label; }, 3000);
      }, function () {
        window.getSelection().selectAllChildren(source);
      });
    });
    var actions = source.nextElementSibling;
    if (actions && actions.classList.contains("actions")) {
      actions.insertBefore(button, actions.firstChild);
    } else {
      source.insertAdjacentElement("afterend", button);
    }
  });
})();
