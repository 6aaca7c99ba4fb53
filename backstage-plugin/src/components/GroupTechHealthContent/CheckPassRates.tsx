import { Table, type TableColumn } from '@backstage/core-components';
import type { GroupCheckStats } from '../../api/types';
import { formatPercent } from '../common';

const columns: TableColumn<GroupCheckStats>[] = [
  { title: 'Check', field: 'name', highlight: true },
  {
    title: 'Pass rate',
    field: 'passRate',
    type: 'numeric',
    defaultSort: 'asc',
    render: row => formatPercent(row.passRate),
    customSort: (a, b) => (a.passRate ?? 101) - (b.passRate ?? 101),
  },
  { title: 'Pass', field: 'pass', type: 'numeric' },
  { title: 'Fail', field: 'fail', type: 'numeric' },
  { title: 'Unknown', field: 'unknown', type: 'numeric' },
  { title: 'Exempt', field: 'exempt', type: 'numeric' },
  { title: 'Not applicable', field: 'notApplicable', type: 'numeric' },
];

/** Pass rate of every check over the group's components, worst first. */
export const CheckPassRates = ({ checks }: { checks: GroupCheckStats[] }) => (
  <Table
    title="Pass rate per check"
    options={{ paging: false, search: true, padding: 'dense' }}
    columns={columns}
    data={checks.map(check => ({ ...check, id: check.id }))}
  />
);
