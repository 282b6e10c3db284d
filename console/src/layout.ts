// The frame around every view (who is signed in, the views of that role) and the sign-in page, which is
// also where every refused token lands: never a blank page.

import type { Refusal, Role, Session } from "./auth";
import type { Config } from "./config";
import { h, replace } from "./dom";

export interface ViewContext {
  session: Session;
  config: Config;
  params: URLSearchParams;
}

export interface View {
  /** The view's name in `?view=`. */
  name: string;
  /** Its Korean title (the nav link and the page's heading). */
  title: string;
  render(main: HTMLElement, ctx: ViewContext): Promise<void>;
}

export function frame(root: HTMLElement, session: Session, views: View[], current: View, onSignOut: () => void): HTMLElement {
  const who = session.role === "staff" ? `직원 ${session.sub}` : `가게 ${session.merchantId ?? ""} · ${session.sub}`;
  const signOut = h("button", { type: "button", class: "link" }, "로그아웃");
  signOut.addEventListener("click", onSignOut);
  const nav = h(
    "nav",
    { "aria-label": "화면" },
    h(
      "ul",
      {},
      ...views.map((v) =>
        h("li", {}, h("a", { href: `?view=${v.name}`, "aria-current": v === current ? "page" : null }, v.title)),
      ),
    ),
  );
  const main = h("main", { id: "view" }, h("h1", {}, current.title));
  replace(
    root,
    h("header", { class: "top" }, h("strong", {}, "서로e음 콘솔"), h("span", { class: "who" }, who), signOut),
    nav,
    main,
  );
  document.title = `${current.title} · 서로e음 콘솔`;
  return main;
}

const MESSAGES: Record<Refusal["kind"] | "unauthorized", string> = {
  none: "로그인이 필요합니다.",
  malformed: "토큰이 올바르지 않습니다 (JWT 형식이 아닙니다). 다시 로그인하세요.",
  expired: "로그인이 만료되었습니다. 다시 로그인하세요.",
  role: "잘못된 역할입니다. 이 콘솔은 구청 직원과 가게만 사용할 수 있습니다.",
  unauthorized: "API가 이 토큰을 받아들이지 않았습니다 (만료되었거나 유효하지 않습니다). 다시 로그인하세요.",
};

/** The sign-in page, with why the user is there. */
export function signInPage(root: HTMLElement, config: Config, why: Refusal["kind"] | "unauthorized", role: Role | null = null, groups: string[] = []): void {
  const kind = why === "none" ? "info" : "error";
  const message = h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, MESSAGES[why]);
  if (why === "role" && groups.length) message.append(` (토큰의 그룹: ${groups.join(", ")})`);
  const links: HTMLElement[] = [];
  for (const [r, label] of [["staff", "직원 로그인"], ["shop", "가게 로그인"]] as const) {
    const url = config.signIn[r];
    if (url && (role === null || role === r)) links.push(h("a", { href: url, class: "button" }, label));
  }
  const origin = location.origin;
  const local = h(
    "div",
    { class: "local-sign-in" },
    h("p", {}, "로컬 스택에서는 터미널에서 토큰을 받아 주소에 붙여 엽니다:"),
    h(
      "pre",
      {},
      "make -s token ROLE=staff SUB=clerk                       # 직원\n" +
        "make -s token ROLE=merchant SUB=owner1 MERCHANT=m-…      # 가게 (가게 id)\n",
    ),
    h("p", {}, "그 다음 이 주소를 여세요: ", h("code", {}, `${origin}/#id_token=<토큰>`)),
  );
  replace(
    root,
    h("header", { class: "top" }, h("strong", {}, "서로e음 콘솔")),
    h(
      "main",
      { id: "view", class: "sign-in" },
      h("h1", {}, "로그인"),
      message,
      links.length ? h("p", { class: "actions" }, ...links) : local,
    ),
  );
  document.title = "로그인 · 서로e음 콘솔";
}

/** A month picker that opens the same view for another month (`?view=…&month=YYYY-MM`). */
export function monthForm(view: string, month: string, label = "월"): HTMLFormElement {
  const input = h("input", { type: "month", name: "month", value: month, required: true });
  const form = h(
    "form",
    { class: "controls", role: "search", "aria-label": "월 선택" },
    h("label", { class: "field" }, h("span", {}, label), input),
    h("button", { type: "submit" }, "보기"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (/^\d{4}-\d{2}$/.test(input.value)) location.search = `?view=${view}&month=${input.value}`;
  });
  return form;
}
