import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the fleet eligibility page is mounted. */
export const rootRouteRef = createRouteRef({ id: 'tech-health' });
