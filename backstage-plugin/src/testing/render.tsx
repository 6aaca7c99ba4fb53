import type { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import type { ReactElement } from 'react';
import { vi, type Mock } from 'vitest';
import { techHealthApiRef, type TechHealthApi } from '../api/TechHealthApi';
import { changeRouteRef } from '../routes';

export type MockTechHealthApi = { [K in keyof TechHealthApi]: Mock };

/** A TechHealthApi whose every method is a mock that fails unless a test sets it. */
export function mockTechHealthApi(): MockTechHealthApi {
  const unexpected = (name: string) =>
    vi.fn(() => Promise.reject(new Error(`unexpected call: ${name}`)));
  return {
    getEntityHealth: unexpected('getEntityHealth'),
    refreshEntity: unexpected('refreshEntity'),
    getEntities: unexpected('getEntities'),
    getGroupHealth: unexpected('getGroupHealth'),
    getGroupTrend: unexpected('getGroupTrend'),
    getEligibility: unexpected('getEligibility'),
    getChecks: unexpected('getChecks'),
    getTracks: unexpected('getTracks'),
    getChanges: unexpected('getChanges'),
    getChange: unexpected('getChange'),
    getChangeComponents: unexpected('getChangeComponents'),
    getChangeBurnup: unexpected('getChangeBurnup'),
    getChangeTransitions: unexpected('getChangeTransitions'),
  };
}

/** A promise that never settles: the component stays loading. */
export const pending = () => new Promise<never>(() => {});

export function componentEntity(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default' },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-billing' },
  };
}

export function groupEntity(name: string, title?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default', title },
    spec: { type: 'department', children: [] },
  };
}

/**
 * Renders inside a test app with the mock API and, when given, an entity context and the
 * browser's location (`routeEntries`, default `/`).
 */
export function renderWithApi(
  element: ReactElement,
  api: MockTechHealthApi,
  entity?: Entity,
  routeEntries?: string[],
) {
  return renderInTestApp(
    <TestApiProvider apis={[[techHealthApiRef, api]]}>
      {entity ? (
        <EntityProvider entity={entity}>{element}</EntityProvider>
      ) : (
        element
      )}
    </TestApiProvider>,
    {
      routeEntries,
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        '/tech-health/changes/:changeId': changeRouteRef,
      },
    },
  );
}
