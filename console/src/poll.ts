// Views that follow something live (incoming orders, a settlement run) refresh on a timer, which stops
// when the view is gone or the API no longer accepts the token.

import { ApiError } from "./client";

/** Call `tick` now and then every `ms` while `alive()`; a 401 ends it (the sign-in page has taken over). */
export function every(ms: number, alive: () => boolean, tick: () => Promise<boolean | void>): void {
  const run = async (): Promise<void> => {
    if (!alive()) return;
    let again: boolean | void = true;
    try {
      again = await tick();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
    }
    if (again !== false && alive()) window.setTimeout(() => void run(), ms);
  };
  void run();
}
