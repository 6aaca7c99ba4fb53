import Typography from '@material-ui/core/Typography';
import type { BlockingReason } from '../../api/types';

/** Why an entity may not receive automated fleet changes, one reason per line. */
export const BlockingReasons = ({
  blocking,
  dense,
}: {
  blocking: BlockingReason[];
  dense?: boolean;
}) => {
  if (blocking.length === 0) {
    return null;
  }
  return (
    <ul
      aria-label="Blocking reasons"
      style={{ margin: 0, paddingLeft: dense ? 16 : 20 }}
    >
      {blocking.map(reason => (
        <li key={`${reason.code}:${reason.message}`}>
          <Typography variant="body2" component="span">
            {reason.message}{' '}
            <Typography
              variant="caption"
              component="code"
              color="textSecondary"
            >
              ({reason.code})
            </Typography>
          </Typography>
        </li>
      ))}
    </ul>
  );
};
