import { Link } from '@backstage/core-components';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import type { ReactNode } from 'react';
import { shortRef } from './format';
import { useOptionalRouteRef } from './useOptionalRouteRef';

/** A link to an entity's catalog page, or its name as text where there is no catalog. */
export const EntityLink = ({
  entityRef,
  children,
}: {
  entityRef: string;
  children?: ReactNode;
}) => {
  const route = useOptionalRouteRef(entityRouteRef);
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
