/**
 * The source engine registry: every built-in engine, alphabetically by id. An engine is one file
 * in this folder exporting one definition; `registry.test.ts` checks files and ids agree.
 *
 * @packageDocumentation
 */
import { oci } from './oci.js';
import type { SourceEngineDefinition } from '../engine.js';

/** Every built-in source engine, alphabetically by id. */
export const sourceEngines: readonly SourceEngineDefinition<unknown>[] = [oci];

/** Finds a built-in source engine by id. */
export function getSourceEngine(id: string): SourceEngineDefinition<unknown> | undefined {
  return sourceEngines.find((e) => e.id === id);
}

export { oci };
