import Typography from '@material-ui/core/Typography';
import { Fragment } from 'react';
import { EntityLink } from '../common';

/** Components as a comma-separated line of links to their catalog pages. */
export const ComponentList = ({ refs }: { refs: string[] }) => {
  if (refs.length === 0) {
    return null;
  }
  return (
    <Typography variant="caption" component="p" color="textSecondary">
      {refs.map((ref, index) => (
        <Fragment key={ref}>
          {index > 0 && ', '}
          <EntityLink entityRef={ref} />
        </Fragment>
      ))}
    </Typography>
  );
};
