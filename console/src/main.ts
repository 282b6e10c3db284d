// The console: sign in from the fragment, pick the role's views, open the one `?view=` names.

import "./style.css";
import { currentSession, forget, isSession, takeTokenFromFragment } from "./auth";
import { configure, describe } from "./client";
import { loadConfig } from "./config";
import { alertBox, h } from "./dom";
import { frame, signInPage, type View } from "./layout";
import { shopMallOrders } from "./views/shop-mall-orders";
import { shopMenu } from "./views/shop-menu";
import { shopOrders } from "./views/shop-orders";
import { shopPayments } from "./views/shop-payments";
import { shopProducts } from "./views/shop-products";
import { shopSettlement } from "./views/shop-settlement";
import { staffAudit } from "./views/staff-audit";
import { staffBudgets } from "./views/staff-budgets";
import { staffCampaigns } from "./views/staff-campaigns";
import { staffNotices } from "./views/staff-notices";
import { staffPolicy } from "./views/staff-policy";
import { staffSettlement } from "./views/staff-settlement";

const STAFF_VIEWS: View[] = [staffSettlement, staffBudgets, staffCampaigns, staffNotices, staffAudit, staffPolicy];
const SHOP_VIEWS: View[] = [shopOrders, shopMallOrders, shopPayments, shopMenu, shopProducts, shopSettlement];

async function boot(root: HTMLElement): Promise<void> {
  takeTokenFromFragment(); // first, before anything waits: the token leaves the address bar at once
  const config = await loadConfig();
  const session = currentSession(config);
  if (!isSession(session)) {
    signInPage(root, config, session.kind, session.kind === "expired" ? session.role : null, session.kind === "role" ? session.groups : []);
    return;
  }
  configure(config.apiBase, session.token, () => {
    forget();
    signInPage(root, config, "unauthorized", session.role);
  });
  const views = session.role === "staff" ? STAFF_VIEWS : SHOP_VIEWS;
  const params = new URLSearchParams(location.search);
  const asked = params.get("view");
  const view = views.find((v) => v.name === asked) ?? views[0];
  const signOut = (): void => {
    forget();
    signInPage(root, config, "none");
  };
  const main = frame(root, session, views, view, signOut);
  if (asked !== null && view.name !== asked) {
    main.append(alertBox(`'${asked}' 화면은 이 역할에서 열 수 없습니다. ${view.title} 화면을 보여 드립니다.`, "info"));
  }
  try {
    await view.render(main, { session, config, params });
  } catch (e) {
    if (main.isConnected) main.append(alertBox(describe(e)));
  }
}

// A new token pasted into this tab's address bar changes only the fragment, which reloads nothing: start over.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("id_token")) {
    takeTokenFromFragment();
    location.reload();
  }
});

const root = document.getElementById("app");
if (root) {
  boot(root).catch((e: unknown) => {
    root.replaceChildren(h("main", {}, h("h1", {}, "서로e음 콘솔"), alertBox(`콘솔을 시작하지 못했습니다: ${describe(e)}`)));
  });
}
