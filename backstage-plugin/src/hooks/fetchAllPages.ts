/**
 * Follows `nextCursor` until the last page and returns every item. `maxPages` guards
 * against a service that never stops handing out cursors.
 */
export async function fetchAllPages<T>(
  fetchPage: (
    cursor: string | undefined,
  ) => Promise<{ items: T[]; nextCursor: string | null }>,
  maxPages = 1000,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(cursor);
    items.push(...result.items);
    if (!result.nextCursor) {
      return items;
    }
    cursor = result.nextCursor;
  }
  throw new Error(`Gave up after ${maxPages} pages: the list did not end`);
}
