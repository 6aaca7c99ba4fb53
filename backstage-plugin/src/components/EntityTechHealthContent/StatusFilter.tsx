import Checkbox from '@material-ui/core/Checkbox';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import FormLabel from '@material-ui/core/FormLabel';
import type { Status } from '../../api/types';
import { ALL_STATUSES, statusLabel } from '../common';

/** Which check statuses to show, with how many checks have each. */
export const StatusFilter = ({
  selected,
  counts,
  onChange,
}: {
  selected: ReadonlySet<Status>;
  counts: Record<Status, number>;
  onChange: (next: Set<Status>) => void;
}) => (
  <FormControl component="fieldset">
    <FormLabel component="legend">Show checks that are</FormLabel>
    <FormGroup row>
      {ALL_STATUSES.map(status => (
        <FormControlLabel
          key={status}
          control={
            <Checkbox
              checked={selected.has(status)}
              onChange={event => {
                const next = new Set(selected);
                if (event.target.checked) {
                  next.add(status);
                } else {
                  next.delete(status);
                }
                onChange(next);
              }}
              name={status}
            />
          }
          label={`${statusLabel(status)} (${counts[status]})`}
        />
      ))}
    </FormGroup>
  </FormControl>
);
