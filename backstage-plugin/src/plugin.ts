import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { techHealthApiRef } from './api/TechHealthApi';
import { TechHealthClient } from './api/TechHealthClient';
import { changeRouteRef, rootRouteRef } from './routes';

/** The tech-health plugin for Backstage's legacy frontend system. */
export const techHealthPlugin = createPlugin({
  id: 'tech-health',
  apis: [
    createApiFactory({
      api: techHealthApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new TechHealthClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    change: changeRouteRef,
  },
});

/** Card for an entity's overview: levels, golden state, failing checks, eligibility. */
export const EntityTechHealthCard = techHealthPlugin.provide(
  createComponentExtension({
    name: 'EntityTechHealthCard',
    component: {
      lazy: () =>
        import('./components/EntityTechHealthCard').then(
          m => m.EntityTechHealthCard,
        ),
    },
  }),
);

/** Entity tab: every check by track and level, with facts and exemptions. */
export const EntityTechHealthContent = techHealthPlugin.provide(
  createComponentExtension({
    name: 'EntityTechHealthContent',
    component: {
      lazy: () =>
        import('./components/EntityTechHealthContent').then(
          m => m.EntityTechHealthContent,
        ),
    },
  }),
);

/** Group tab for a team or department: distributions, pass rates, trend. */
export const GroupTechHealthContent = techHealthPlugin.provide(
  createComponentExtension({
    name: 'GroupTechHealthContent',
    component: {
      lazy: () =>
        import('./components/GroupTechHealthContent').then(
          m => m.GroupTechHealthContent,
        ),
    },
  }),
);

/** Routable page: fleet eligibility with filters and CSV export. */
export const FleetEligibilityPage = techHealthPlugin.provide(
  createRoutableExtension({
    name: 'FleetEligibilityPage',
    component: () =>
      import('./components/FleetEligibilityPage').then(
        m => m.FleetEligibilityPage,
      ),
    mountPoint: rootRouteRef,
  }),
);

/**
 * Routable page: one fleet change (waves, criteria, counts, burn-up, pause reasons, teams).
 * Mount it at a path with a `:changeId` parameter, e.g. `/tech-health/changes/:changeId`.
 */
export const FleetChangePage = techHealthPlugin.provide(
  createRoutableExtension({
    name: 'FleetChangePage',
    component: () =>
      import('./components/FleetChangePage').then(m => m.FleetChangePage),
    mountPoint: changeRouteRef,
  }),
);
