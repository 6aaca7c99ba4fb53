import { WarningPanel } from '@backstage/core-components';
import { TechHealthError } from '../../api/TechHealthError';

/** True when the service answered 404: it has no results for what was asked. */
export function isNotFound(error: Error | undefined): boolean {
  return error instanceof TechHealthError && error.status === 404;
}

/** The service knows nothing about this entity (yet). */
export const NoHealthPanel = ({ message }: { message?: string }) => (
  <WarningPanel title="No tech health for this entity">
    {message ??
      'tech-health has not evaluated this entity. It is evaluated once the service sees it in the catalog.'}
  </WarningPanel>
);
