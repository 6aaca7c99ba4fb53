import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { beforeEach, describe, expect, it } from 'vitest';
import { TechHealthError } from '../../api/TechHealthError';
import {
  log4jBurnup,
  log4jChange,
  log4jComponents,
  log4jTransitions,
} from '../../testing/fixtures';
import {
  mockTechHealthApi,
  pending,
  renderWithApi,
  type MockTechHealthApi,
} from '../../testing/render';
import { FleetChangeContent, FleetChangePage } from './FleetChangePage';

const id = log4jChange.id;

/** The page as an app mounts it: at a path with `:changeId`, opened at this change. */
const renderPage = (api: MockTechHealthApi) =>
  renderWithApi(
    <Routes>
      <Route
        path="/tech-health/changes/:changeId"
        element={<FleetChangePage />}
      />
    </Routes>,
    api,
    undefined,
    [`/tech-health/changes/${id}`],
  );

describe('FleetChangePage', () => {
  let api: MockTechHealthApi;
  beforeEach(() => {
    api = mockTechHealthApi();
    api.getChange.mockResolvedValue(log4jChange);
    api.getChangeBurnup.mockResolvedValue(log4jBurnup);
    api.getChangeComponents.mockResolvedValue(log4jComponents);
    api.getChangeTransitions.mockResolvedValue(log4jTransitions);
  });

  it('shows progress while loading', async () => {
    api.getChange.mockImplementation(pending);
    await renderPage(api);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it('tells a fleet owner why the log4j change stopped in wave 2, and where each wave stands', async () => {
    await renderPage(api);
    expect(
      await screen.findByText('log4j-core 2.17.1 everywhere'),
    ).toBeInTheDocument();
    expect(api.getChange).toHaveBeenCalledWith(id);
    expect(api.getChangeBurnup).toHaveBeenCalledWith(id);
    expect(api.getChangeComponents).toHaveBeenCalledWith(id);
    expect(screen.getByText('Paused in wave 2 (silver)')).toBeInTheDocument();

    // The paused reasons, with the components behind them linking to the catalog.
    const reasons = screen.getByRole('list', { name: 'Paused reasons' });
    expect(reasons).toHaveTextContent(
      'Failed share: wave 2 (silver): 2 of 4 changes failed CI or were reverted (50%), more than the 25% allowed',
    );
    expect(
      within(reasons).getByRole('link', { name: 'payment-gateway-adapter' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payment-gateway-adapter',
    );
    expect(
      within(reasons).getByRole('link', { name: 'podcast-catalog' }),
    ).toBeInTheDocument();

    // Totals over every wave: 6 started + 1 planned.
    expect(screen.getByLabelText('Components: 7')).toBeInTheDocument();
    expect(screen.getByLabelText('Merged: 3')).toBeInTheDocument();
    expect(screen.getByLabelText('Open: 3')).toBeInTheDocument();
    expect(screen.getByLabelText('Failed: 2')).toBeInTheDocument();
    expect(screen.getByLabelText('Planned: 1')).toBeInTheDocument();

    // Waves as rows: two complete, silver paused with its failure criterion red, rest planned.
    const waves = screen.getByRole('table', { name: 'Waves' });
    expect(within(waves).getAllByRole('row')).toHaveLength(5);
    expect(screen.getByTestId('wave-0')).toHaveAttribute(
      'data-state',
      'complete',
    );
    expect(screen.getByTestId('wave-3')).toHaveAttribute(
      'data-state',
      'planned',
    );
    const silver = screen.getByTestId('wave-2');
    expect(silver).toHaveAttribute('data-state', 'paused');
    expect(silver).toHaveTextContent(
      '1 merged, 3 open, 2 failed, 0 pending of 4',
    );
    const red = within(silver).getByLabelText('Failed share: red');
    expect(red).toHaveTextContent(
      '2 of 4 failed CI or reverted (50%; at most 25% allowed)',
    );
    expect(red).toHaveTextContent('payment-gateway-adapter, podcast-catalog');
    expect(within(silver).getByLabelText('Merged share: amber')).toBeVisible();
    expect(within(silver).getByLabelText('Soak time: green')).toBeVisible();
    expect(
      within(screen.getByTestId('wave-1')).queryByLabelText(/: (red|amber)$/),
    ).toBeNull();

    // The burn-up: one step per outcome, ending with 3 merged, 3 open, 2 failed.
    const chart = screen.getByRole('img', { name: /^Burn-up of 7 components/ });
    expect(chart.getAttribute('aria-label')).toMatch(
      /now 3 merged, 3 open, 2 failed\.$/,
    );
    expect(
      chart.querySelectorAll('[data-series="merged"] circle'),
    ).toHaveLength(log4jBurnup.length);

    // Components per team, with their outcomes.
    const discovery = screen.getByTestId('team-team-discovery');
    expect(discovery).toHaveTextContent('search-service (merged)');
    expect(discovery).toHaveTextContent('podcast-catalog (ci failed)');
    expect(discovery).toHaveTextContent('playlist-service (planned, wave 3)');
    expect(
      within(discovery).getAllByRole('link', { name: /pull request/ }),
    ).toHaveLength(2);

    // The history, newest first: the controller's pause.
    const history = screen.getByRole('list', { name: 'Transitions' });
    expect(within(history).getAllByRole('listitem')[0]).toHaveTextContent(
      'wave-2-active → paused',
    );
  });

  it('says when there are no outcomes yet', async () => {
    api.getChangeBurnup.mockResolvedValue([]);
    await renderWithApi(<FleetChangeContent changeId={id} />, api);
    expect(await screen.findByText('No outcomes yet')).toBeInTheDocument();
  });

  it('says when the change does not exist', async () => {
    api.getChange.mockRejectedValue(
      new TechHealthError('no fleet change `nope`', 404, 'not-found'),
    );
    await renderWithApi(<FleetChangeContent changeId="nope" />, api);
    expect(await screen.findByText(/No such fleet change/)).toBeInTheDocument();
  });

  it('shows errors', async () => {
    api.getChangeTransitions.mockRejectedValue(new Error('store unavailable'));
    await renderWithApi(<FleetChangeContent changeId={id} />, api);
    expect(
      (await screen.findAllByText(/store unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
