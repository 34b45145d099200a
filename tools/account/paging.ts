// Pages of a paginated AWS call, with the guards the SDK's paginators lack: a NextToken that comes
// back a second time would page forever, and an answer that never ends would fill memory, so both
// stop the listing with an error naming the call.

import { createHash } from "crypto";

import { PreviewError } from "../preview/errors";

export interface PageLimits {
  /** The most items the listing may hold in all. */
  items: number;
  /** The most pages it may take. */
  pages: number;
  /** The option that raises the limits, for the message. */
  option: string;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

/** Each page of `operation` in turn; `call` fetches the page a token names (none for the first). */
export async function* guardedPages<T>(operation: string, limits: PageLimits, call: (token?: string) => Promise<Page<T>>): AsyncGenerator<T[]> {
  // Digests, not the tokens themselves: memory stays small whatever size a token has.
  const seen = new Set<string>();
  let token: string | undefined;
  let items = 0;
  for (let pages = 1; ; pages++) {
    const page = await call(token);
    items += page.items.length;
    if (items > limits.items) {
      throw new PreviewError(`${operation} listed more than ${limits.items.toLocaleString("en")} items; stopped there (raise the limit with ${limits.option})`);
    }
    yield page.items;
    if (!page.next) return;
    const digest = createHash("sha256").update(page.next).digest("base64");
    if (seen.has(digest)) {
      throw new PreviewError(`${operation} answered a NextToken it had already given, on page ${pages}: the listing would never end`);
    }
    if (pages >= limits.pages) {
      throw new PreviewError(`${operation} took more than ${limits.pages.toLocaleString("en")} pages; stopped there (raise the limit with ${limits.option})`);
    }
    seen.add(digest);
    token = page.next;
  }
}
