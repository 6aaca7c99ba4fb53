import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Button from '@material-ui/core/Button';
import ButtonGroup from '@material-ui/core/ButtonGroup';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import { TrendChart } from './TrendChart';

export const TREND_DAYS = [30, 90] as const;

/** The group's golden and eligible share over the last 30 or 90 days. */
export const TrendCard = ({
  groupRef,
  groupName,
}: {
  groupRef: string;
  groupName: string;
}) => {
  const api = useApi(techHealthApiRef);
  const [days, setDays] = useState<number>(TREND_DAYS[0]);
  const { loading, error, value } = useAsync(
    () => api.getGroupTrend(groupRef, days),
    [api, groupRef, days],
  );

  const action = (
    <ButtonGroup size="small" aria-label="Trend period">
      {TREND_DAYS.map(option => (
        <Button
          key={option}
          variant={option === days ? 'contained' : 'outlined'}
          color={option === days ? 'primary' : 'default'}
          aria-pressed={option === days}
          onClick={() => setDays(option)}
        >
          {option} days
        </Button>
      ))}
    </ButtonGroup>
  );

  let body: React.ReactNode;
  if (loading) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel
        error={error}
        title={`Could not load the trend: ${error.message}`}
      />
    );
  } else if (!value || value.points.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No history yet"
        description={`tech-health has kept no daily snapshot of ${groupName} in the last ${days} days.`}
      />
    );
  } else {
    body = (
      <TrendChart points={value.points} groupName={groupName} days={days} />
    );
  }
  return (
    <InfoCard title="Trend" action={action}>
      {body}
    </InfoCard>
  );
};
