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
} from './plugin';
export { rootRouteRef } from './routes';
export * from './api';
