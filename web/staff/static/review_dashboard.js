// Draws each dashboard chart from the figures the page carries in data-chart (the table beside it has the same).
(function () {
  "use strict";
  var colours = ["#0b5cad", "#1a7f37", "#a4161a", "#8250df", "#bf8700", "#57606a"];
  document.querySelectorAll("canvas.chart").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var chart = new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, n) {
          return { label: series.label, data: series.values, backgroundColor: colours[n % colours.length],
                   borderColor: colours[n % colours.length] };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { display: spec.series.length > 1 } } }
    });
    canvas.setAttribute("data-rendered", chart ? "yes" : "no");
  });
})();
