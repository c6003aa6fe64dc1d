/**
 * The commit status id (GitHub `context`, GitLab `name`, Bitbucket `key` source, Azure DevOps
 * context name): Flux's default `<kind>/<name>/<uid prefix>` or the Provider's CEL
 * `commitStatusExpr`.
 *
 * @packageDocumentation
 */
import type * as CelJs from '@marcbachmann/cel-js';
import type { FluxEvent } from '../types.js';

/**
 * Flux's default commit status id: `lowercase("<Kind>/<name>/<first dash-separated segment of the
 * Provider UID>")`.
 *
 * @example
 * ```ts
 * defaultCommitStatusId('0c9c2e41-d2f9-4f9b-9c41-2ea5ad35a1f0', event); // 'kustomization/webapp/0c9c2e41'
 * ```
 */
export function defaultCommitStatusId(providerUid: string, event: FluxEvent): string {
  const prefix = providerUid.split('-')[0] ?? '';
  return `${event.involvedObject.kind}/${event.involvedObject.name}/${prefix}`.toLowerCase();
}

/** The variables a `commitStatusExpr` sees: the objects as plain maps. */
export interface CommitStatusVariables {
  /** The merged notification event. */
  readonly event: unknown;
  /** The Provider object (`metadata`, `spec`). */
  readonly provider: unknown;
  /** The Alert object (`metadata`, `spec`), `{}` when unknown. */
  readonly alert: unknown;
}

/** A compiled `commitStatusExpr`. */
export interface CommitStatusExpression {
  /** Evaluates to the status id; throws when the result is not a string. */
  evaluate(variables: CommitStatusVariables): string;
}

type CelModule = typeof CelJs;
let celModule: Promise<CelModule> | undefined;

/**
 * Compiles a CEL `commitStatusExpr` with `event`, `provider` and `alert` as dynamic variables,
 * the CEL string extensions, and `first()`/`last()` on lists (returning optionals), which Flux's
 * documented example uses. The CEL library is loaded on first use.
 *
 * @throws Error `failed to compile expression: …` (callers wrap it)
 */
export async function compileCommitStatusExpr(expression: string): Promise<CommitStatusExpression> {
  celModule ??= import('@marcbachmann/cel-js');
  const cel = await celModule;
  const env = new cel.Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true })
    .registerVariable('event', 'dyn')
    .registerVariable('provider', 'dyn')
    .registerVariable('alert', 'dyn')
    .registerFunction('list<dyn>.first(): optional<dyn>', (list: unknown[]) =>
      list.length > 0 ? cel.Optional.of(list[0]) : cel.Optional.none(),
    )
    .registerFunction('list<dyn>.last(): optional<dyn>', (list: unknown[]) =>
      list.length > 0 ? cel.Optional.of(list[list.length - 1]) : cel.Optional.none(),
    );
  let program: (ctx: Record<string, unknown>) => unknown;
  try {
    program = env.parse(expression);
  } catch (err) {
    throw new Error(`failed to compile expression: ${(err as Error).message}`, { cause: err });
  }
  return {
    evaluate(variables) {
      const result = program({
        event: variables.event,
        provider: variables.provider,
        alert: variables.alert,
      });
      if (typeof result !== 'string') {
        throw new Error(`expression result is of type ${typeof result}, expected string`);
      }
      return result;
    },
  };
}
