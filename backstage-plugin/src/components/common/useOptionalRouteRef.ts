import {
  useRouteRef,
  type AnyParams,
  type RouteFunc,
  type RouteRef,
} from '@backstage/core-plugin-api';

/**
 * A route where the app mounts it, or undefined where it does not (a plugin development harness,
 * an app without that page): links then fall back to text. useRouteRef throws only after calling
 * all of its hooks, so the hook order stays stable.
 */
export function useOptionalRouteRef<Params extends AnyParams>(
  routeRef: RouteRef<Params>,
): RouteFunc<Params> | undefined {
  try {
    return useRouteRef(routeRef);
  } catch {
    return undefined;
  }
}
