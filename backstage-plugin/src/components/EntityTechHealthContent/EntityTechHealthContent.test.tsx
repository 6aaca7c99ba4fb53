import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EntityHealth } from '../../api/types';
import {
  billingServiceHealth,
  docsSiteGeneratorHealth,
} from '../../testing/fixtures';
import {
  componentEntity,
  mockTechHealthApi,
  pending,
  renderWithApi,
  type MockTechHealthApi,
} from '../../testing/render';
import { EntityTechHealthContent } from './EntityTechHealthContent';
import { groupChecks } from './groupChecks';

/** billing-service with an exemption on java-17, as the service reports one. */
const exempted: EntityHealth = {
  ...billingServiceHealth,
  checks: billingServiceHealth.checks.map(check =>
    check.id === 'java-17'
      ? {
          ...check,
          status: 'exempt',
          message: 'Exempt until 2027-03-31.',
          exemption: {
            justification:
              'Java 21 migration scheduled with the ledger split (BILL-812)',
            expires: '2027-03-31T00:00:00Z',
            author: 'priya.raman',
          },
        }
      : check,
  ),
};

describe('EntityTechHealthContent', () => {
  let api: MockTechHealthApi;
  beforeEach(() => {
    api = mockTechHealthApi();
  });

  it('shows progress while loading', async () => {
    api.getEntityHealth.mockImplementation(pending);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it('groups every check by track and level', async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    expect(await screen.findByText('Golden Tech · Silver')).toBeInTheDocument();
    expect(screen.getByText('Basics · Bronze')).toBeInTheDocument();
    expect(screen.getByText('Operations · Gold')).toBeInTheDocument();
    // supported-build-system is in two tracks and shows under both.
    expect(screen.getAllByText('Supported build system')).toHaveLength(2);
    expect(
      screen.getByText(/Not achieved — 1 of 4 error checks pass/),
    ).toBeInTheDocument();
  });

  it('filters by status', async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    await screen.findByText('Basics · Bronze');
    await userEvent.click(screen.getByRole('checkbox', { name: /^Pass \(/ }));
    await userEvent.click(
      screen.getByRole('checkbox', { name: /^Not applicable/ }),
    );
    // Basics Bronze passes entirely: nothing left to show there.
    expect(screen.queryByText('Basics · Bronze')).not.toBeInTheDocument();
    expect(screen.getByText('Java 17.0.5 or newer')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('checkbox', { name: /^Fail/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /^Unknown/ }));
    await userEvent.click(screen.getByRole('checkbox', { name: /^Exempt/ }));
    expect(screen.getByText('No checks match')).toBeInTheDocument();
  });

  it('shows the facts a check read', async () => {
    api.getEntityHealth.mockResolvedValue(billingServiceHealth);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: /Java 17.0.5 or newer/ }),
    );
    const facts = await screen.findByRole('table', {
      name: 'Facts read by Java 17.0.5 or newer',
    });
    expect(within(facts).getByText('javaVersion')).toBeInTheDocument();
    expect(within(facts).getByText('"11.0.21"')).toBeInTheDocument();
  });

  it('names the missing facts that make a check unknown', async () => {
    api.getEntityHealth.mockResolvedValue(docsSiteGeneratorHealth);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('docs-site-generator'),
    );
    const [first] = await screen.findAllByRole('button', {
      name: /Has automated tests/,
    });
    await userEvent.click(first);
    expect(
      await screen.findAllByTestId('missing-fact-hasTests'),
    ).not.toHaveLength(0);
    expect(
      screen.getAllByTestId('missing-fact-testFileCount'),
    ).not.toHaveLength(0);
  });

  it('shows an exemption with its justification', async () => {
    api.getEntityHealth.mockResolvedValue(exempted);
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: /Java 17.0.5 or newer/ }),
    );
    const exemption = await screen.findByTestId('exemption-java-17');
    expect(exemption).toHaveTextContent(
      'Java 21 migration scheduled with the ledger split',
    );
    expect(exemption).toHaveTextContent('priya.raman');
    expect(exemption).toHaveTextContent('2027-03-31');
  });

  it('shows the error', async () => {
    api.getEntityHealth.mockRejectedValue(new Error('connection refused'));
    await renderWithApi(
      <EntityTechHealthContent />,
      api,
      componentEntity('billing-service'),
    );
    expect(
      (await screen.findAllByText(/connection refused/)).length,
    ).toBeGreaterThan(0);
  });
});

describe('groupChecks', () => {
  it('puts checks used by no track under "other"', () => {
    const health: EntityHealth = {
      ...billingServiceHealth,
      checks: [
        ...billingServiceHealth.checks,
        { ...billingServiceHealth.checks[0], id: 'loose', usedIn: [] },
      ],
    };
    const { other } = groupChecks(health, new Set(['pass', 'fail']));
    expect(other.map(check => check.id)).toEqual(['loose']);
  });
});
