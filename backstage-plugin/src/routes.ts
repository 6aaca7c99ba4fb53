import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the fleet eligibility page is mounted. */
export const rootRouteRef = createRouteRef({ id: 'tech-health' });

/** Where the fleet change page is mounted: a path with a `:changeId` parameter. */
export const changeRouteRef = createRouteRef({
  id: 'tech-health-change',
  params: ['changeId'],
});
