import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useCallback, useEffect, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../api/TechHealthApi';
import type { EntityHealth } from '../api/types';

export interface EntityHealthState {
  loading: boolean;
  error?: Error;
  health?: EntityHealth;
  /** True while a refresh (re-evaluation) runs. */
  refreshing: boolean;
  refreshError?: Error;
  /** Asks the service to re-evaluate the entity now. */
  refresh: () => Promise<void>;
}

/** The health of the entity on the current entity page, and a way to re-evaluate it. */
export function useEntityHealth(): EntityHealthState {
  const { entity } = useEntity();
  const api = useApi(techHealthApiRef);
  const ref = getCompoundEntityRef(entity);
  const key = `${ref.kind}:${ref.namespace}/${ref.name}`;

  const { loading, error, value } = useAsync(
    () => api.getEntityHealth(ref),
    [api, key],
  );
  const [refreshed, setRefreshed] = useState<EntityHealth>();
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<Error>();

  useEffect(() => setRefreshed(undefined), [key]);

  const refresh = useCallback(async () => {
    setRefreshing(true);
    setRefreshError(undefined);
    try {
      setRefreshed(await api.refreshEntity(ref));
    } catch (e) {
      setRefreshError(e as Error);
    } finally {
      setRefreshing(false);
    }
    // `ref` is rebuilt every render; `key` names it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key]);

  return {
    loading,
    error,
    health: refreshed ?? value,
    refreshing,
    refreshError,
    refresh,
  };
}
