import { Table, type TableColumn } from '@backstage/core-components';
import type { GroupSummary } from '../../api/types';
import { EntityLink, formatPercent, shortRef } from '../common';

function levelColumns(groups: GroupSummary[]): TableColumn<GroupSummary>[] {
  const tracks = groups[0]?.tracks ?? [];
  return tracks.map(track => ({
    title: `${track.name}: top level`,
    sorting: false,
    render: (row: GroupSummary) => {
      const distribution =
        row.tracks.find(t => t.id === track.id)?.distribution ?? [];
      const top = distribution[distribution.length - 1];
      return top ? `${top.count} at ${top.name}` : '—';
    },
  }));
}

/** The direct child groups (teams of a department), sortable. */
export const ChildGroupsTable = ({ groups }: { groups: GroupSummary[] }) => {
  const columns: TableColumn<GroupSummary>[] = [
    {
      title: 'Group',
      field: 'title',
      highlight: true,
      customSort: (a, b) =>
        (a.title ?? a.group).localeCompare(b.title ?? b.group),
      render: row => (
        <EntityLink entityRef={row.group}>
          {row.title ?? shortRef(row.group)}
        </EntityLink>
      ),
    },
    { title: 'Components', field: 'components', type: 'numeric' },
    {
      title: 'Golden',
      field: 'goldenPercent',
      type: 'numeric',
      render: row => `${formatPercent(row.goldenPercent)} (${row.golden})`,
    },
    {
      title: 'Eligible',
      field: 'eligiblePercent',
      type: 'numeric',
      render: row => `${formatPercent(row.eligiblePercent)} (${row.eligible})`,
    },
    ...levelColumns(groups),
  ];
  return (
    <Table
      title="Child groups"
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={groups.map(group => ({ ...group, id: group.group }))}
    />
  );
};
