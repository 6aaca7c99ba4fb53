/**
 * Development harness: the plugin's components in a Backstage dev app, talking to a real
 * tech-health service. The harness server (dev/harness.mjs) serves this page and proxies
 * `/api/...` to the service, so the discovery API answers with this page's own origin.
 */
import { createDevApp } from '@backstage/dev-utils';
import { createRoot } from 'react-dom/client';
import { discoveryApiRef, createApiFactory } from '@backstage/core-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { Content, Header, Page } from '@backstage/core-components';
import {
  EntityTechHealthCard,
  EntityTechHealthContent,
  FleetChangePage,
  FleetEligibilityPage,
  GroupTechHealthContent,
  techHealthPlugin,
} from '../src';

function entityFromQuery(
  kind: 'Component' | 'Group',
  fallback: string,
): Entity {
  const name =
    new URLSearchParams(window.location.search).get('name') ?? fallback;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind,
    metadata: { name, namespace: 'default' },
    spec: {},
  };
}

const ComponentPage = () => {
  const entity = entityFromQuery('Component', 'checkout-api');
  return (
    <EntityProvider entity={entity}>
      <Page themeId="service">
        <Header title={entity.metadata.name} subtitle="component" />
        <Content>
          <Grid container spacing={3}>
            <Grid item xs={12} md={5}>
              <EntityTechHealthCard />
            </Grid>
            <Grid item xs={12} md={7}>
              <EntityTechHealthContent />
            </Grid>
          </Grid>
        </Content>
      </Page>
    </EntityProvider>
  );
};

const GroupPage = () => {
  const entity = entityFromQuery('Group', 'payments');
  return (
    <EntityProvider entity={entity}>
      <Page themeId="home">
        <Header title={entity.metadata.name} subtitle="group" />
        <Content>
          <GroupTechHealthContent />
        </Content>
      </Page>
    </EntityProvider>
  );
};

// The harness has no auth backend: sign in as the legacy guest without asking.
localStorage.setItem('enableLegacyGuestToken', 'true');
localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');

const App = createDevApp()
  .registerPlugin(techHealthPlugin)
  .registerApi(
    createApiFactory({
      api: discoveryApiRef,
      deps: {},
      factory: () => ({
        getBaseUrl: async () => window.location.origin,
      }),
    }),
  )
  .addPage({
    path: '/component',
    title: 'Component',
    element: <ComponentPage />,
  })
  .addPage({ path: '/group', title: 'Group', element: <GroupPage /> })
  .addPage({
    path: '/fleet',
    title: 'Fleet',
    element: <FleetEligibilityPage />,
  })
  // No sidebar entry: the group page links to each change.
  .addPage({ path: '/changes/:changeId', element: <FleetChangePage /> })
  .build();

createRoot(document.getElementById('root')!).render(<App />);
