// 서로도움 campaigns: raised against target for each, as bars, with the figures beside them.

import { barChart } from "../charts";
import { call } from "../client";
import { h, table } from "../dom";
import { count, share, won } from "../format";
import type { View } from "../layout";

export const staffCampaigns: View = {
  name: "campaigns",
  title: "서로도움 캠페인",
  async render(main) {
    const { items } = await call("get", "/campaigns", { query: { limit: 100 } });
    const campaigns = [...items].sort((a, b) => Number(b.active) - Number(a.active));
    main.append(
      h(
        "div",
        { class: "charts" },
        barChart(
          "모금액과 목표",
          "캠페인별 모금액과 목표 막대 차트",
          campaigns.map((c) => c.title),
          [
            { label: "모금액", data: campaigns.map((c) => c.raised) },
            { label: "목표", data: campaigns.map((c) => c.target) },
          ],
          { horizontal: true },
        ),
      ),
      table(
        "캠페인 진행",
        ["캠페인", "분류", "모금액", "목표", "달성률", "기부자", "상태"],
        campaigns.map((c) => [
          c.title,
          c.category,
          won(c.raised),
          won(c.target),
          h("span", {}, h("progress", { max: 100, value: Math.min(share(c.raised, c.target), 100), "aria-label": `${c.title} 달성률` }), ` ${share(c.raised, c.target)}%`),
          `${count(c.donors)}명`,
          c.active ? "진행 중" : "마감",
        ]),
        [2, 3, 4, 5],
      ),
    );
  },
};
