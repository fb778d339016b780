// lakecat serve: small conveniences only; every page works without JavaScript.
(function () {
  "use strict";
  // "/" focuses the page's search box (the registry's, else the global one).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
    if (event.key === "/" && !typing) {
      var box = document.querySelector("main input[type=search]") ||
        document.querySelector("header input[type=search]");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
  });
  // Ctrl+Enter (Cmd+Enter) runs the SQL box.
  var sql = document.getElementById("sql");
  if (sql) {
    sql.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        sql.form.submit();
      }
    });
  }
})();
