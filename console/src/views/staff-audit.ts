// The audit trail, newest first, filtered by who or what, a page at a time.

import type { paths } from "../api";
import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace, table } from "../dom";
import { kstTime } from "../format";
import type { View } from "../layout";

type Action = NonNullable<NonNullable<paths["/staff/audit"]["get"]["parameters"]["query"]>["action"]>;

const ACTIONS: Action[] = [
  "merchant.register",
  "merchant.malls",
  "merchant.delivery",
  "merchant.location",
  "policy.propose",
  "policy.approve",
  "campaign.open",
  "campaign.close",
  "campaign.reopen",
  "settlement.start",
  "nts.export",
  "clock.set",
];
const PAGE = 25;

function detail(d: Schemas["AuditEntryOut"]["detail"]): string {
  return d && Object.keys(d).length ? JSON.stringify(d) : "—";
}

export const staffAudit: View = {
  name: "audit",
  title: "감사 기록",
  async render(main, ctx) {
    const actor = ctx.params.get("actor") ?? "";
    const action = ctx.params.get("action") ?? "";
    const actorInput = h("input", { type: "text", name: "actor", value: actor, maxlength: 128, placeholder: "예: clerk" });
    const actionSelect = h(
      "select",
      { name: "action" },
      h("option", { value: "" }, "모든 작업"),
      ...ACTIONS.map((a) => h("option", { value: a, selected: a === action }, a)),
    );
    const form = h(
      "form",
      { class: "controls", role: "search", "aria-label": "감사 기록 필터" },
      h("input", { type: "hidden", name: "view", value: "audit" }),
      h("label", { class: "field" }, h("span", {}, "직원"), actorInput),
      h("label", { class: "field" }, h("span", {}, "작업"), actionSelect),
      h("button", { type: "submit" }, "거르기"),
    );
    const rows = h("div", { class: "pages" });
    const notice = h("div");
    main.append(form, notice, rows);

    let next: string | null = null;
    const more = button("더 보기", async () => {
      await busy(more, load);
    }, "감사 기록 더 보기");
    async function load(): Promise<void> {
      try {
        const page = await call("get", "/staff/audit", {
          query: {
            limit: PAGE,
            next: next ?? undefined,
            actor: actor || undefined,
            action: (ACTIONS as string[]).includes(action) ? (action as Action) : undefined,
          },
        });
        rows.append(
          table(
            `감사 기록 ${rows.childElementCount + 1}쪽`,
            ["시각", "직원", "작업", "대상", "내용"],
            page.items.map((e) => [kstTime(e.at), e.actor, h("code", {}, e.action), e.target, h("code", {}, detail(e.detail))]),
          ),
        );
        next = page.next;
        if (next) rows.after(more);
        else more.remove();
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    }
    await load();
  },
};
