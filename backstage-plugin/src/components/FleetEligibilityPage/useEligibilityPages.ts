import { useApi } from '@backstage/core-plugin-api';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import type { EligibilityQuery } from '../../api/types';
import type { EligibilityFilterValues } from './EligibilityFilters';

export const PAGE_SIZE = 50;

/** The API query for the filters shown on the page. */
export function toQuery(filters: EligibilityFilterValues): EligibilityQuery {
  return {
    owner: filters.owner.trim() || undefined,
    track: filters.track && filters.level ? filters.track : undefined,
    level: filters.track && filters.level ? filters.level : undefined,
    eligible: filters.eligible === '' ? undefined : filters.eligible === 'true',
  };
}

/**
 * Cursor paging through the eligibility list: the cursors of the pages already seen are
 * kept, so "previous" needs no help from the service.
 */
export function useEligibilityPages(filters: EligibilityFilterValues) {
  const api = useApi(techHealthApiRef);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [filterKey, setFilterKey] = useState(JSON.stringify(filters));
  const key = JSON.stringify(filters);
  if (key !== filterKey) {
    // New filters start again at the first page.
    setFilterKey(key);
    setCursors([undefined]);
  }
  const cursor = cursors[cursors.length - 1];
  const state = useAsync(
    () => api.getEligibility({ ...toQuery(filters), limit: PAGE_SIZE, cursor }),
    [api, key, cursor],
  );
  const nextCursor = state.value?.nextCursor ?? null;
  return {
    ...state,
    pageNumber: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: nextCursor !== null,
    next: () => nextCursor && setCursors(current => [...current, nextCursor]),
    previous: () => setCursors(current => current.slice(0, -1)),
  };
}
