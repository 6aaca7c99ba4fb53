export { GroupTechHealthContent } from './GroupTechHealthContent';
