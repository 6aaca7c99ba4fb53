import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  paymentsEntities,
  paymentsHealth,
  paymentsTrend,
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
