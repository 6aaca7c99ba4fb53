import { Link, Table, type TableColumn } from '@backstage/core-components';
import type { EligibilityRow, TrackDefinition } from '../../api/types';
import { BlockingReasons, EntityLink, shortRef } from '../common';

function levelName(track: TrackDefinition, level: string | null | undefined) {
  if (level === undefined) {
    return 'n/a';
  }
  if (level === null) {
    return 'None';
  }
  return track.levels.find(l => l.id === level)?.name ?? level;
}

/** One page of eligibility rows, sortable within the page. */
export const EligibilityTable = ({
  rows,
  tracks,
  title,
}: {
  rows: EligibilityRow[];
  tracks: TrackDefinition[];
  title: string;
}) => {
  const columns: TableColumn<EligibilityRow>[] = [
    {
      title: 'Component',
      field: 'entity',
      highlight: true,
      render: row => (
        <EntityLink entityRef={row.entity}>
          {row.title ?? shortRef(row.entity)}
        </EntityLink>
      ),
    },
    { title: 'Owner', field: 'owner', render: row => shortRef(row.owner) },
    {
      title: 'Repository',
      field: 'repository.slug',
      render: row =>
        row.repository ? (
          <Link to={row.repository.url}>{row.repository.slug}</Link>
        ) : (
          '—'
        ),
    },
    ...tracks.map((track): TableColumn<EligibilityRow> => ({
      title: track.name,
      render: row => levelName(track, row.levels[track.id]),
      customSort: (a, b) =>
        levelName(track, a.levels[track.id]).localeCompare(
          levelName(track, b.levels[track.id]),
        ),
    })),
    {
      title: 'Eligible',
      field: 'eligible',
      render: row =>
        row.eligible
          ? `Yes${row.wave !== null ? ` (wave ${row.wave})` : ''}`
          : 'No',
    },
    {
      title: 'Blocking reasons',
      sorting: false,
      render: row => <BlockingReasons blocking={row.blocking} dense />,
    },
  ];
  return (
    <Table
      title={title}
      options={{ paging: false, search: false, padding: 'dense' }}
      columns={columns}
      data={rows.map(row => ({ ...row, id: row.entity }))}
      emptyContent={
        <div style={{ padding: 16 }}>No component matches these filters.</div>
      }
    />
  );
};
