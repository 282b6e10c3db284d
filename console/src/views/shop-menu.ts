// The delivery menu: the shop's items as editable rows, saved together (PUT replaces the whole menu).

import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace } from "../dom";
import { won } from "../format";
import type { View } from "../layout";

type Item = Schemas["MenuItemOut"];

function row(item: Item, remove: (tr: HTMLTableRowElement) => void): HTMLTableRowElement {
  const n = item.name || "새 메뉴";
  const tr = h(
    "tr",
    { class: "menu-item" },
    h("td", {}, h("input", { type: "text", name: "item_id", value: item.item_id, required: true, maxlength: 64, "aria-label": `${n} 메뉴 id` })),
    h("td", {}, h("input", { type: "text", name: "name", value: item.name, required: true, maxlength: 100, "aria-label": `${n} 이름` })),
    h("td", { class: "num" }, h("input", { type: "number", name: "price", value: item.price || "", min: 1, max: 1_000_000, required: true, "aria-label": `${n} 가격(원)` })),
    h("td", {}, h("input", { type: "checkbox", name: "available", checked: item.available, "aria-label": `${n} 판매 중` })),
  );
  tr.append(h("td", {}, button("삭제", () => remove(tr), `${n} 삭제`)));
  return tr;
}

function read(tr: HTMLTableRowElement): Item {
  const v = (name: string) => (tr.querySelector(`[name=${name}]`) as HTMLInputElement);
  return { item_id: v("item_id").value.trim(), name: v("name").value.trim(), price: Number(v("price").value), available: v("available").checked };
}

export const shopMenu: View = {
  name: "menu",
  title: "메뉴",
  async render(main) {
    const menu = await call("get", "/merchant/menu");
    const notice = h("div");
    const body = h("tbody");
    const remove = (tr: HTMLTableRowElement) => tr.remove();
    for (const item of menu.items) body.append(row(item, remove));
    const add = button("메뉴 추가", () => {
      body.append(row({ item_id: "", name: "", price: 0, available: true }, remove));
    });
    const save = button("저장", () =>
      busy(save, async () => {
        try {
          const saved = await call("put", "/merchant/menu", { body: { items: Array.from(body.rows, read) } });
          replace(notice, alertBox(`메뉴 ${saved.items.length}개를 저장했습니다. (가장 비싼 메뉴 ${won(Math.max(0, ...saved.items.map((i) => i.price)))})`, "ok"));
        } catch (e) {
          replace(notice, alertBox(describe(e)));
        }
      }),
    "메뉴 저장");
    main.append(
      h("p", { class: "lead" }, "메뉴 전체를 한 번에 저장합니다. 판매 중이 아닌 메뉴는 주문할 수 없습니다."),
      h(
        "table",
        { class: "editable" },
        h("caption", {}, "배달 메뉴"),
        h("thead", {}, h("tr", {}, ...["메뉴 id", "이름", "가격(원)", "판매 중", ""].map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
      h("p", { class: "actions" }, add, save),
      notice,
    );
  },
};
