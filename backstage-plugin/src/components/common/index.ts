export * from './format';
export { StatusChip } from './StatusChip';
export { GoldenBadge } from './GoldenBadge';
export { BlockingReasons } from './BlockingReasons';
export { EvaluatedAt } from './EvaluatedAt';
export { EntityLink } from './EntityLink';
export { StaleFactsNotice } from './StaleFacts';
export { useOptionalRouteRef } from './useOptionalRouteRef';
