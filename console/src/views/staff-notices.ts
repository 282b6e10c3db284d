// Notice files uploaded to the bucket: what each became, and every problem of a rejected one.

import { call } from "../client";
import { h, table } from "../dom";
import { kstTime } from "../format";
import type { View } from "../layout";
import { statusName } from "../names";

export const staffNotices: View = {
  name: "notices",
  title: "공지 업로드",
  async render(main) {
    const { items } = await call("get", "/staff/notices", { query: { limit: 100 } });
    const rejected = items.filter((n) => n.status === "rejected").length;
    main.append(
      h("p", { class: "lead" }, `업로드 ${items.length}건, 거부 ${rejected}건. 공지는 알림 버킷의 notices/ 아래에 올립니다.`),
      table(
        "공지 파일",
        ["파일", "상태", "제목", "오류", "갱신"],
        items.map((n) => [
          h("code", {}, n.key),
          h("span", { class: `status ${n.status}` }, statusName(n.status)),
          n.title ?? "—",
          n.errors?.length ? h("ul", { class: "errors" }, ...n.errors.map((e) => h("li", {}, h("code", {}, e.field), ": ", e.message))) : "—",
          kstTime(n.updated_at),
        ]),
      ),
    );
  },
};
