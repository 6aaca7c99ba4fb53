import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  paymentsEntities,
  paymentsHealth,
  paymentsTrend,
  teamDiscoveryChanges,
} from '../../testing/fixtures';
import {
  groupEntity,
  mockTechHealthApi,
  pending,
  renderWithApi,
  type MockTechHealthApi,
} from '../../testing/render';
import { GroupTechHealthContent } from './GroupTechHealthContent';

const payments = groupEntity('payments', 'Payments');

describe('GroupTechHealthContent', () => {
  let api: MockTechHealthApi;
  beforeEach(() => {
    api = mockTechHealthApi();
    api.getGroupHealth.mockResolvedValue(paymentsHealth);
    api.getGroupTrend.mockResolvedValue(paymentsTrend);
    api.getEntities.mockResolvedValue(paymentsEntities);
    api.getChanges.mockResolvedValue([]);
  });

  it('shows progress while loading', async () => {
    api.getGroupHealth.mockImplementation(pending);
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it("answers a department lead: how healthy are my teams' components", async () => {
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(await screen.findByLabelText('Components: 17')).toBeInTheDocument();
    expect(screen.getByLabelText('Golden: 18%')).toBeInTheDocument();
    expect(screen.getByText('3 of 17 components')).toBeInTheDocument();
    expect(screen.getByLabelText('Eligible: 59%')).toBeInTheDocument();
    expect(api.getGroupHealth).toHaveBeenCalledWith('group:default/payments');

    expect(
      screen.getByRole('img', {
        name: /^Fleet readiness levels: None: 3, Bronze: 3, Silver: 7, Gold: 4$/,
      }),
    ).toBeInTheDocument();

    // Child groups: the three teams, with links to their pages.
    const checkout = screen.getByRole('link', { name: 'Checkout' });
    expect(checkout).toHaveAttribute(
      'href',
      '/catalog/default/group/team-checkout',
    );
    expect(screen.getByRole('link', { name: 'Billing' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Fraud' })).toBeInTheDocument();
  });

  it("lists the group's components from every page", async () => {
    api.getEntities
      .mockResolvedValueOnce({
        ...paymentsEntities,
        items: paymentsEntities.items.slice(0, 10),
        nextCursor: 'p2',
      })
      .mockResolvedValueOnce({
        ...paymentsEntities,
        items: paymentsEntities.items.slice(10),
        nextCursor: null,
      });
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(await screen.findByText('Components (17)')).toBeInTheDocument();
    expect(api.getEntities).toHaveBeenCalledWith({
      owner: 'group:default/payments',
      limit: 500,
      cursor: 'p2',
    });
    expect(screen.getByRole('link', { name: 'Tax rules' })).toBeInTheDocument();
  });

  it('shows pass rates, worst first', async () => {
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    const table = (await screen.findByText('Pass rate per check')).closest(
      'div[class*="MuiPaper"]',
    ) as HTMLElement;
    const rows = within(table).getAllByRole('row');
    // Header, then the check with the lowest pass rate.
    expect(rows[1]).toHaveTextContent('Test coverage at least 80%');
  });

  it('draws the trend and switches to 90 days', async () => {
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    const chart = await screen.findByRole('img', {
      name: /Golden and eligible share of Payments over the last 30 days/,
    });
    expect(chart.getAttribute('aria-label')).toContain(
      'Golden from 5.9% to 18%',
    );
    expect(
      chart.querySelectorAll('[data-series="golden"] circle'),
    ).toHaveLength(7);
    await userEvent.click(screen.getByRole('button', { name: '90 days' }));
    await waitFor(() =>
      expect(api.getGroupTrend).toHaveBeenLastCalledWith(
        'group:default/payments',
        90,
      ),
    );
    expect(screen.getByRole('button', { name: '90 days' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  });

  it('says when there is no history yet', async () => {
    api.getGroupTrend.mockResolvedValue({
      group: 'group:default/payments',
      days: 30,
      points: [],
    });
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(await screen.findByText('No history yet')).toBeInTheDocument();
  });

  it("lists the team's open fleet changes, linking to each change's page", async () => {
    api.getChanges.mockResolvedValue(teamDiscoveryChanges);
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    const table = await screen.findByRole('table', {
      name: 'Open fleet changes',
    });
    expect(api.getChanges).toHaveBeenCalledWith({
      team: 'group:default/payments',
      open: true,
    });
    const [change] = teamDiscoveryChanges;
    expect(
      within(table).getByRole('link', { name: change.name }),
    ).toHaveAttribute('href', `/tech-health/changes/${change.id}`);
    // The team's own counts: 3 of its components, 1 merged, 1 failed, 1 still planned.
    const row = screen.getByTestId(`change-${change.id}`);
    expect(row).toHaveTextContent('Paused in wave 2');
    expect(row).toHaveTextContent('log4j-core <2.17.1');
    expect(
      within(row)
        .getAllByRole('cell')
        .slice(2)
        .map(cell => cell.textContent),
    ).toEqual(['3', '1', '1', '1']);
  });

  it('says when no open fleet change touches the group', async () => {
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(
      await screen.findByText(
        "No open fleet change touches Payments's components.",
      ),
    ).toBeInTheDocument();
  });

  it('shows errors', async () => {
    api.getGroupHealth.mockRejectedValue(
      new Error('Group group:default/payments: store unavailable'),
    );
    await renderWithApi(<GroupTechHealthContent />, api, payments);
    expect(
      (await screen.findAllByText(/store unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
