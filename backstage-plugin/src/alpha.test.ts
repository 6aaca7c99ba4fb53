import { renderTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { techHealthChangePage } from './alpha';
import { techHealthApiRef } from './api/TechHealthApi';
import {
  log4jBurnup,
  log4jChange,
  log4jComponents,
  log4jTransitions,
} from './testing/fixtures';
import { mockTechHealthApi } from './testing/render';

describe('the new frontend system', () => {
  it('shows a fleet change at /tech-health/changes/:changeId', async () => {
    const api = mockTechHealthApi();
    api.getChange.mockResolvedValue(log4jChange);
    api.getChangeBurnup.mockResolvedValue(log4jBurnup);
    api.getChangeComponents.mockResolvedValue(log4jComponents);
    api.getChangeTransitions.mockResolvedValue(log4jTransitions);
    renderTestApp({
      extensions: [techHealthChangePage],
      initialRouteEntries: [`/tech-health/changes/${log4jChange.id}`],
      apis: [[techHealthApiRef, api]],
    });
    // The app boots and loads the page lazily: slower than one component.
    expect(
      await screen.findByText('Paused in wave 2 (silver)', undefined, {
        timeout: 15_000,
      }),
    ).toBeInTheDocument();
    expect(api.getChange).toHaveBeenCalledWith(log4jChange.id);
  });
});
