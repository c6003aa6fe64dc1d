/**
 * `generic-hmac`: as `generic`, plus `X-Signature: sha256=<hex HMAC-SHA256(token, body)>`, set
 * after the Secret's headers (a custom `X-Signature` is overwritten).
 *
 * @packageDocumentation
 */
import { createHmac } from 'node:crypto';
import { encodeEvent } from '../event.js';
import { defineNotifier, requireUrl } from '../provider.js';
import { genericHeaders } from './generic.js';

/** The `generic-hmac` provider. */
export const genericHmac = defineNotifier({
  id: 'generic-hmac',
  capabilities: { transport: 'http', gate: 'generic', proxy: true, tls: true, headers: true },
  parse: (config, problems) => {
    requireUrl(config, problems);
    if (config.token === undefined || config.token === '') {
      problems.push({ path: 'secret.token', message: 'HMAC key is empty' });
    }
    return {};
  },
  create: (options, ctx) => ({
    async post(event, { signal } = {}) {
      const body = encodeEvent(event);
      const headers = genericHeaders(options, event);
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === 'x-signature') delete headers[name];
      }
      const mac = createHmac('sha256', Buffer.from(options.token ?? '', 'utf8'))
        .update(body, 'utf8')
        .digest('hex');
      headers['X-Signature'] = `sha256=${mac}`;
      await ctx.request({ url: options.address, headers, body, ...(signal ? { signal } : {}) });
      return { skipped: false };
    },
  }),
});
