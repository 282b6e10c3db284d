// Building the page without innerHTML: every value from the API goes in as text, never as markup.

export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined | EventListener;

/** An element with attributes (`on…` ones become listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replace everything inside `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A message people must not miss: an error (role="alert") or a notice (role="status"). */
export function alertBox(message: string, kind: "error" | "info" | "ok" = "error"): HTMLElement {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

/** A table with a caption; `numeric` columns are right-aligned (won, counts). */
export function table(caption: string, headers: string[], rows: Child[][], numeric: number[] = []): HTMLTableElement {
  const head = h("tr", {}, ...headers.map((t, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : "" }, t)));
  const body = rows.map((r) =>
    h("tr", {}, ...r.map((cell, i) => h("td", { class: numeric.includes(i) ? "num" : "" }, cell))),
  );
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, head),
    h("tbody", {}, ...(body.length ? body : [h("tr", {}, h("td", { colspan: headers.length }, "없음"))])),
  );
}

/** A labelled input: the label is the accessible name. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}

/** A button with a visible label and, when the label alone is ambiguous, a fuller accessible name. */
export function button(label: string, onClick: () => void | Promise<void>, ariaLabel?: string): HTMLButtonElement {
  const b = h("button", { type: "button", "aria-label": ariaLabel ?? null }, label);
  b.addEventListener("click", () => {
    void onClick();
  });
  return b;
}

/** Run `work` with the button disabled, so one click is one request. */
export async function busy(b: HTMLButtonElement, work: () => Promise<void>): Promise<void> {
  b.disabled = true;
  try {
    await work();
  } finally {
    b.disabled = false;
  }
}
