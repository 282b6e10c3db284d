// The shop's line of a settled month: sales, discounts, refunds, fees and what is paid out.

import { barChart } from "../charts";
import { ApiError, call, describe } from "../client";
import { alertBox, h } from "../dom";
import { isMonth, kstMonth, won } from "../format";
import { monthForm, type View } from "../layout";

export const shopSettlement: View = {
  name: "settlement",
  title: "가게 정산",
  async render(main, ctx) {
    const month = isMonth(ctx.params.get("month")) ? (ctx.params.get("month") as string) : kstMonth(-1);
    main.append(monthForm("settlement", month));
    let line;
    try {
      line = await call("get", "/merchant/settlements/{month}", { path: { month } });
    } catch (e) {
      main.append(alertBox(e instanceof ApiError && e.status === 409 ? `${month}은(는) 아직 정산되지 않았습니다. ${describe(e)}` : describe(e)));
      return;
    }
    const parts: [string, number][] = [
      ["매출", line.gross],
      ["할인", line.discounts],
      ["환불", line.refunds],
      ["수수료", line.fees],
      ["정산액", line.net],
    ];
    main.append(
      h("h2", {}, `${line.month} 정산`),
      h("dl", { class: "figures" }, ...parts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-figure": k }, won(v))])),
      h("div", { class: "charts" }, barChart(`${line.month} 정산 내역`, `${line.month} 가게 정산 막대 차트`, parts.map(([k]) => k), [{ label: "금액", data: parts.map(([, v]) => v) }])),
    );
  },
};
