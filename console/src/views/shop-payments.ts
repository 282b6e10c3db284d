// Payments made to this shop in a month, each refundable in whole or in part. Every click sends a new
// Idempotency-Key: a network retry of that click cannot refund twice, and a second click is a second refund.

import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace, table } from "../dom";
import { count, idempotencyKey, isMonth, kstMonth, kstTime, won } from "../format";
import { monthForm, type View } from "../layout";
import { statusName } from "../names";

type Payment = Schemas["MerchantPaymentOut"];
const CHANNELS: Record<Payment["channel"], string> = { store: "매장", delivery: "배달", mall: "몰" };

function refundControl(p: Payment, redraw: (p: Payment) => void): HTMLElement {
  const left = p.paid - p.refunded;
  if (left <= 0) return h("span", {}, "—");
  const notice = h("div");
  const amount = h("input", { type: "number", name: "amount", min: 1, max: left, placeholder: `전액 ${count(left)}`, "aria-label": `결제 ${p.payment_id} 환불 금액 (비우면 전액)` });
  const refund = button("환불", () =>
    busy(refund, async () => {
      const value = amount.value.trim();
      try {
        const done = await call("post", "/merchant/payments/{payment_id}/refunds", {
          path: { payment_id: p.payment_id },
          body: { amount: value ? Number(value) : null },
          idempotencyKey: idempotencyKey("console-refund"),
        });
        redraw({ ...p, ...done });
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    }),
  `결제 ${p.payment_id} 환불`);
  return h("div", { class: "controls" }, amount, refund, notice);
}

export const shopPayments: View = {
  name: "payments",
  title: "결제·환불",
  async render(main, ctx) {
    const month = isMonth(ctx.params.get("month")) ? (ctx.params.get("month") as string) : kstMonth();
    const holder = h("div");
    const notice = h("div");
    main.append(monthForm("payments", month), notice, holder);
    const payments: Payment[] = [];
    let next: string | null = null;
    const more = button("더 보기", () => busy(more, load), "결제 더 보기");
    const draw = (): void => {
      const total = payments.reduce((a, p) => a + p.paid - p.refunded, 0);
      replace(
        holder,
        h("p", { class: "lead" }, `${month} 결제 ${payments.length}건 · 환불 뺀 합계 ${won(total)}`),
        table(
          `${month} 결제`,
          ["시각", "결제", "경로", "정가", "할인", "결제액", "환불액", "상태", "환불"],
          payments.map((p, i) => [
            kstTime(p.created_at),
            h("code", {}, p.payment_id),
            CHANNELS[p.channel] ?? p.channel,
            won(p.list_amount),
            won(p.discount),
            won(p.paid),
            won(p.refunded),
            statusName(p.status),
            refundControl(p, (changed) => {
              payments[i] = changed;
              draw();
            }),
          ]),
          [3, 4, 5, 6],
        ),
        next ? more : null,
      );
    };
    async function load(): Promise<void> {
      try {
        const page = await call("get", "/merchant/payments", { query: { month, limit: 50, next: next ?? undefined } });
        payments.push(...page.items);
        next = page.next;
        draw();
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    }
    await load();
  },
};
