import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import type { TrackHealth } from '../../api/types';

function progressText(track: TrackHealth): string {
  if (!track.applicable) {
    return 'Does not apply to this entity';
  }
  if (!track.nextLevel) {
    return 'Top level reached';
  }
  const progress = track.nextLevelProgress;
  if (!progress) {
    return `Next: ${track.nextLevelName ?? track.nextLevel}`;
  }
  return `${progress.passing} of ${progress.total} ${
    track.nextLevelName ?? track.nextLevel
  } checks pass`;
}

/** One track: the level held and how far the next level is. */
const TrackLevel = ({ track }: { track: TrackHealth }) => {
  const progress = track.nextLevelProgress;
  const percent =
    progress && progress.total > 0
      ? (progress.passing / progress.total) * 100
      : track.nextLevel
        ? 0
        : 100;
  return (
    <Box mb={2} data-testid={`track-${track.id}`}>
      <Box display="flex" alignItems="center" justifyContent="space-between">
        <Typography variant="subtitle2" component="h3">
          {track.name}
          {!track.required && (
            <Typography variant="caption" color="textSecondary">
              {' '}
              (optional)
            </Typography>
          )}
        </Typography>
        <Chip
          size="small"
          variant={track.level ? 'default' : 'outlined'}
          label={
            track.applicable
              ? (track.levelName ?? 'No level')
              : 'Not applicable'
          }
          aria-label={`${track.name} level: ${
            track.applicable ? (track.levelName ?? 'none') : 'not applicable'
          }`}
        />
      </Box>
      {track.applicable && (
        <LinearProgress
          variant="determinate"
          value={percent}
          aria-label={`${track.name}: progress to ${
            track.nextLevelName ?? 'the top level'
          }`}
          style={{ marginTop: 6, marginBottom: 4 }}
        />
      )}
      <Typography variant="caption" color="textSecondary">
        {progressText(track)}
      </Typography>
    </Box>
  );
};

/** The level held in every track, with progress to the next. */
export const TrackLevels = ({ tracks }: { tracks: TrackHealth[] }) => (
  <Box>
    {tracks.map(track => (
      <TrackLevel key={track.id} track={track} />
    ))}
  </Box>
);
