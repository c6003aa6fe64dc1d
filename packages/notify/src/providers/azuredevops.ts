/**
 * `azuredevops`: a commit status on Azure DevOps Repos, addressed as
 * `https://dev.azure.com/<org>/<project>/_git/<repo>`. Authenticates with a PAT.
 *
 * @packageDocumentation
 */
import { goJson } from '../event.js';
import {
  SKIPPED_PROGRESSING,
  createStatusIdResolver,
  parseAddressOption,
  stateOf,
  statusInputs,
} from '../forge/common.js';
import type { ForgeSendOptions } from '../forge/common.js';
import { createForgeClient, list, obj, str } from '../forge/http.js';
import { defineNotifier } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** The status context genre: `fluxcd`, or `fluxcd:<summary>` when the event has a `summary`. */
export function azureDevOpsGenre(event: FluxEvent): string {
  const summary = event.metadata?.summary;
  return summary !== undefined ? `fluxcd:${summary}` : 'fluxcd';
}

/** Whether the first listed status with our context name and genre has the same state and description. */
export function isDuplicateAzureDevOpsStatus(
  statuses: readonly unknown[],
  status: {
    readonly state: string;
    readonly description: string;
    readonly name: string;
    readonly genre: string;
  },
): boolean {
  for (const s of statuses) {
    const context = obj(s, 'context');
    const name = str(context, 'name');
    const genre = str(context, 'genre');
    const state = str(s, 'state');
    const description = str(s, 'description');
    if (name === undefined || genre === undefined || state === undefined || description === undefined)
      continue;
    if (name === status.name && genre === status.genre) {
      return state === status.state && description === status.description;
    }
  }
  return false;
}

/** The `azuredevops` commit-status provider. */
export const azuredevops = defineNotifier({
  id: 'azuredevops',
  capabilities: { transport: 'http', gate: 'commit-status', proxy: false, tls: true, headers: false },
  parse: (config, problems) => {
    const token = config.token ?? '';
    if (token === '') {
      problems.push({
        path: 'secret.token',
        message: 'azure devops token cannot be empty (workload identity is not available outside a cluster)',
      });
    }
    const address = parseAddressOption(config, problems);
    let statusesBase = '';
    if (address) {
      const parts = address.id.split('/');
      if (parts.length !== 4)
        problems.push({ path: 'address', message: `invalid repository id "${address.id}"` });
      else {
        const [org, project, , repo] = parts as [string, string, string, string];
        // The Azure DevOps Go SDK normalises (lower-cases) the organisation URL.
        const orgUrl = `${address.host}/${org}`.toLowerCase();
        statusesBase = `${orgUrl}/${encodeURIComponent(project)}/_apis/git/repositories/${encodeURIComponent(repo)}/commits/`;
      }
    }
    return { azure: { token, statusesBase } };
  },
  create: (options, ctx) => {
    const client = createForgeClient({
      scope: ctx.scope,
      request: ctx.request,
      secrets: ctx.secrets,
      headers: {
        Authorization: `Basic ${Buffer.from(`:${options.azure.token}`).toString('base64')}`,
        Accept: 'application/json;api-version=6.0',
      },
    });
    const resolveId = createStatusIdResolver(options, ctx.scope);
    return {
      async post(event, sendOptions: ForgeSendOptions = {}) {
        const { signal } = sendOptions;
        const inputs = await statusInputs(event, sendOptions, resolveId, ctx.scope);
        if (!inputs) return SKIPPED_PROGRESSING;
        const state = stateOf(
          event,
          { info: 'succeeded', error: 'error' },
          ctx.scope,
          "can't convert to azure devops state",
        );
        const genre = azureDevOpsGenre(event);
        const url = `${options.azure.statusesBase}${inputs.sha}/statuses`;
        const listed = await client.request(
          { method: 'GET', url, what: 'could not list commit statuses' },
          signal,
        );
        const candidate = { state, description: inputs.description, name: inputs.id, genre };
        if (isDuplicateAzureDevOpsStatus(list(listed.json, 'value'), candidate)) {
          return { skipped: true, reason: 'an identical commit status exists' };
        }
        await client.request(
          {
            method: 'POST',
            url,
            body: goJson({ context: { genre, name: inputs.id }, description: inputs.description, state }),
            what: 'could not create commit status',
          },
          signal,
        );
        return { skipped: false };
      },
    };
  },
});
