export { FleetChangePage, FleetChangeContent } from './FleetChangePage';
