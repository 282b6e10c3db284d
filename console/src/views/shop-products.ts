// Mall products: each row edited and saved on its own (PUT /merchant/products/{id}); a new one by its id.

import { call, describe, type Schemas } from "../client";
import { alertBox, busy, button, h, replace } from "../dom";
import { won } from "../format";
import type { View } from "../layout";
import { MALL_IDS, mallName } from "../names";

type Product = Schemas["ProductOut"];
type Mall = Schemas["ProductIn"]["mall"];

function row(p: Product | null): HTMLTableRowElement {
  const n = p?.name ?? "새 상품";
  const notice = h("div");
  const idInput = h("input", { type: "text", name: "product_id", value: p?.product_id ?? "", maxlength: 64, required: true, readonly: p !== null, "aria-label": `${n} 상품 id` });
  const mall = h("select", { name: "mall", "aria-label": `${n} 몰` }, ...MALL_IDS.map((m) => h("option", { value: m, selected: p?.mall === m }, mallName(m))));
  const name = h("input", { type: "text", name: "name", value: p?.name ?? "", maxlength: 100, required: true, "aria-label": `${n} 이름` });
  const price = h("input", { type: "number", name: "price", value: p?.price ?? "", min: 1, required: true, "aria-label": `${n} 가격(원)` });
  const stock = h("input", { type: "number", name: "stock", value: p?.stock ?? 0, min: 0, required: true, "aria-label": `${n} 재고` });
  const fee = h("input", { type: "number", name: "shipping_fee", value: p?.shipping_fee ?? 0, min: 0, required: true, "aria-label": `${n} 배송비(원)` });
  const save = button("저장", () =>
    busy(save, async () => {
      try {
        const saved = await call("put", "/merchant/products/{product_id}", {
          path: { product_id: idInput.value.trim() },
          body: { mall: mall.value as Mall, name: name.value.trim(), price: Number(price.value), stock: Number(stock.value), shipping_fee: Number(fee.value) },
        });
        idInput.readOnly = true;
        replace(notice, alertBox(`저장했습니다: ${saved.name} ${won(saved.price)}, 재고 ${saved.stock}`, "ok"));
      } catch (e) {
        replace(notice, alertBox(describe(e)));
      }
    }),
  `${n} 저장`);
  return h(
    "tr",
    { class: "product" },
    ...[idInput, mall, name, price, stock, fee].map((el) => h("td", {}, el)),
    h("td", {}, save, notice),
  );
}

export const shopProducts: View = {
  name: "products",
  title: "몰 상품",
  async render(main) {
    const { items } = await call("get", "/merchant/products", { query: { limit: 100 } });
    const body = h("tbody", {}, ...items.map(row));
    const add = button("상품 추가", () => {
      body.append(row(null));
    });
    main.append(
      h("p", { class: "lead" }, "상품마다 저장합니다. 승인받은 몰에만 올릴 수 있습니다."),
      h(
        "table",
        { class: "editable" },
        h("caption", {}, "몰 상품"),
        h("thead", {}, h("tr", {}, ...["상품 id", "몰", "이름", "가격(원)", "재고", "배송비(원)", ""].map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
      h("p", { class: "actions" }, add),
    );
  },
};
