import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrackDefinition } from '../../api/types';
import {
  eligibilityFirstPage,
  eligibilitySecondPage,
} from '../../testing/fixtures';
import {
  mockTechHealthApi,
  pending,
  renderWithApi,
  type MockTechHealthApi,
} from '../../testing/render';
import { FleetEligibilityPage } from './FleetEligibilityPage';

const tracks: TrackDefinition[] = [
  {
    id: 'basics',
    name: 'Basics',
    description: null,
    required: true,
    levels: [
      { id: 'bronze', name: 'Bronze', checks: [] },
      { id: 'silver', name: 'Silver', checks: [] },
      { id: 'gold', name: 'Gold', checks: [] },
    ],
  },
  {
    id: 'fleet-readiness',
    name: 'Fleet readiness',
    description: null,
    required: true,
    levels: [
      { id: 'bronze', name: 'Bronze', checks: [] },
      { id: 'silver', name: 'Silver', checks: [] },
      { id: 'gold', name: 'Gold', checks: [] },
    ],
  },
];

describe('FleetEligibilityPage', () => {
  let api: MockTechHealthApi;
  beforeEach(() => {
    api = mockTechHealthApi();
    api.getTracks.mockResolvedValue(tracks);
    api.getEligibility.mockImplementation(async ({ cursor }) =>
      cursor === 'c2' ? eligibilitySecondPage : eligibilityFirstPage,
    );
  });
  afterEach(() => vi.restoreAllMocks());

  it('shows progress while loading', async () => {
    api.getTracks.mockImplementation(pending);
    await renderWithApi(<FleetEligibilityPage />, api);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it('tells an orchestrator who is eligible and what blocks the others', async () => {
    await renderWithApi(<FleetEligibilityPage />, api);
    const summary = await screen.findByTestId('eligibility-summary');
    expect(summary).toHaveTextContent('17 components: 10 eligible, 7 blocked');
    expect(
      within(summary).getByText('level-too-low:fleet-readiness<silver: 6'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Billing service' }),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/The default branch is red/).length,
    ).toBeGreaterThan(0);
  });

  it('pages with the cursor, forwards and back', async () => {
    await renderWithApi(<FleetEligibilityPage />, api);
    await screen.findByText('Page 1');
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Page 2')).toBeInTheDocument();
    expect(api.getEligibility).toHaveBeenLastCalledWith({
      limit: 50,
      cursor: 'c2',
    });
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await userEvent.click(
      screen.getByRole('button', { name: 'Previous page' }),
    );
    expect(await screen.findByText('Page 1')).toBeInTheDocument();
  });

  it('filters by owner, track level and eligibility', async () => {
    await renderWithApi(<FleetEligibilityPage />, api);
    await screen.findByText('Page 1');
    await userEvent.type(
      screen.getByLabelText(/Owner/),
      'group:default/payments',
    );
    fireEvent.mouseDown(screen.getByLabelText('Track'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Fleet readiness' }),
    );
    fireEvent.mouseDown(screen.getByLabelText('At least level'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Silver' }),
    );
    fireEvent.mouseDown(screen.getByLabelText('Eligibility'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Blocked' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(api.getEligibility).toHaveBeenLastCalledWith({
        owner: 'group:default/payments',
        track: 'fleet-readiness',
        level: 'silver',
        eligible: false,
        limit: 50,
        cursor: undefined,
      }),
    );
  });

  it('exports every page as CSV', async () => {
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:fleet';
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => {});
    await renderWithApi(<FleetEligibilityPage />, api);
    await screen.findByText('Page 1');
    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(api.getEligibility).toHaveBeenCalledWith({
      limit: 500,
      cursor: 'c2',
    });
    const csv = await new Promise<string>(resolve => {
      // jsdom's Blob has no text(): read it the old way.
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(created[0]);
    });
    expect(csv.trimEnd().split('\r\n')).toHaveLength(18);
    expect(csv).toContain('component:default/tax-rules,');
  });

  it('shows a failed load', async () => {
    api.getEligibility.mockRejectedValue(new Error('unknown track "speed"'));
    await renderWithApi(<FleetEligibilityPage />, api);
    expect(
      (await screen.findAllByText(/unknown track "speed"/)).length,
    ).toBeGreaterThan(0);
  });
});
