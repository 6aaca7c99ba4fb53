import {
  Content,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import { EvaluatedAt } from '../common';
import { isNotFound } from '../common/NoHealthPanel';
import { CheckPassRates } from './CheckPassRates';
import { ChildGroupsTable } from './ChildGroupsTable';
import { GroupChangesCard } from './GroupChangesCard';
import { GroupComponentsTable } from './GroupComponentsTable';
import { LevelDistribution } from './LevelDistribution';
import { SummaryTiles } from './SummaryTiles';
import { TrendCard } from './TrendCard';

/** Tech health of a team or department: every component owned by it or the groups below. */
export const GroupTechHealthContent = () => {
  const { entity } = useEntity();
  const api = useApi(techHealthApiRef);
  const groupRef = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
  const {
    loading,
    error,
    value: health,
  } = useAsync(() => api.getGroupHealth(groupRef), [api, groupRef]);

  if (loading) {
    return <Progress />;
  }
  if (error) {
    return isNotFound(error) ? (
      <WarningPanel title="No tech health for this group">
        tech-health does not know this group yet.
      </WarningPanel>
    ) : (
      <ResponseErrorPanel
        error={error}
        title={`Could not load tech health: ${error.message}`}
      />
    );
  }
  if (!health) {
    return null;
  }
  const groupName =
    health.title ?? entity.metadata.title ?? entity.metadata.name;

  return (
    <Content noPadding>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Box
            display="flex"
            alignItems="flex-end"
            justifyContent="space-between"
            flexWrap="wrap"
          >
            <SummaryTiles summary={health} />
            <EvaluatedAt at={health.evaluatedAt} />
          </Box>
        </Grid>
        {health.components === 0 && (
          <Grid item xs={12}>
            <WarningPanel title="No components">
              {groupName} and the groups below it own no components, so there is
              nothing to score.
            </WarningPanel>
          </Grid>
        )}
        <Grid item xs={12} md={6}>
          <InfoCard title="Levels">
            <LevelDistribution tracks={health.tracks} />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <TrendCard groupRef={groupRef} groupName={groupName} />
        </Grid>
        <Grid item xs={12}>
          <GroupChangesCard groupRef={groupRef} groupName={groupName} />
        </Grid>
        {health.children.length > 0 && (
          <Grid item xs={12}>
            <ChildGroupsTable groups={health.children} />
          </Grid>
        )}
        <Grid item xs={12}>
          <GroupComponentsTable groupRef={groupRef} tracks={health.tracks} />
        </Grid>
        <Grid item xs={12}>
          <CheckPassRates checks={health.checks} />
        </Grid>
      </Grid>
    </Content>
  );
};
