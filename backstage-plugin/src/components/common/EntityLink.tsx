import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import type { ReactNode } from 'react';
import { shortRef } from './format';

/**
 * The catalog's entity page route, or undefined where the catalog is not mounted (a plugin
 * development harness). useRouteRef throws only after calling all of its hooks, so the hook
 * order stays stable.
 */
function useEntityPageRoute() {
  try {
    return useRouteRef(entityRouteRef);
  } catch {
    return undefined;
  }
}

/** A link to an entity's catalog page, or its name as text where there is no catalog. */
export const EntityLink = ({
  entityRef,
  children,
}: {
  entityRef: string;
  children?: ReactNode;
}) => {
  const route = useEntityPageRoute();
  const content = children ?? shortRef(entityRef);
  if (!route) {
    return <>{content}</>;
  }
  return (
    <Link to={route(entityRouteParams(entityRef, { encodeParams: true }))}>
      {content}
    </Link>
  );
};
