// Money is integer won, rates basis points, months YYYY-MM in Korea's time (KST, UTC+9, no daylight saving).

const number = new Intl.NumberFormat("ko-KR");

/** 12345 → "12,345원". */
export function won(amount: number | null | undefined): string {
  return amount === null || amount === undefined ? "—" : `${number.format(amount)}원`;
}

/** A count with thousands separators: 12345 → "12,345". */
export function count(n: number): string {
  return number.format(n);
}

/** Basis points as a percent: 450 → "4.5%". */
export function percentBp(bp: number): string {
  return `${number.format(bp / 100)}%`;
}

/** A share as a whole percent, 0 when there is nothing to divide by. */
export function share(part: number, whole: number | null): number {
  return whole && whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0;
}

/** The month (KST) `offset` months from the one `now` falls in. */
export function kstMonth(offset = 0, now: Date = new Date()): string {
  const kst = new Date(now.getTime() + 9 * 3600 * 1000);
  return addMonths(`${kst.getUTCFullYear()}-${String(kst.getUTCMonth() + 1).padStart(2, "0")}`, offset);
}

export function addMonths(month: string, offset: number): string {
  const [y, m] = month.split("-").map(Number);
  const index = y * 12 + (m - 1) + offset;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

export function isMonth(value: string | null): value is string {
  return value !== null && /^\d{4}-(0[1-9]|1[0-2])$/.test(value);
}

/** An ISO time as Korean local time, "2026-12-01 14:05". */
export function kstTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const kst = new Date(t + 9 * 3600 * 1000).toISOString();
  return `${kst.slice(0, 10)} ${kst.slice(11, 16)}`;
}

/** A fresh Idempotency-Key: one per click, so a retried click never refunds twice. */
export function idempotencyKey(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
