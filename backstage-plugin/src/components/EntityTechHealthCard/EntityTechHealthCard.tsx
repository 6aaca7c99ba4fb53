import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Divider from '@material-ui/core/Divider';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { useEntityHealth } from '../../hooks/useEntityHealth';
import { EvaluatedAt, GoldenBadge, StaleFactsNotice } from '../common';
import { NoHealthPanel, isNotFound } from '../common/NoHealthPanel';
import { EligibilitySummary } from './EligibilitySummary';
import { FailingChecks } from './FailingChecks';
import { TrackLevels } from './TrackLevels';

const Section = ({
  title,
  children,
}: {
  title: string;
  children: React.ReactNode;
}) => (
  <Box component="section" mt={2} aria-label={title}>
    <Typography variant="overline" component="h2">
      {title}
    </Typography>
    {children}
  </Box>
);

/** Tech health at a glance, for an entity's overview page. */
export const EntityTechHealthCard = () => {
  const { loading, error, health, refreshing, refreshError, refresh } =
    useEntityHealth();

  const action = (
    <Tooltip title="Re-evaluate now">
      <span>
        <IconButton
          aria-label="Refresh tech health"
          onClick={() => refresh()}
          disabled={refreshing || loading}
        >
          <RefreshIcon />
        </IconButton>
      </span>
    </Tooltip>
  );

  let body: React.ReactNode;
  if (loading) {
    body = <Progress />;
  } else if (error && !isNotFound(error)) {
    body = (
      <ResponseErrorPanel
        error={error}
        title={`Could not load tech health: ${error.message}`}
      />
    );
  } else if (!health) {
    body = <NoHealthPanel />;
  } else {
    body = (
      <>
        <Box display="flex" alignItems="center" justifyContent="space-between">
          <GoldenBadge golden={health.golden} />
          <EvaluatedAt at={health.evaluatedAt} />
        </Box>
        {health.stale.length > 0 && (
          <Box mt={2}>
            <StaleFactsNotice stale={health.stale} />
          </Box>
        )}
        {refreshing && <Progress />}
        {refreshError && (
          <Box mt={2}>
            <ResponseErrorPanel
              error={refreshError}
              title={`Refresh failed: ${refreshError.message}`}
            />
          </Box>
        )}
        <Section title="Levels">
          <TrackLevels tracks={health.tracks} />
        </Section>
        <Divider />
        <Section title="Fleet eligibility">
          <EligibilitySummary eligibility={health.eligibility} />
        </Section>
        <Divider />
        <Section title="Failing checks">
          <FailingChecks checks={health.checks} />
        </Section>
      </>
    );
  }

  return (
    <InfoCard title="Tech health" action={action}>
      {body}
    </InfoCard>
  );
};
