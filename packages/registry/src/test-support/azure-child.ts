/**
 * Runs the `azure` credential provider in a child process (`credentials/testdata/azure-default-chain.ts`
 * under tsx), so that @azure/identity and MSAL start with the environment each test gives them:
 * Node reads `NODE_EXTRA_CA_CERTS` only at start-up, and MSAL keeps some settings in static fields.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What the child reports for one scenario. */
export interface ChildResult {
  readonly ok: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly expiresAt?: string;
  readonly code?: string;
  readonly message?: string;
  readonly retryable?: boolean;
}

/** One provider run in the child: its environment and the registry it asks credentials for. */
export interface Scenario {
  readonly env: Record<string, string>;
  readonly registry: string;
  readonly registryUrl: string;
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const script = fileURLToPath(new URL('../credentials/testdata/azure-default-chain.ts', import.meta.url));

/**
 * Runs the provider in one child for the given scenarios, with only the variables given (plus PATH,
 * and HOME set to `home`): no ambient Azure settings of this machine leak in.
 */
export function runAzureChild(
  home: string,
  env: Record<string, string>,
  scenarios: readonly Scenario[],
): Promise<ChildResult[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script],
      {
        cwd: root,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          ...env,
          TEST_SCENARIOS: JSON.stringify(scenarios),
        },
      },
      (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as ChildResult[]);
        } catch {
          reject(new Error(`child failed: ${err?.message ?? ''}\n${stderr}`));
        }
      },
    );
  });
}
