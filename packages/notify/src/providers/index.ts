/**
 * The registry of built-in notification providers, one line per provider file, sorted by id.
 * A test checks that every file in this folder is listed here and that ids equal file names.
 *
 * @packageDocumentation
 */
import type { NotifierDefinition } from '../provider.js';
import { alertmanager } from './alertmanager.js';
import { azuredevops } from './azuredevops.js';
import { azureeventhub } from './azureeventhub.js';
import { bitbucket } from './bitbucket.js';
import { bitbucketserver } from './bitbucketserver.js';
import { datadog } from './datadog.js';
import { discord } from './discord.js';
import { generic } from './generic.js';
import { genericHmac } from './generic-hmac.js';
import { gitea } from './gitea.js';
import { giteapullrequestcomment } from './giteapullrequestcomment.js';
import { github } from './github.js';
import { githubdispatch } from './githubdispatch.js';
import { githubpullrequestcomment } from './githubpullrequestcomment.js';
import { gitlab } from './gitlab.js';
import { gitlabmergerequestcomment } from './gitlabmergerequestcomment.js';
import { googlechat } from './googlechat.js';
import { googlepubsub } from './googlepubsub.js';
import { grafana } from './grafana.js';
import { incidentio } from './incident.io.js';
import { lark } from './lark.js';
import { matrix } from './matrix.js';
import { msteams } from './msteams.js';
import { nats } from './nats.js';
import { opsgenie } from './opsgenie.js';
import { otel } from './otel.js';
import { pagerduty } from './pagerduty.js';
import { rocket } from './rocket.js';
import { sentry } from './sentry.js';
import { slack } from './slack.js';
import { telegram } from './telegram.js';
import { webex } from './webex.js';
import { zoom } from './zoom.js';
import { zulip } from './zulip.js';

/** Every built-in provider definition, sorted by id. */
export const notifierDefinitions: readonly NotifierDefinition[] = [
  alertmanager,
  azuredevops,
  azureeventhub,
  bitbucket,
  bitbucketserver,
  datadog,
  discord,
  generic,
  genericHmac,
  gitea,
  giteapullrequestcomment,
  github,
  githubdispatch,
  githubpullrequestcomment,
  gitlab,
  gitlabmergerequestcomment,
  googlechat,
  googlepubsub,
  grafana,
  incidentio,
  lark,
  matrix,
  msteams,
  nats,
  opsgenie,
  otel,
  pagerduty,
  rocket,
  sentry,
  slack,
  telegram,
  webex,
  zoom,
  zulip,
];
