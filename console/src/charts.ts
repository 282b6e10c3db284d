// Charts a person reads at a glance (Chart.js on a canvas), each with an accessible name and its figures
// in a table beside it, so nothing is only in the picture. No animation: the figures are there at once.

import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { type Child, h, table } from "./dom";
import { count, won } from "./format";

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);
Chart.defaults.font.family = "'NanumGothic', 'Noto Sans KR', 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif";
Chart.defaults.animation = false;

export const PALETTE = ["#1f6feb", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#c2255c", "#5c940d"];

export interface Series {
  label: string;
  data: number[];
}

function figure(title: string, canvas: HTMLCanvasElement, figures: HTMLTableElement, size = "medium"): HTMLElement {
  figures.caption?.replaceChildren(`${title}: 수치`);
  return h(
    "figure",
    { class: `chart ${size}` },
    h("figcaption", {}, title),
    h("div", { class: "canvas-box" }, canvas),
    figures,
  );
}

function canvasFor<T extends ChartType>(ariaLabel: string, config: ChartConfiguration<T>): HTMLCanvasElement {
  const canvas = h("canvas", { role: "img", "aria-label": ariaLabel }, "표의 수치를 참고하세요.");
  // Chart.js waits for the canvas to be attached before it measures and draws.
  new Chart(canvas, config);
  return canvas;
}

/** Destroy the charts under `root` before its content is replaced (a view that refreshes itself). */
export function destroyCharts(root: Element): void {
  for (const canvas of Array.from(root.querySelectorAll("canvas"))) Chart.getChart(canvas)?.destroy();
}

const wonTicks = { callback: (v: string | number) => count(Number(v)) };

/** Bars per category, one colour per series; `money` writes the axis and table in won. */
export function barChart(
  title: string,
  ariaLabel: string,
  labels: string[],
  series: Series[],
  options: { money?: boolean; horizontal?: boolean; extra?: { header: string; values: string[] } } = {},
): HTMLElement {
  const money = options.money ?? true;
  const fmt = money ? won : count;
  const canvas = canvasFor(ariaLabel, {
    type: "bar",
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: PALETTE[i % PALETTE.length] })),
    },
    options: {
      indexAxis: options.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: series.length > 1 } },
      scales: { [options.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: money ? wonTicks : {} } },
    },
  });
  const extra = options.extra;
  const rows: Child[][] = labels.map((l, i) => [
    l,
    ...series.map((s) => fmt(s.data[i] ?? 0)),
    ...(extra ? [extra.values[i] ?? ""] : []),
  ]);
  const headers = ["항목", ...series.map((s) => s.label), ...(extra ? [extra.header] : [])];
  const numeric = headers.map((_, i) => i).filter((i) => i > 0);
  const tall = options.horizontal && labels.length > 8 ? "tall" : "medium";
  return figure(title, canvas, table(title, headers, rows, numeric), tall);
}

/** Shares of a whole: each slice with its amount and percent in the table. */
export function doughnutChart(title: string, ariaLabel: string, labels: string[], data: number[]): HTMLElement {
  const canvas = canvasFor(ariaLabel, {
    type: "doughnut",
    data: { labels, datasets: [{ data, backgroundColor: labels.map((_, i) => PALETTE[i % PALETTE.length]) }] },
    options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "right" } } },
  });
  const total = data.reduce((a, b) => a + b, 0);
  const rows: Child[][] = labels.map((l, i) => [
    l,
    won(data[i]),
    total > 0 ? `${Math.round(((data[i] ?? 0) / total) * 1000) / 10}%` : "—",
  ]);
  rows.push(["합계", won(total), total > 0 ? "100%" : "—"]);
  return figure(title, canvas, table(title, ["항목", "금액", "비율"], rows, [1, 2]), "small");
}

/** A half-circle gauge of used against a total (a budget, a campaign's target). */
export function gauge(title: string, ariaLabel: string, used: number, total: number | null): HTMLElement {
  const left = total === null ? 0 : Math.max(total - used, 0);
  const canvas = canvasFor<"doughnut">(ariaLabel, {
    type: "doughnut",
    data: {
      labels: ["사용", "남음"],
      datasets: [{ data: total === null ? [used, 0] : [Math.min(used, total), left], backgroundColor: [PALETTE[0], "#dee2e6"] }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      rotation: -90,
      circumference: 180,
      cutout: "65%",
      plugins: { legend: { display: false } },
    },
  });
  const pct = total && total > 0 ? `${Math.round((used / total) * 1000) / 10}%` : "—";
  const rows: Child[][] = [
    ["사용", won(used)],
    ["남음", total === null ? "한도 없음" : won(total - used)],
    ["예산", total === null ? "한도 없음" : won(total)],
    ["사용률", pct],
  ];
  const shown = figure(title, canvas, table(title, ["항목", "값"], rows, [1]), "gauge");
  shown.querySelector(".canvas-box")?.append(h("span", { class: "gauge-value", "aria-hidden": "true" }, pct));
  return shown;
}

export interface Curve {
  label: string;
  points: { x: number; y: number }[];
}

/** Lines over a numeric x axis in won (spend → cashback). */
export function lineChart(title: string, ariaLabel: string, curves: Curve[], xLabel: string, yLabel: string): HTMLElement {
  const canvas = canvasFor(ariaLabel, {
    type: "line",
    data: {
      datasets: curves.map((c, i) => ({
        label: c.label,
        data: c.points,
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        borderDash: i === 0 ? [] : [6, 4],
        pointRadius: 3,
        tension: 0,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: { type: "linear", beginAtZero: true, title: { display: true, text: xLabel }, ticks: wonTicks },
        y: { beginAtZero: true, title: { display: true, text: yLabel }, ticks: wonTicks },
      },
    },
  });
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p.x)))].sort((a, b) => a - b);
  const at = (c: Curve, x: number): string => {
    const p = c.points.find((q) => q.x === x);
    return p ? won(p.y) : "—";
  };
  const rows: Child[][] = xs.map((x) => [won(x), ...curves.map((c) => at(c, x))]);
  return figure(title, canvas, table(title, [xLabel, ...curves.map((c) => c.label)], rows, curves.map((_, i) => i + 1)), "wide");
}
