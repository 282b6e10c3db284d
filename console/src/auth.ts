// Signing in the way Cognito's hosted UI hands a token back (/#id_token=<JWT>). The token is kept in this
// tab's sessionStorage, taken out of the address bar at once, and sent only in the API's Authorization
// header. It is decoded here to choose the views, never verified: the API verifies every request.

import type { Config } from "./config";

const KEY = "seoro.console.id_token";

export type Role = "staff" | "shop";

export interface Session {
  token: string;
  role: Role;
  sub: string;
  merchantId: string | null;
  expiresAt: number;
}

/** Why there is no usable session; each has its own message and a way to sign in again. */
export type Refusal =
  | { kind: "none" }
  | { kind: "malformed" }
  | { kind: "expired"; role: Role | null }
  | { kind: "role"; groups: string[] };

interface Claims {
  sub?: unknown;
  exp?: unknown;
  iss?: unknown;
  "cognito:groups"?: unknown;
  "custom:merchant_id"?: unknown;
}

/** Move a token from the fragment into sessionStorage and clear the fragment from the address bar. */
export function takeTokenFromFragment(): void {
  if (!location.hash) return;
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("id_token");
  // Whatever the fragment held (Cognito also sends access_token, state, …), none of it stays visible.
  history.replaceState(null, "", location.pathname + location.search);
  if (token) sessionStorage.setItem(KEY, token);
}

export function forget(): void {
  sessionStorage.removeItem(KEY);
}

function decodePayload(token: string): Claims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === "object" && !Array.isArray(claims) ? (claims as Claims) : null;
  } catch {
    return null;
  }
}

/** The role a token's claims give: staff (the staff group, or the staff pool's issuer), a shop, or none. */
export function roleOf(claims: Claims, config: Config): Role | null {
  const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"].map(String) : [];
  if (groups.includes("staff") || (config.staffIssuer && claims.iss === config.staffIssuer)) return "staff";
  if (groups.includes("merchants") && typeof claims["custom:merchant_id"] === "string") return "shop";
  return null;
}

/** The signed-in session, or why there is none (a bad token is forgotten at once). */
export function currentSession(config: Config, now: number = Date.now()): Session | Refusal {
  const token = sessionStorage.getItem(KEY);
  if (!token) return { kind: "none" };
  const claims = decodePayload(token);
  if (claims === null || typeof claims.sub !== "string") {
    forget();
    return { kind: "malformed" };
  }
  const role = roleOf(claims, config);
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= now) {
    forget();
    return { kind: "expired", role };
  }
  if (role === null) {
    forget();
    const groups = Array.isArray(claims["cognito:groups"]) ? claims["cognito:groups"].map(String) : [];
    return { kind: "role", groups };
  }
  const merchantId = typeof claims["custom:merchant_id"] === "string" ? claims["custom:merchant_id"] : null;
  return { token, role, sub: claims.sub, merchantId, expiresAt: claims.exp * 1000 };
}

export function isSession(s: Session | Refusal): s is Session {
  return "token" in s;
}
