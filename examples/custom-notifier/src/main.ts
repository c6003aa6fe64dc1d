/**
 * Routes a Flux event through an Alert to the third-party `ntfy` provider.
 * Usage: `pnpm start <ntfy topic URL>` (for example a local ntfy server).
 */
import { createDispatcher } from '@tidewatch/notify';
import type { FluxEvent } from '@tidewatch/notify';
import { ntfy } from './ntfy.js';

/** Dispatches one "new image" event to `address` and returns the per-provider results. */
export async function notifyNewImage(address: string, token?: string) {
  const dispatcher = createDispatcher({
    definitions: [ntfy],
    alerts: [
      {
        name: 'new-versions',
        namespace: 'flux-system',
        providerRef: { name: 'ntfy' },
        eventSeverity: 'info',
        eventSources: [{ kind: 'ImagePolicy', name: '*' }],
      },
    ],
    providers: [
      {
        name: 'ntfy',
        namespace: 'flux-system',
        type: 'ntfy',
        ...(token ? { secret: { address, token } } : { address }),
      },
    ],
  });
  const event: FluxEvent = {
    involvedObject: {
      kind: 'ImagePolicy',
      namespace: 'flux-system',
      name: 'podinfo',
      apiVersion: 'image.toolkit.fluxcd.io/v1',
    },
    severity: 'info',
    timestamp: new Date(),
    message:
      'Latest image tag for ghcr.io/stefanprodan/podinfo resolved to 6.5.0 (previously ghcr.io/stefanprodan/podinfo:6.4.1)',
    reason: 'Succeeded',
    reportingController: 'image-reflector-controller',
  };
  return dispatcher.dispatch(event);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const address = process.argv[2];
  if (!address) {
    process.stderr.write('usage: pnpm start <ntfy topic URL>\n');
    process.exit(2);
  }
  console.log(JSON.stringify(await notifyNewImage(address), null, 2));
}
