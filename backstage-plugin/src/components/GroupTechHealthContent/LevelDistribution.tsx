import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { TrackDistribution } from '../../api/types';
import { levelColor } from './levelColors';

/** How many components hold each level of one track, as one stacked bar and a legend. */
const TrackBar = ({ track }: { track: TrackDistribution }) => {
  const total = track.distribution.reduce((sum, level) => sum + level.count, 0);
  const description = track.distribution
    .map(level => `${level.name}: ${level.count}`)
    .join(', ');
  return (
    <Box mb={2} data-testid={`distribution-${track.id}`}>
      <Typography variant="subtitle2" component="h3">
        {track.name}
      </Typography>
      <Box
        display="flex"
        height={16}
        borderRadius={4}
        overflow="hidden"
        bgcolor="action.hover"
        role="img"
        aria-label={`${track.name} levels: ${description}`}
      >
        {total > 0 &&
          track.distribution.map((level, index) =>
            level.count > 0 ? (
              <Box
                key={level.level ?? 'none'}
                width={`${(level.count / total) * 100}%`}
                style={{ backgroundColor: levelColor(index) }}
                title={`${level.name}: ${level.count}`}
              />
            ) : null,
          )}
      </Box>
      <Box
        display="flex"
        flexWrap="wrap"
        mt={0.5}
        style={{ gap: 12 }}
        aria-hidden
      >
        {track.distribution.map((level, index) => (
          <Typography
            key={level.level ?? 'none'}
            variant="caption"
            component="span"
          >
            <span
              style={{
                display: 'inline-block',
                width: 10,
                height: 10,
                marginRight: 4,
                backgroundColor: levelColor(index),
              }}
            />
            {level.name} {level.count}
          </Typography>
        ))}
      </Box>
    </Box>
  );
};

/** The level distribution of every track. */
export const LevelDistribution = ({
  tracks,
}: {
  tracks: TrackDistribution[];
}) => (
  <Box>
    {tracks.map(track => (
      <TrackBar key={track.id} track={track} />
    ))}
  </Box>
);
