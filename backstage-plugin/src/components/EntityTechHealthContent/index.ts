export { EntityTechHealthContent } from './EntityTechHealthContent';
