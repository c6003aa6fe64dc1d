/**
 * CEL for receivers: the `generic-oidc` variables and validations over `claims`/`vars`, and the
 * `resourceFilter`/per-resource `filter` expressions over `res`, `req` (and `claims`). Compiled
 * with `@marcbachmann/cel-js` (loaded on first use), every variable declared as `dyn`, as Flux
 * declares them with `WithStructVariables`.
 *
 * @packageDocumentation
 */
import type * as CelJs from '@marcbachmann/cel-js';

type CelModule = typeof CelJs;
let celModule: Promise<CelModule> | undefined;

/** A compiled expression. */
export interface CelProgram {
  /** The expression text. */
  readonly expression: string;
  /** Evaluates it; throws an `Error` when evaluation fails. */
  evaluate(variables: Readonly<Record<string, unknown>>): unknown;
}

const cache = new Map<string, Promise<CelProgram>>();

/**
 * Compiles `expression` with the given variables declared. With `bool: true` the checked type
 * must be `bool` (or `dyn`, then checked when evaluated), as Flux's `WithOutputType(BoolType)`.
 * Compiled programs are cached by variables and text.
 *
 * @throws Error with the CEL library's message when the expression does not compile.
 */
export function compileCel(
  expression: string,
  variables: readonly string[],
  options: { readonly bool?: boolean } = {},
): Promise<CelProgram> {
  const key = `${variables.join(',')}|${options.bool ? 'bool' : 'any'}|${expression}`;
  let program = cache.get(key);
  if (!program) {
    program = build(expression, variables, options.bool ?? false);
    // Failures are not cached: the same text always fails the same way, and keeping only
    // successes bounds the cache to the configured expressions.
    program.catch(() => cache.delete(key));
    cache.set(key, program);
  }
  return program;
}

async function build(expression: string, variables: readonly string[], bool: boolean): Promise<CelProgram> {
  celModule ??= import('@marcbachmann/cel-js');
  const cel = await celModule;
  let env = new cel.Environment();
  for (const name of variables) env = env.registerVariable(name, 'dyn');
  const checked = env.check(expression);
  if (!checked.valid) throw new Error(firstLine(checked.error?.message ?? 'invalid expression'));
  if (bool && checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new Error(`expression must return a boolean, got ${checked.type ?? 'unknown'}`);
  }
  const run = env.parse(expression);
  return {
    expression,
    evaluate(values) {
      try {
        return run(values) as unknown;
      } catch (err) {
        throw new Error(firstLine((err as Error).message), { cause: err });
      }
    },
  };
}

/** Evaluates a boolean program; a non-boolean result is an error, as Flux's `EvaluateBoolean`. */
export function evaluateBoolean(program: CelProgram, variables: Readonly<Record<string, unknown>>): boolean {
  const result = program.evaluate(variables);
  if (typeof result !== 'boolean') {
    throw new Error(`expression '${program.expression}' did not return a boolean`);
  }
  return result;
}

/** cel-js messages carry a source excerpt after the first line; keep the sentence. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
