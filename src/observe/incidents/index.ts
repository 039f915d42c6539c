export {
  DEFAULT_LINK_LOOKBACK_MS,
  type IncidentWindow,
  type LinkableDeployment,
  type LinkedReleases,
  linkReleases,
  type ReleaseLink,
  type ReleaseRelation,
} from './link-releases.js';
