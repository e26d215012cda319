/* modelwatch dashboard: draws the charts whose figures the page carries as JSON, when they scroll
   into view; asks before destructive forms. No inline scripts are needed (the pages' CSP forbids them). */
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function draw(element) {
    if (element.getAttribute("data-drawn")) return;
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source || !window.Plotly) return;
    element.setAttribute("data-drawn", "1");
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, config);
  }

  function init() {
    var charts = Array.prototype.slice.call(document.querySelectorAll("div.chart[data-figure]"));
    if (!charts.length) return;
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            draw(entry.target);
          }
        });
      }, { rootMargin: "300px" });
      charts.forEach(function (chart) { observer.observe(chart); });
    } else {
      charts.forEach(draw);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
