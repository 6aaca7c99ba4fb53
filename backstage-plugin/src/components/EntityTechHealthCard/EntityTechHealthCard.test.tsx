import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { TechHealthError } from '../../api/TechHealthError';
import {
  billingServiceHealth,
  checkoutApiHealth,
} from '../../testing/fixtures';
import {
  componentEntity,
  mockTechHealthApi,
  pending,
  renderWithApi,
  type MockTechHealthApi,
} from '../../testing/render';
import { EntityTechHealthCard } from './EntityTechHealthCard';

describe('EntityTechHealthCard', () => {
  let api: MockTechHealthApi;
  beforeEach(() => {
    api = mockTechHealthApi();
  });

  it('shows progress while the health loads', async () => {
    api.getEntityHealth.mockImplementation(pending);
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it("tells a squad its component's levels, what fails and why it is blocked", async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );

    expect(await screen.findByText('Not golden')).toBeInTheDocument();
    expect(api.getEntityHealth).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'billing-service',
    });
    const basics = screen.getByTestId('track-basics');
    expect(
      within(basics).getByLabelText('Basics level: Silver'),
    ).toBeInTheDocument();
    expect(
      within(basics).getByText('2 of 3 Gold checks pass'),
    ).toBeInTheDocument();
    const fleet = screen.getByTestId('track-fleet-readiness');
    expect(within(fleet).getByText('Bronze')).toBeInTheDocument();

    const eligibility = screen.getByTestId('eligibility');
    expect(
      within(eligibility).getByText('Blocked from automated fleet changes'),
    ).toBeInTheDocument();
    expect(
      within(eligibility).getByText(/The default branch is red/),
    ).toBeInTheDocument();
    expect(within(eligibility).getByText('(ci-red)')).toBeInTheDocument();

    const java = screen.getByTestId('failing-java-17');
    expect(within(java).getByText('Java 17.0.5 or newer')).toBeInTheDocument();
    expect(within(java).getByText(/Raise the toolchain/)).toBeInTheDocument();
    expect(
      within(java).getByRole('link', { name: /Golden path: Java/ }),
    ).toHaveAttribute('href', 'https://golden-path.acme.example/tech/java');
    expect(screen.getByText(/^Evaluated/)).toBeInTheDocument();
  });

  it('shows a golden, eligible component with its wave', async () => {
    api.getEntityHealth.mockResolvedValue(checkoutApiHealth);
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('checkout-api'),
    );
    expect(await screen.findByText('Golden')).toBeInTheDocument();
    expect(
      screen.getByText('Eligible for automated fleet changes (wave 1)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Every applicable check passes.'),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Top level reached')).toHaveLength(4);
  });

  it('re-evaluates on refresh and shows the new result', async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    api.refreshEntity.mockResolvedValue({
      ...billingServiceHealth,
      golden: true,
    });
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );
    await screen.findByText('Not golden');
    await userEvent.click(
      screen.getByRole('button', { name: 'Refresh tech health' }),
    );
    expect(await screen.findByText('Golden')).toBeInTheDocument();
    expect(api.refreshEntity).toHaveBeenCalledTimes(1);
  });

  it("shows the service's error message", async () => {
    api.getEntityHealth.mockRejectedValue(
      new TechHealthError('database is locked', 503, 'unavailable'),
    );
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );
    expect(
      await screen.findByText(/Could not load tech health/),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/database is locked/).length).toBeGreaterThan(0);
  });

  it('says so when the service does not know the entity', async () => {
    api.getEntityHealth.mockRejectedValue(
      new TechHealthError(
        'No entity component:default/new-thing',
        404,
        'not-found',
      ),
    );
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('new-thing'),
    );
    expect(
      await screen.findByText(/No tech health for this entity/),
    ).toBeInTheDocument();
  });

  it('says which facts could not be refreshed, and why', async () => {
    api.getEntityHealth.mockResolvedValue({
      ...billingServiceHealth,
      stale: [
        {
          collector: 'github',
          reason: 'api.github.com answered 502 Bad Gateway',
          since: '2026-11-28T10:00:00Z',
          observedAt: '2026-11-27T09:00:00Z',
        },
      ],
    });
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );
    expect(
      await screen.findByText(/Some facts could not be refreshed \(github\)/),
    ).toBeInTheDocument();
    expect(screen.getByText(/answered 502 Bad Gateway/)).toBeInTheDocument();
  });

  it('keeps the result and reports a failed refresh', async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    api.refreshEntity.mockRejectedValue(new Error('refresh timed out'));
    await renderWithApi(
      <EntityTechHealthCard />,
      api,
      componentEntity('billing-service'),
    );
    await screen.findByText('Not golden');
    await userEvent.click(
      screen.getByRole('button', { name: 'Refresh tech health' }),
    );
    await waitFor(() =>
      expect(screen.getAllByText(/refresh timed out/).length).toBeGreaterThan(
        0,
      ),
    );
    expect(screen.getByText('Not golden')).toBeInTheDocument();
  });
});
