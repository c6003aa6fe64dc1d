/**
 * `opsgenie`: an Opsgenie alert with `Authorization: GenieKey <token>` and a stable `alias`
 * (SHA-256 of provider UID, object and reason) so Opsgenie de-duplicates.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { goJson, goMap } from '../event.js';
import { defineNotifier, requireUrl, requireValue } from '../provider.js';
import type { FluxEvent } from '../types.js';

/** Hex SHA-256 of `<providerUID>/<Kind>/<namespace>/<name>/<reason>`. */
export function opsgenieAlias(providerUid: string, event: FluxEvent): string {
  const ref = event.involvedObject;
  const key = `${providerUid}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}/${event.reason}`;
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The `opsgenie` provider. */
export const opsgenie = defineNotifier({
  id: 'opsgenie',
  capabilities: { transport: 'http', gate: 'default', proxy: true, tls: true, headers: false },
  parse: (config, problems) => {
    requireUrl(config, problems, 'Opsgenie hook');
    requireValue(config.token, 'secret.token', 'empty Opsgenie apikey/token', problems);
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const ref = event.involvedObject;
      const body = goJson({
        message: `${ref.kind}/${ref.name}`,
        alias: opsgenieAlias(options.uid, event),
        description: event.message,
        details: goMap({ ...event.metadata, severity: event.severity }),
      });
      await ctx.request({
        url: options.address,
        headers: { 'Content-Type': 'application/json', Authorization: `GenieKey ${options.token ?? ''}` },
        body,
        ...(signal ? { signal } : {}),
      });
      return { skipped: false };
    },
  }),
});
