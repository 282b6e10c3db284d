// A proposed policy next to the one in force: each program's tier curve (a month's eligible spend → the
// cashback it earns), the tiers in a table, and the approval, which the API refuses to the proposer.

import { type Curve, destroyCharts, lineChart } from "../charts";
import { ApiError, call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace, table } from "../dom";
import { isMonth, kstMonth, kstTime, percentBp, won } from "../format";
import { monthForm, type View } from "../layout";
import { funderName, programName, statusName } from "../names";

type Program = Schemas["ProgramOut"];
type Tier = Schemas["TierOut"];

/** The cashback of `spend` won under marginal tiers (each bracket's part at its rate), floored to a won. */
export function cashbackAt(tiers: Tier[], spend: number): number {
  let total = 0;
  let floor = 0;
  for (const t of tiers) {
    const top = t.up_to ?? Number.POSITIVE_INFINITY;
    if (spend > floor) total += ((Math.min(spend, top) - floor) * t.rate_bp) / 10_000;
    floor = top;
  }
  return Math.floor(total);
}

function bounds(p: Program | undefined): number[] {
  return (p?.tiers ?? []).flatMap((t) => (t.up_to === null ? [] : [t.up_to]));
}

function curve(label: string, p: Program, xs: number[]): Curve {
  return { label, points: xs.map((x) => ({ x, y: cashbackAt(p.tiers, x) })) };
}

function tierRows(label: string, p: Program | undefined): string[][] {
  if (!p) return [[label, "—", "이 정책에 없음"]];
  let from = 0;
  return p.tiers.map((t) => {
    const range = t.up_to === null ? `${won(from)} 초과` : `${won(from)} – ${won(t.up_to)}`;
    from = t.up_to ?? from;
    return [label, range, percentBp(t.rate_bp)];
  });
}

function comparison(proposed: Schemas["ProposalOut"], current: Schemas["PolicyOut"]): HTMLElement {
  const ids = [...new Set([...proposed.programs, ...current.programs].map((p) => p.program_id))];
  const sections = ids.map((id) => {
    const next = proposed.programs.find((p) => p.program_id === id);
    const now = current.programs.find((p) => p.program_id === id);
    const edges = [...bounds(next), ...bounds(now)];
    const end = edges.length ? Math.max(...edges) * 1.5 : 1_000_000;
    const xs = [...new Set([0, ...edges, end])].sort((a, b) => a - b);
    const curves = [
      ...(next ? [curve(`제안 (${proposed.effective_month})`, next, xs)] : []),
      ...(now ? [curve(`현재 (${current.effective_month})`, now, xs)] : []),
    ];
    const funder = funderName((next ?? now)?.funder ?? "");
    return h(
      "section",
      { class: "program" },
      h("h3", {}, `${programName(id)} · ${funder}`),
      lineChart(
        `${programName(id)}: 월 사용액 → 캐시백`,
        `${programName(id)} 제안 정책과 현재 정책의 구간 곡선 (사용액에 따른 캐시백) 선 그래프`,
        curves,
        "월 사용액",
        "캐시백",
      ),
      table(`${programName(id)} 구간`, ["정책", "구간", "적립률"], [...tierRows("제안", next), ...tierRows("현재", now)], [2]),
      h(
        "p",
        { class: "lead" },
        `월 예산: 제안 ${next?.monthly_budget == null ? "한도 없음" : won(next.monthly_budget)}, 현재 ${now?.monthly_budget == null ? "한도 없음" : won(now.monthly_budget)}`,
      ),
    );
  });
  return h(
    "div",
    {},
    table(
      "한도",
      ["항목", "제안", "현재"],
      [
        ["월 충전 한도", won(proposed.monthly_charge_limit), won(current.monthly_charge_limit)],
        ["보유 한도", won(proposed.balance_limit), won(current.balance_limit)],
      ],
      [1, 2],
    ),
    h("div", { class: "programs" }, ...sections),
  );
}

export const staffPolicy: View = {
  name: "policy",
  title: "캐시백 정책",
  async render(main, ctx) {
    const month = isMonth(ctx.params.get("month")) ? (ctx.params.get("month") as string) : kstMonth(1);
    const notice = h("div", { class: "notices" });
    const body = h("section", { "aria-label": `${month} 정책` });
    main.append(monthForm("policy", month, "적용 월"), notice, body);

    const show = async (): Promise<void> => {
      let proposal: Schemas["ProposalOut"];
      try {
        proposal = await call("get", "/staff/policies/{month}", { path: { month } });
      } catch (e) {
        replace(body, alertBox(e instanceof ApiError && e.status === 404 ? `${month}에 제안된 정책이 없습니다.` : describe(e), e instanceof ApiError && e.status === 404 ? "info" : "error"));
        return;
      }
      const current = await call("get", "/policies/current");
      const approve = button("승인", async () => {
        await busy(approve, async () => {
          try {
            await call("post", "/staff/policies/{month}/approve", { path: { month } });
            replace(notice, alertBox(`${month} 정책을 승인했습니다.`, "ok"));
            await show();
          } catch (e) {
            const why = e instanceof ApiError && e.status === 403 ? "제안한 직원은 승인할 수 없습니다. 다른 직원이 승인해야 합니다. " : "";
            replace(notice, alertBox(why + describe(e)));
          }
        });
      }, `${month} 정책 승인`);
      destroyCharts(body);
      replace(
        body,
        h(
          "dl",
          { class: "figures" },
          h("dt", {}, "상태"),
          h("dd", {}, statusName(proposal.status)),
          h("dt", {}, "제안"),
          h("dd", {}, `${proposal.proposed_by ?? "—"} · ${kstTime(proposal.proposed_at)}`),
          h("dt", {}, "승인"),
          h("dd", {}, proposal.approved_by ? `${proposal.approved_by} · ${kstTime(proposal.approved_at)}` : "—"),
        ),
        proposal.status === "proposed" ? h("p", { class: "actions" }, approve) : null,
        comparison(proposal, current),
      );
    };
    await show();
  },
};
