// Incoming 배달서구 orders, live: the list is fetched every few seconds, a new order appears without a
// reload, and each order's next step (accept with an ETA, reject with a reason, dispatch, deliver) is a
// button on it. A card is rebuilt only when its order changed, so what the owner is typing stays.

import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, field, h, replace } from "../dom";
import { kstTime, won } from "../format";
import type { View } from "../layout";
import { statusName } from "../names";
import { every } from "../poll";

type Order = Schemas["OrderOut"];
export const POLL_MS = 3000;

function card(order: Order, onChange: (o: Order) => void): HTMLElement {
  const label = `주문 ${order.order_id}`;
  const notice = h("div");
  const act = (b: HTMLButtonElement, step: () => Promise<Order>) =>
    busy(b, async () => {
      try {
        onChange(await step());
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    });
  const id = { order_id: order.order_id };
  const actions: HTMLElement[] = [];
  if (order.status === "placed") {
    const eta = h("input", { type: "number", name: "eta", min: 1, max: 240, value: 30, required: true });
    const reason = h("input", { type: "text", name: "reason", maxlength: 200, placeholder: "예: 재료 소진" });
    const accept = button("수락", () =>
      act(accept, () => call("post", "/merchant/orders/{order_id}/accept", { path: id, body: { eta_minutes: Number(eta.value) } })),
    `${label} 수락`);
    const reject = button("거절", () =>
      act(reject, () => call("post", "/merchant/orders/{order_id}/reject", { path: id, body: { reason: reason.value.trim() } })),
    `${label} 거절`);
    actions.push(
      h("div", { class: "controls" }, field("도착 예정(분)", eta), accept),
      h("div", { class: "controls" }, field("거절 사유", reason), reject),
    );
  } else if (order.status === "accepted") {
    const dispatch = button("배달 출발", () => act(dispatch, () => call("post", "/merchant/orders/{order_id}/dispatch", { path: id })), `${label} 배달 출발`);
    actions.push(h("div", { class: "controls" }, dispatch));
  } else if (order.status === "dispatched") {
    const deliver = button("배달 완료", () => act(deliver, () => call("post", "/merchant/orders/{order_id}/deliver", { path: id })), `${label} 배달 완료`);
    actions.push(h("div", { class: "controls" }, deliver));
  }
  return h(
    "article",
    { class: `order ${order.status}`, "data-order-id": order.order_id, "data-status": order.status, "aria-label": label },
    h(
      "header",
      {},
      h("strong", {}, order.order_id),
      h("span", { class: `status ${order.status}` }, statusName(order.status)),
      h("time", { datetime: order.created_at }, kstTime(order.created_at)),
    ),
    h("ul", { class: "lines" }, ...order.items.map((l) => h("li", {}, `${l.name} × ${l.quantity}`, h("span", { class: "num" }, won(l.amount))))),
    h(
      "p",
      { class: "meta" },
      `${order.dong ?? ""} ${order.address ?? ""}`.trim() || "주소 없음",
      order.request ? ` · 요청: ${order.request}` : "",
    ),
    h(
      "p",
      { class: "meta" },
      `결제 ${won(order.paid)} (배달비 ${won(order.delivery_fee)})`,
      order.eta_minutes ? ` · 도착 예정 ${order.eta_minutes}분` : "",
      order.reason ? ` · 거절 사유: ${order.reason}` : "",
    ),
    ...actions,
    notice,
  );
}

export const shopOrders: View = {
  name: "orders",
  title: "배달 주문",
  async render(main) {
    const checked = h("p", { class: "lead", role: "status" }, "주문을 불러오는 중…");
    const notice = h("div");
    const list = h("div", { class: "orders", "aria-label": "배달 주문 목록" });
    main.append(checked, notice, list);
    const cards = new Map<string, { order: Order; el: HTMLElement }>();
    const put = (o: Order): HTMLElement => {
      const seen = cards.get(o.order_id);
      if (seen && JSON.stringify(seen.order) === JSON.stringify(o)) return seen.el;
      const el = card(o, (changed) => {
        put(changed);
      });
      seen?.el.replaceWith(el);
      cards.set(o.order_id, { order: o, el });
      return el;
    };
    every(POLL_MS, () => list.isConnected, async () => {
      try {
        const { items } = await call("get", "/merchant/orders", { query: { limit: 50 } });
        for (const o of items) list.append(put(o)); // in the API's order, newest first; existing nodes move
        if (!items.length) replace(list, alertBox("아직 주문이 없습니다.", "info"));
        else list.querySelector(":scope > .message")?.remove();
        const waiting = items.filter((o) => o.status === "placed").length;
        replace(checked, `새 주문 ${waiting}건 · ${POLL_MS / 1000}초마다 확인 · 마지막 확인 ${new Date().toLocaleTimeString("ko-KR")}`);
        notice.replaceChildren();
      } catch (e) {
        replace(notice, alertBox(describe(e)));
        throw e;
      }
    });
  },
};
