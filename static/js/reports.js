// /reports/: draws the charts from the page's JSON (json_script "report-data", CSP: no inline
// script). Each dataset carries a link per bar; a click on a bar opens that filtered list.
(function () {
  "use strict";
  const source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  // Status colours of the lists (Нова, Назначена, Работи се), overdue red, in/out as the timeline.
  const colours = {
    new: "#6c757d", assigned: "#0d6efd", in_progress: "#fd7e14", overdue: "#dc3545",
    in: "#0d6efd", out: "#198754", median: "#6f42c1", done: "#198754",
  };
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const chart = data[canvas.dataset.chart];
    if (!chart) return;
    const horizontal = canvas.dataset.chartKind === "bar-horizontal";
    const stacked = chart.datasets.some(function (d) { return d.stack; });
    const instance = new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (d) {
          return { label: d.label, data: d.data, stack: d.stack, backgroundColor: colours[d.key] || "#0d6efd" };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        // Counts are whole numbers: no 0,5 ticks (the response times are hours, fractions allowed).
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: horizontal && canvas.dataset.chart !== "responses" ? { precision: 0 } : {} },
          y: { stacked: stacked, beginAtZero: true, ticks: !horizontal ? { precision: 0 } : {} },
        },
        plugins: { legend: { position: "bottom" } },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          const hit = elements[0];
          const link = chart.datasets[hit.datasetIndex].links[hit.index];
          if (link) window.location.assign(link);
        },
      },
    });
    canvas.dataset.ready = "1";
    canvas.chartInstance = instance;
  });
  document.body.dataset.chartsReady = "1";
})();
