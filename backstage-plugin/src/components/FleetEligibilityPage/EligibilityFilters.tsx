import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import type { TrackDefinition } from '../../api/types';

export interface EligibilityFilterValues {
  owner: string;
  track: string;
  level: string;
  eligible: '' | 'true' | 'false';
}

export const NO_FILTERS: EligibilityFilterValues = {
  owner: '',
  track: '',
  level: '',
  eligible: '',
};

/** Owner, minimum track level and eligibility; applied on submit. */
export const EligibilityFilters = ({
  tracks,
  initial,
  onApply,
}: {
  tracks: TrackDefinition[];
  initial: EligibilityFilterValues;
  onApply: (values: EligibilityFilterValues) => void;
}) => {
  const [values, setValues] = useState(initial);
  const levels = tracks.find(track => track.id === values.track)?.levels ?? [];
  const set = (patch: Partial<EligibilityFilterValues>) =>
    setValues(current => ({ ...current, ...patch }));

  return (
    <Box
      component="form"
      aria-label="Filter eligibility"
      display="flex"
      flexWrap="wrap"
      alignItems="flex-end"
      style={{ gap: 16 }}
      onSubmit={event => {
        event.preventDefault();
        onApply(values);
      }}
    >
      <TextField
        id="tech-health-owner"
        label="Owner"
        placeholder="group:default/payments"
        helperText="A team or department, with the groups below it"
        value={values.owner}
        onChange={event => set({ owner: event.target.value })}
      />
      <TextField
        id="tech-health-track"
        select
        label="Track"
        value={values.track}
        onChange={event => set({ track: event.target.value, level: '' })}
        style={{ minWidth: 160 }}
      >
        <MenuItem value="">Any track</MenuItem>
        {tracks.map(track => (
          <MenuItem key={track.id} value={track.id}>
            {track.name}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="tech-health-level"
        select
        label="At least level"
        value={values.level}
        disabled={!values.track}
        onChange={event => set({ level: event.target.value })}
        style={{ minWidth: 140 }}
      >
        <MenuItem value="">Any level</MenuItem>
        {levels.map(level => (
          <MenuItem key={level.id} value={level.id}>
            {level.name}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="tech-health-eligible"
        select
        label="Eligibility"
        value={values.eligible}
        onChange={event =>
          set({
            eligible: event.target.value as EligibilityFilterValues['eligible'],
          })
        }
        style={{ minWidth: 140 }}
      >
        <MenuItem value="">All</MenuItem>
        <MenuItem value="true">Eligible</MenuItem>
        <MenuItem value="false">Blocked</MenuItem>
      </TextField>
      <Button type="submit" variant="contained" color="primary">
        Apply
      </Button>
      <Button
        type="button"
        onClick={() => {
          setValues(NO_FILTERS);
          onApply(NO_FILTERS);
        }}
      >
        Clear
      </Button>
    </Box>
  );
};
