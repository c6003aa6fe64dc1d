/**
 * The registry of built-in notification providers, one line per provider file, sorted by id.
 * A test checks that every file in this folder is listed here and that ids equal file names.
 *
 * @packageDocumentation
 */
import type { NotifierDefinition } from '../provider.js';
import { generic } from './generic.js';
import { genericHmac } from './generic-hmac.js';

/** Every built-in provider definition, sorted by id. */
export const notifierDefinitions: readonly NotifierDefinition[] = [generic, genericHmac];
