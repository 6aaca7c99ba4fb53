export * from './types';
export { techHealthApiRef } from './TechHealthApi';
export type { TechHealthApi, EntityRefLike } from './TechHealthApi';
export { TechHealthClient, TECH_HEALTH_PLUGIN_ID } from './TechHealthClient';
export { TechHealthError } from './TechHealthError';
