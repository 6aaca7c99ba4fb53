import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import StarIcon from '@material-ui/icons/Star';
import StarBorderIcon from '@material-ui/icons/StarBorder';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  golden: { backgroundColor: '#f5c518', color: '#1a1a1a' },
});

/** Golden state: every required track at its top level. */
export const GoldenBadge = ({ golden }: { golden: boolean }) => {
  const classes = useStyles();
  return (
    <Tooltip
      title={
        golden
          ? 'Every required track is at its top level'
          : 'Not every required track is at its top level yet'
      }
    >
      <Chip
        icon={golden ? <StarIcon /> : <StarBorderIcon />}
        label={golden ? 'Golden' : 'Not golden'}
        className={golden ? classes.golden : undefined}
        variant={golden ? 'default' : 'outlined'}
        data-testid="golden-badge"
      />
    </Tooltip>
  );
};
