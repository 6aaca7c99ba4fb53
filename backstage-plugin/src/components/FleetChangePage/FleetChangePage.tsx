import {
  Content,
  ContentHeader,
  EmptyState,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRefParams } from '@backstage/core-plugin-api';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import { changeRouteRef } from '../../routes';
import { EntityLink, formatTimestamp } from '../common';
import { isNotFound } from '../common/NoHealthPanel';
import { BurnupChart } from './BurnupChart';
import { ChangeTotals } from './ChangeTotals';
import { PausedReasons } from './PausedReasons';
import { StateChip } from './StateChip';
import { TeamComponents } from './TeamComponents';
import { TransitionList } from './TransitionList';
import { WaveRows } from './WaveRows';
import { changeStateLabel, scopeCount, targetLabel } from './changeFormat';

/** Everything the change page shows, read at once. */
function useFleetChange(changeId: string) {
  const api = useApi(techHealthApiRef);
  return useAsync(async () => {
    const [view, burnup, components, transitions] = await Promise.all([
      api.getChange(changeId),
      api.getChangeBurnup(changeId),
      api.getChangeComponents(changeId),
      api.getChangeTransitions(changeId),
    ]);
    return { view, burnup, components, transitions };
  }, [api, changeId]);
}

/**
 * One fleet change as a release dashboard: its waves as rows with each criterion's light,
 * outcome counts, a burn-up, why it is paused, and the components per team.
 */
export const FleetChangeContent = (props: {
  /** Default: the route's `:changeId`. */
  changeId?: string;
}) => {
  const params = useRouteRefParams(changeRouteRef);
  const changeId = props.changeId ?? params.changeId;
  const { loading, error, value } = useFleetChange(changeId);
  if (loading) {
    return <Progress />;
  }
  if (error) {
    return isNotFound(error) ? (
      <WarningPanel title="No such fleet change">
        tech-health has no fleet change with the id {changeId}.
      </WarningPanel>
    ) : (
      <ResponseErrorPanel
        error={error}
        title={`Could not load the fleet change: ${error.message}`}
      />
    );
  }
  if (!value) {
    return null;
  }
  const { view, burnup, components, transitions } = value;
  return (
    <>
      <ContentHeader title={view.name}>
        <StateChip
          state={view.state}
          label={changeStateLabel(view.state, view.wave, view.waves)}
        />
      </ContentHeader>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Typography variant="body2" color="textSecondary">
            {targetLabel(view.target)} · run by{' '}
            <EntityLink entityRef={view.owner} /> · updated{' '}
            {formatTimestamp(view.updatedAt)}
          </Typography>
          {view.description && (
            <Typography variant="body1" style={{ marginTop: 8 }}>
              {view.description}
            </Typography>
          )}
        </Grid>
        {view.pausedReasons.length > 0 && (
          <Grid item xs={12}>
            <PausedReasons reasons={view.pausedReasons} />
          </Grid>
        )}
        <Grid item xs={12}>
          <ChangeTotals totals={view.totals} />
        </Grid>
        <Grid item xs={12}>
          <InfoCard title="Waves" noPadding>
            <WaveRows waves={view.waveViews} />
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="Burn-up">
            {burnup.length === 0 ? (
              <EmptyState
                missing="data"
                title="No outcomes yet"
                description="The burn-up starts with the first pull request reported for this change."
              />
            ) : (
              <BurnupChart points={burnup} scope={scopeCount(view.totals)} />
            )}
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="History">
            <TransitionList transitions={transitions} />
          </InfoCard>
        </Grid>
        <Grid item xs={12}>
          <InfoCard title="Components per team" noPadding>
            <TeamComponents teams={view.teams} components={components} />
          </InfoCard>
        </Grid>
      </Grid>
    </>
  );
};

/** The routable page: header and content, for the route's `:changeId`. */
export const FleetChangePage = () => {
  const { changeId } = useRouteRefParams(changeRouteRef);
  return (
    <Page themeId="tool">
      <Header title="Fleet change" subtitle={changeId} />
      <Content>
        <FleetChangeContent />
      </Content>
    </Page>
  );
};
