import {
  Content,
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useMemo, useState } from 'react';
import type { Status } from '../../api/types';
import { useEntityHealth } from '../../hooks/useEntityHealth';
import {
  ALL_STATUSES,
  EvaluatedAt,
  GoldenBadge,
  StaleFactsNotice,
} from '../common';
import { NoHealthPanel, isNotFound } from '../common/NoHealthPanel';
import { CheckList } from './CheckList';
import { countStatuses, groupChecks } from './groupChecks';
import { StatusFilter } from './StatusFilter';

/** Every check of an entity, grouped by track and level, filterable by status. */
export const EntityTechHealthContent = () => {
  const { loading, error, health, refreshing, refresh } = useEntityHealth();
  const [statuses, setStatuses] = useState<Set<Status>>(
    () => new Set(ALL_STATUSES),
  );
  const grouped = useMemo(
    () => (health ? groupChecks(health, statuses) : undefined),
    [health, statuses],
  );

  if (loading) {
    return <Progress />;
  }
  if (error) {
    return isNotFound(error) ? (
      <NoHealthPanel />
    ) : (
      <ResponseErrorPanel
        error={error}
        title={`Could not load tech health: ${error.message}`}
      />
    );
  }
  if (!health || !grouped) {
    return <NoHealthPanel />;
  }

  return (
    <Content noPadding>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Box
            display="flex"
            alignItems="center"
            flexWrap="wrap"
            style={{ gap: 16 }}
          >
            <GoldenBadge golden={health.golden} />
            <EvaluatedAt at={health.evaluatedAt} />
            <Button
              variant="outlined"
              size="small"
              onClick={() => refresh()}
              disabled={refreshing}
            >
              {refreshing ? 'Re-evaluating…' : 'Re-evaluate now'}
            </Button>
          </Box>
        </Grid>
        {health.stale.length > 0 && (
          <Grid item xs={12}>
            <StaleFactsNotice stale={health.stale} />
          </Grid>
        )}
        <Grid item xs={12}>
          <StatusFilter
            selected={statuses}
            counts={countStatuses(health.checks)}
            onChange={setStatuses}
          />
        </Grid>
        {grouped.groups.length === 0 && grouped.other.length === 0 && (
          <Grid item xs={12}>
            <EmptyState
              missing="data"
              title="No checks match"
              description="No check has one of the selected statuses."
            />
          </Grid>
        )}
        {grouped.groups.map(group => (
          <Grid item xs={12} key={`${group.trackId}/${group.levelId}`}>
            <InfoCard
              title={`${group.trackName} · ${group.levelName}`}
              subheader={`${group.achieved ? 'Achieved' : 'Not achieved'} — ${
                group.passing
              } of ${group.total} error checks pass`}
            >
              <CheckList
                checks={group.checks}
                idPrefix={`${group.trackId}-${group.levelId}`}
              />
            </InfoCard>
          </Grid>
        ))}
        {grouped.other.length > 0 && (
          <Grid item xs={12}>
            <InfoCard title="Other checks" subheader="Not part of any track">
              <CheckList checks={grouped.other} idPrefix="other" />
            </InfoCard>
          </Grid>
        )}
        <Grid item xs={12}>
          <Typography variant="caption" color="textSecondary">
            A level is held when every applicable error check of it and of every
            lower level passes or is exempt. Warnings never block.
          </Typography>
        </Grid>
      </Grid>
    </Content>
  );
};
