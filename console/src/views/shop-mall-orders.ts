// Mall orders to this seller: ship a paid one with its carrier and tracking number, mark it delivered.

import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, field, h, replace, table } from "../dom";
import { kstTime, won } from "../format";
import type { View } from "../layout";
import { mallName, statusName } from "../names";

type MallOrder = Schemas["MallOrderOut"];

function actions(o: MallOrder, redraw: (o: MallOrder) => void): HTMLElement {
  const notice = h("div");
  const id = { order_id: o.order_id };
  const act = (b: HTMLButtonElement, step: () => Promise<MallOrder>) =>
    busy(b, async () => {
      try {
        redraw(await step());
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    });
  if (o.status === "paid") {
    const carrier = h("input", { type: "text", name: "carrier", maxlength: 40, placeholder: "CJ대한통운", required: true });
    const tracking = h("input", { type: "text", name: "tracking", maxlength: 64, placeholder: "1234567890", required: true });
    const ship = button("발송", () =>
      act(ship, () =>
        call("post", "/merchant/mall-orders/{order_id}/ship", {
          path: id,
          body: { carrier: carrier.value.trim(), tracking_number: tracking.value.trim() },
        }),
      ),
    `몰 주문 ${o.order_id} 발송`);
    return h("div", { class: "controls" }, field("택배사", carrier), field("송장 번호", tracking), ship, notice);
  }
  if (o.status === "shipped") {
    const deliver = button("배송 완료", () => act(deliver, () => call("post", "/merchant/mall-orders/{order_id}/deliver", { path: id })), `몰 주문 ${o.order_id} 배송 완료`);
    return h("div", { class: "controls" }, o.tracking ? `${o.tracking.carrier} ${o.tracking.tracking_number} ` : "", deliver, notice);
  }
  return h("div", {}, o.tracking ? `${o.tracking.carrier} ${o.tracking.tracking_number}` : "—");
}

export const shopMallOrders: View = {
  name: "mall-orders",
  title: "몰 주문",
  async render(main) {
    const { items } = await call("get", "/merchant/mall-orders", { query: { limit: 50 } });
    const holder = h("div");
    const orders = [...items];
    const draw = (): void => {
      replace(
        holder,
        table(
          "몰 주문",
          ["주문", "몰", "상태", "상품", "결제", "받는 곳", "주문 시각", "처리"],
          orders.map((o, i) => [
            h("code", {}, o.order_id),
            mallName(o.mall),
            statusName(o.status),
            o.items.map((l) => `${l.name} × ${l.quantity}`).join(", "),
            won(o.paid),
            o.shipping ? `${o.shipping.name} · ${o.shipping.postcode} ${o.shipping.address}` : "(삭제됨)",
            kstTime(o.created_at),
            actions(o, (changed) => {
              orders[i] = changed;
              draw();
            }),
          ]),
          [4],
        ),
      );
    };
    draw();
    main.append(holder);
  },
};
