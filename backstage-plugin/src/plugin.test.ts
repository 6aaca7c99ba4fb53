import { describe, expect, it } from 'vitest';
import alphaPlugin from './alpha';
import {
  EntityTechHealthCard,
  EntityTechHealthContent,
  FleetChangePage,
  FleetEligibilityPage,
  GroupTechHealthContent,
  changeRouteRef,
  techHealthPlugin,
} from './index';

describe('tech-health plugin', () => {
  it('exports the legacy plugin and its extensions', () => {
    expect(techHealthPlugin.getId()).toBe('tech-health');
    expect(techHealthPlugin.getApis()).toHaveLength(1);
    for (const extension of [
      EntityTechHealthCard,
      EntityTechHealthContent,
      GroupTechHealthContent,
      FleetEligibilityPage,
      FleetChangePage,
    ]) {
      expect(extension).toBeInstanceOf(Function);
    }
    expect(techHealthPlugin.routes.change).toBe(changeRouteRef);
    expect(changeRouteRef.params).toEqual(['changeId']);
  });

  it('exports the new frontend system plugin from ./alpha', () => {
    expect(alphaPlugin.id).toBe('tech-health');
    const ids = [
      'api:tech-health',
      'entity-card:tech-health/overview',
      'entity-content:tech-health/entity',
      'entity-content:tech-health/group',
      'page:tech-health',
      'page:tech-health/change',
    ];
    for (const id of ids) {
      expect(alphaPlugin.getExtension(id as never)).toBeDefined();
    }
  });
});
