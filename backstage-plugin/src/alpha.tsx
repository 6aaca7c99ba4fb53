import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { compatWrapper } from '@backstage/core-compat-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { techHealthApiRef } from './api/TechHealthApi';
import { TechHealthClient } from './api/TechHealthClient';
import { changeRouteRef, rootRouteRef } from './routes';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';

/** The tech-health client, from discovery and fetch. */
export const techHealthApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: techHealthApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new TechHealthClient({ discoveryApi, fetchApi }),
    }),
});

/** Overview card on component pages. */
export const techHealthEntityCard = EntityCardBlueprint.make({
  name: 'overview',
  params: {
    filter: 'kind:component',
    loader: () =>
      import('./components/EntityTechHealthCard').then(m =>
        compatWrapper(<m.EntityTechHealthCard />),
      ),
  },
});

/** "Tech health" tab on component pages. */
export const techHealthEntityContent = EntityContentBlueprint.make({
  name: 'entity',
  params: {
    path: '/tech-health',
    title: 'Tech health',
    filter: 'kind:component',
    loader: () =>
      import('./components/EntityTechHealthContent').then(m =>
        compatWrapper(<m.EntityTechHealthContent />),
      ),
  },
});

/** "Tech health" tab on group pages (teams and departments). */
export const techHealthGroupContent = EntityContentBlueprint.make({
  name: 'group',
  params: {
    path: '/tech-health',
    title: 'Tech health',
    filter: 'kind:group',
    loader: () =>
      import('./components/GroupTechHealthContent').then(m =>
        compatWrapper(<m.GroupTechHealthContent />),
      ),
  },
});

/** The fleet eligibility page at /tech-health. */
export const techHealthPage = PageBlueprint.make({
  params: {
    path: '/tech-health',
    title: 'Fleet eligibility',
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () =>
      import('./components/FleetEligibilityPage').then(m =>
        compatWrapper(<m.FleetEligibilityContent />),
      ),
  },
});

/** One fleet change at /tech-health/changes/:changeId. */
export const techHealthChangePage = PageBlueprint.make({
  name: 'change',
  params: {
    path: '/tech-health/changes/:changeId',
    title: 'Fleet change',
    routeRef: convertLegacyRouteRef(changeRouteRef),
    loader: () =>
      import('./components/FleetChangePage').then(m =>
        compatWrapper(<m.FleetChangeContent />),
      ),
  },
});

/** The tech-health plugin for Backstage's new frontend system. */
export default createFrontendPlugin({
  pluginId: 'tech-health',
  title: 'Tech health',
  routes: {
    root: convertLegacyRouteRef(rootRouteRef),
    change: convertLegacyRouteRef(changeRouteRef),
  },
  extensions: [
    techHealthApi,
    techHealthEntityCard,
    techHealthEntityContent,
    techHealthGroupContent,
    techHealthPage,
    techHealthChangePage,
  ],
});
