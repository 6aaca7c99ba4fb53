/**
 * Backstage frontend plugin for tech-health: Golden Tech levels, golden state and fleet
 * eligibility of catalog entities. The new frontend system's plugin is in `./alpha`.
 *
 * @packageDocumentation
 */
export {
  techHealthPlugin,
  EntityTechHealthCard,
  EntityTechHealthContent,
  GroupTechHealthContent,
  FleetEligibilityPage,
  FleetChangePage,
} from './plugin';
export { rootRouteRef, changeRouteRef } from './routes';
export * from './api';
