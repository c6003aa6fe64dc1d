// Run by azure-identity.test.ts in a child process (Node reads NODE_EXTRA_CA_CERTS only at start-up):
// the `azure` provider with no options, so credentials come from its default @azure/identity chain
// and the environment. TEST_SCENARIOS is a JSON list of `{ env, registry, registryUrl }`; each
// scenario sets its variables, creates a fresh provider and asks it once. Prints one JSON result per
// scenario (the credentials, test values only, or the error).
import { defaultPluginContext } from '@tidewatch/core';
import { azure } from '../azure.js';

interface Scenario {
  readonly env: Record<string, string>;
  readonly registry: string;
  readonly registryUrl: string;
}

const scenarios = JSON.parse(process.env.TEST_SCENARIOS ?? '[]') as Scenario[];
const results: unknown[] = [];
for (const scenario of scenarios) {
  Object.assign(process.env, scenario.env);
  const provider = azure.create(azure.parseOptions({}), defaultPluginContext());
  try {
    const creds = await provider.getCredentials({
      registry: scenario.registry,
      repository: 'team/app',
      registryUrl: scenario.registryUrl,
    });
    results.push({
      ok: true,
      username: creds.username,
      password: creds.password,
      expiresAt: creds.expiresAt?.toISOString(),
    });
  } catch (err) {
    const e = err as { code?: string; message?: string; retryable?: boolean };
    results.push({ ok: false, code: e.code, message: e.message, retryable: e.retryable });
  }
  for (const key of Object.keys(scenario.env)) delete process.env[key];
}
process.stdout.write(JSON.stringify(results));
