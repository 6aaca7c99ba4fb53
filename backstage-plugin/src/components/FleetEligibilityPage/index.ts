export {
  FleetEligibilityPage,
  FleetEligibilityContent,
} from './FleetEligibilityPage';
