// A settled month at a glance: by funder, program and dong, against the months before it; while a run is
// under way, its progress, refreshed until it completes.

import { barChart, destroyCharts, doughnutChart } from "../charts";
import { ApiError, call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace, table } from "../dom";
import { addMonths, count, isMonth, kstMonth, kstTime, won } from "../format";
import { monthForm, type View } from "../layout";
import { funderName, programName, statusName } from "../names";
import { every } from "../poll";

type Run = Schemas["SettlementOut"];
const REFRESH_MS = 2000;
const EARLIER_MONTHS = 5;

function summary(run: Run): HTMLElement {
  const rows: [string, string][] = [
    ["상태", statusName(run.status)],
    ["정산 주민 수", `${count(run.residents)}명`],
    ["적립 캐시백", won(run.cashback_credited)],
    ["발생 캐시백", won(run.accrued)],
    ["자동 기부", won(run.auto_donations)],
    ["환불 조정", won(run.adjustments_applied)],
    ["장부 일치", run.books_balanced === null ? "—" : run.books_balanced ? "일치" : "불일치"],
    ["시작", kstTime(run.started_at)],
    ["끝", kstTime(run.finished_at)],
  ];
  return h(
    "dl",
    { class: "figures", "aria-label": `${run.month} 정산 합계` },
    ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-figure": k }, v)]),
  );
}

function progress(run: Run): HTMLElement {
  const { shards_done: done, shards_total: total } = run.progress;
  return h(
    "div",
    { class: "progress" },
    h("label", { for: "run-progress" }, `정산 진행: ${count(done)} / ${count(total)} 샤드`),
    h("progress", { id: "run-progress", max: Math.max(total, 1), value: done, "aria-label": "정산 진행률" }),
  );
}

function charts(run: Run, earlier: Run[]): HTMLElement {
  const funders = Object.keys(run.by_funder);
  const programs = Object.keys(run.by_program);
  const dongs = Object.entries(run.by_dong ?? {}).sort((a, b) => b[1].cashback_credited - a[1].cashback_credited);
  const months = [...earlier, run].sort((a, b) => a.month.localeCompare(b.month));
  return h(
    "div",
    { class: "charts" },
    doughnutChart(
      "재원별 캐시백",
      `${run.month} 재원별 캐시백 도넛 차트`,
      funders.map(funderName),
      funders.map((f) => run.by_funder[f] ?? 0),
    ),
    barChart(
      "프로그램별 캐시백",
      `${run.month} 프로그램별 캐시백 막대 차트`,
      programs.map(programName),
      [{ label: "캐시백", data: programs.map((p) => run.by_program[p] ?? 0) }],
    ),
    barChart(
      "동별 적립 캐시백",
      `${run.month} 동별 적립 캐시백 막대 차트`,
      dongs.map(([d]) => d),
      [{ label: "적립 캐시백", data: dongs.map(([, t]) => t.cashback_credited) }],
      { horizontal: true, extra: { header: "주민 수", values: dongs.map(([, t]) => `${count(t.residents)}명`) } },
    ),
    barChart(
      "이전 달과 비교",
      `${months[0]?.month ?? run.month}부터 ${run.month}까지 월별 적립 캐시백 막대 차트`,
      months.map((m) => m.month),
      [
        { label: "적립 캐시백", data: months.map((m) => m.cashback_credited) },
        { label: "자동 기부", data: months.map((m) => m.auto_donations) },
      ],
    ),
  );
}

/** The months before `month` that have a settlement (a 404 is a month never settled: left out). */
async function earlierRuns(month: string): Promise<Run[]> {
  const wanted = Array.from({ length: EARLIER_MONTHS }, (_, i) => addMonths(month, -(i + 1)));
  const answers = await Promise.allSettled(
    wanted.map((m) => call("get", "/staff/settlements/{month}", { path: { month: m } })),
  );
  return answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
}

export const staffSettlement: View = {
  name: "settlement",
  title: "월별 정산",
  async render(main, ctx) {
    const month = isMonth(ctx.params.get("month")) ? (ctx.params.get("month") as string) : kstMonth(-1);
    const body = h("section", { "aria-label": `${month} 정산` });
    const notice = h("div", { class: "notices" });
    const start = button("정산 시작", async () => {
      await busy(start, async () => {
        try {
          await call("post", "/staff/settlements", { body: { month } });
          replace(notice, alertBox(`${month} 정산을 시작했습니다.`, "ok"));
          follow();
        } catch (e) {
          replace(notice, alertBox(describe(e)));
        }
      });
    }, `${month} 정산 시작`);
    main.append(h("div", { class: "toolbar" }, monthForm("settlement", month), start), notice, body);

    let earlier: Run[] | null = null;
    let following = false;
    const tick = async (): Promise<boolean> => {
      let run: Run;
      try {
        run = await call("get", "/staff/settlements/{month}", { path: { month } });
      } catch (e) {
        destroyCharts(body);
        if (e instanceof ApiError && e.status === 404) {
          replace(body, alertBox(`${month}은(는) 아직 정산하지 않았습니다. 달이 끝난 뒤 정산을 시작할 수 있습니다.`, "info"));
        } else {
          replace(body, alertBox(describe(e)));
        }
        return false;
      }
      const live = run.status === "queued" || run.status === "running";
      if (!live && earlier === null) earlier = await earlierRuns(month);
      destroyCharts(body);
      replace(
        body,
        h("h2", {}, `${month} 정산`),
        live ? progress(run) : null,
        summary(run),
        run.problems.length ? table("문제", ["내용"], run.problems.map((p) => [p])) : null,
        live ? null : charts(run, earlier ?? []),
      );
      return live;
    };
    const follow = (): void => {
      if (following) return;
      following = true;
      every(REFRESH_MS, () => body.isConnected, async () => {
        const again = await tick();
        if (!again) following = false;
        return again;
      });
    };
    follow();
  },
};
