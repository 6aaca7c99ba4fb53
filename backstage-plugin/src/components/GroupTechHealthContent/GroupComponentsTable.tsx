import {
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import type { EntitySummary, TrackDistribution } from '../../api/types';
import { fetchAllPages } from '../../hooks/fetchAllPages';
import { EntityLink, shortRef } from '../common';

const PAGE_SIZE = 500;

function levelName(track: TrackDistribution, level: string | null | undefined) {
  if (level === undefined) {
    return 'n/a';
  }
  return (
    track.distribution.find(d => d.level === level)?.name ?? level ?? 'None'
  );
}

function levelRank(track: TrackDistribution, level: string | null | undefined) {
  return level === undefined
    ? -1
    : track.distribution.findIndex(d => d.level === level);
}

/** Every component the group owns (recursively), with its levels, golden state and eligibility. */
export const GroupComponentsTable = ({
  groupRef,
  tracks,
}: {
  groupRef: string;
  tracks: TrackDistribution[];
}) => {
  const api = useApi(techHealthApiRef);
  const { loading, error, value } = useAsync(
    () =>
      fetchAllPages(cursor =>
        api.getEntities({ owner: groupRef, limit: PAGE_SIZE, cursor }),
      ),
    [api, groupRef],
  );
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return (
      <ResponseErrorPanel
        error={error}
        title={`Could not load the components: ${error.message}`}
      />
    );
  }

  const columns: TableColumn<EntitySummary>[] = [
    {
      title: 'Component',
      field: 'name',
      highlight: true,
      render: row => (
        <EntityLink entityRef={row.entity}>{row.title ?? row.name}</EntityLink>
      ),
    },
    { title: 'Owner', field: 'owner', render: row => shortRef(row.owner) },
    ...tracks.map((track): TableColumn<EntitySummary> => ({
      title: track.name,
      customSort: (a, b) =>
        levelRank(track, a.levels[track.id]) -
        levelRank(track, b.levels[track.id]),
      render: row => levelName(track, row.levels[track.id]),
    })),
    {
      title: 'Golden',
      field: 'golden',
      render: row => (row.golden ? 'Yes' : 'No'),
    },
    {
      title: 'Eligible',
      field: 'eligible',
      render: row =>
        row.eligible
          ? 'Yes'
          : `No (${row.blocking.map(reason => reason.code).join(', ')})`,
    },
  ];

  return (
    <Table
      title={`Components (${value?.length ?? 0})`}
      options={{ paging: true, pageSize: 20, search: true, padding: 'dense' }}
      columns={columns}
      data={(value ?? []).map(row => ({ ...row, id: row.entity }))}
      emptyContent={
        <div style={{ padding: 16 }}>This group owns no components.</div>
      }
    />
  );
};
