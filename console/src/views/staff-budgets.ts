// Each program's monthly budget as a gauge: what the month's cashback has used, what is left.

import { gauge } from "../charts";
import { call } from "../client";
import { alertBox, h } from "../dom";
import { isMonth, kstMonth, won } from "../format";
import { monthForm, type View } from "../layout";
import { funderName, programName } from "../names";

export const staffBudgets: View = {
  name: "budgets",
  title: "예산",
  async render(main, ctx) {
    const month = isMonth(ctx.params.get("month")) ? (ctx.params.get("month") as string) : kstMonth();
    main.append(monthForm("budgets", month));
    const budgets = await call("get", "/staff/budgets", { query: { month } });
    const gauges = budgets.items.map((b) => {
      const title = `${programName(b.program_id)} · ${funderName(b.funder)}`;
      if (b.monthly_budget === null) {
        return h(
          "figure",
          { class: "chart gauge unlimited" },
          h("figcaption", {}, title),
          alertBox(`예산 한도 없음 · 사용 ${won(b.used)}`, "info"),
        );
      }
      return gauge(title, `${title} 예산 사용 게이지: ${won(b.used)} / ${won(b.monthly_budget)}`, b.used, b.monthly_budget);
    });
    main.append(
      h("h2", {}, `${budgets.month} 예산 사용`),
      gauges.length ? h("div", { class: "charts gauges" }, ...gauges) : alertBox("이 달의 정책에 프로그램이 없습니다.", "info"),
    );
  },
};
