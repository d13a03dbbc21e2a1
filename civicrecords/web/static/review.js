/* Keyboard shortcuts of the review page (documented on the page). Every action is one of the
   page's own buttons, so everything also works without this script. No inline handlers. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-entry]"));
  if (!rows.length) { return; }

  function current() {
    var active = document.activeElement;
    for (var i = 0; i < rows.length; i++) {
      if (rows[i] === active || rows[i].contains(active)) { return i; }
    }
    return -1;
  }

  function focusRow(index) {
    var row = rows[Math.max(0, Math.min(rows.length - 1, index))];
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function press(row, key) {
    var button = row.querySelector('button[data-shortcut="' + key + '"]');
    if (!button) { return false; }
    if (key === "w") {
      var basis = row.querySelector("[data-basis]");
      if (basis && !basis.value.trim()) { basis.focus(); return true; }
    }
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var index = current();
    var key = event.key;
    if (key === "j") { focusRow(index + 1); event.preventDefault(); return; }
    if (key === "k") { focusRow(index < 0 ? 0 : index - 1); event.preventDefault(); return; }
    if (index < 0) { return; }
    if (key === "g") {
      var reason = rows[index].querySelector("[data-reason]");
      if (reason) { reason.focus(); event.preventDefault(); }
      return;
    }
    if ("arwe".indexOf(key) >= 0 && key.length === 1 && press(rows[index], key)) {
      event.preventDefault();
    }
  });

  var hash = window.location.hash.slice(1);
  var start = hash ? document.getElementById(hash) : null;
  if (start && start.matches("tr[data-entry]")) { focusRow(rows.indexOf(start)); }
})();
