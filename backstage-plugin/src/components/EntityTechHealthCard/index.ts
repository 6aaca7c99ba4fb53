export { EntityTechHealthCard } from './EntityTechHealthCard';
