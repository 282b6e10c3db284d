// The one way the console reaches the API: same origin, under the configured base ("/api"), the token in
// the Authorization header and nowhere else. Paths, bodies and answers are typed from the API's own
// OpenAPI document (api.d.ts, generated: `make console-types`), so the build fails when a route changes.

import type { components, paths } from "./api";

export type Schemas = components["schemas"];
type Method = "get" | "put" | "post" | "delete";
type Json<R> = R extends { content: { "application/json": infer J } } ? J : never;
type Success<O> = O extends { responses: infer R } ? Json<R[200 & keyof R]> | Json<R[201 & keyof R]> | Json<R[202 & keyof R]> : never;
type PathParams<O> = O extends { parameters: { path: infer P } } ? P : never;
type Query<O> = O extends { parameters: { query?: infer Q } } ? Q : never;
type Body<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

export interface Options<O> {
  path?: PathParams<O>;
  query?: Query<O>;
  body?: Body<O>;
  idempotencyKey?: string;
}

/** An answer other than 2xx, with the API's error code and message (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let base = "/api";
let token = "";
let onUnauthorized: (() => void) | null = null;

export function configure(apiBase: string, bearer: string, unauthorized: () => void): void {
  base = apiBase;
  token = bearer;
  onUnauthorized = unauthorized;
}

function expand(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? "")));
}

/** Call `method path`; resolves with the typed answer or rejects with an ApiError (a 401 also signs out). */
export async function call<P extends keyof paths, M extends Method & keyof paths[P]>(
  method: M,
  path: P,
  options: Options<paths[P][M]> = {},
): Promise<Success<paths[P][M]>> {
  let url = base + expand(path as string, options.path as Record<string, unknown> | undefined);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries((options.query ?? {}) as Record<string, unknown>)) {
    if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
  }
  if ([...query].length) url += `?${query.toString()}`;
  const headers: Record<string, string> = { Accept: "application/json", Authorization: `Bearer ${token}` };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(url, {
      method: (method as string).toUpperCase(),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "API에 연결할 수 없습니다. 네트워크나 로컬 스택이 실행 중인지 확인하세요.");
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) return data as Success<paths[P][M]>;
  const error = (data as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const failure = new ApiError(
    response.status,
    typeof error?.code === "string" ? error.code : `HTTP_${response.status}`,
    typeof error?.message === "string" ? error.message : `API가 ${response.status}로 답했습니다.`,
  );
  if (response.status === 401 && onUnauthorized) onUnauthorized();
  throw failure;
}

/** What to show for a failed call: the API's own message, with its code. */
export function describe(e: unknown): string {
  if (e instanceof ApiError) return e.status ? `${e.message} (${e.code}, ${e.status})` : e.message;
  return e instanceof Error ? e.message : String(e);
}
