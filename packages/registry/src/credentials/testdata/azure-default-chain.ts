// Run by azure-identity.test.ts in a child process (Node reads NODE_EXTRA_CA_CERTS only at start-up):
// the `azure` provider with no options, so credentials come from its default @azure/identity chain
// and the environment the test sets. Prints the credentials (test values only) or the error as JSON.
import { defaultPluginContext } from '@tidewatch/core';
import { azure } from '../azure.js';

const provider = azure.create(azure.parseOptions({}), defaultPluginContext());
try {
  const creds = await provider.getCredentials({
    registry: process.env.TEST_ACR_NAME ?? '',
    repository: 'team/app',
    registryUrl: process.env.TEST_ACR_URL ?? '',
  });
  process.stdout.write(
    JSON.stringify({
      ok: true,
      username: creds.username,
      password: creds.password,
      expiresAt: creds.expiresAt?.toISOString(),
    }),
  );
} catch (err) {
  const e = err as { code?: string; message?: string; retryable?: boolean };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message, retryable: e.retryable }));
  process.exitCode = 1;
}
