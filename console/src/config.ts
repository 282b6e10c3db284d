// /config.json, served beside the app (locally by devstack/console_server.py, in the cloud from the bucket).

export interface Config {
  /** Where the API is, on this origin: "/api". */
  apiBase: string;
  /** Cognito's hosted UI for each pool (it returns to this app with #id_token=…); null locally. */
  signIn: { staff: string | null; shop: string | null };
  stage: string;
  /** The staff pool's issuer: every token it signs is staff (absent or null locally: one issuer). */
  staffIssuer?: string | null;
}

const FALLBACK: Config = { apiBase: "/api", signIn: { staff: null, shop: null }, stage: "local", staffIssuer: null };

/** The configuration, or the local defaults when the file is missing or unreadable. */
export async function loadConfig(): Promise<Config> {
  try {
    const r = await fetch("/config.json", { cache: "no-store", credentials: "omit" });
    if (!r.ok) return FALLBACK;
    const c = (await r.json()) as Partial<Config>;
    return {
      apiBase: typeof c.apiBase === "string" && c.apiBase.startsWith("/") ? c.apiBase.replace(/\/$/, "") : "/api",
      signIn: { staff: c.signIn?.staff ?? null, shop: c.signIn?.shop ?? null },
      stage: typeof c.stage === "string" ? c.stage : "local",
      staffIssuer: c.staffIssuer ?? null,
    };
  } catch {
    return FALLBACK;
  }
}
