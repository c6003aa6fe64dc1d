/**
 * What `updateFiles` remembers between runs of one process: the policy-independent analysis of each
 * marked file text it parsed or wrote (see `FileAnalysis` in `rewrite.ts`), keyed by the whole text.
 * A later run that meets the same text replays the analysis against its policies instead of parsing
 * the file again: in a long-lived process (a watch loop, a controller), a file changed by the last
 * run is not re-parsed by the next one. Plain data only; bounded by the characters of text kept.
 *
 * This module imports no workspace package.
 */
import type { FileAnalysis } from './rewrite.js';

/** Characters of text (keys) kept at most; the oldest entries go first. */
export const MAX_CACHED_CHARS = 16 * 1024 * 1024;

const entries = new Map<string, FileAnalysis>();
/** Files whose analysis came from the cache since the process started (tests check it is used). */
export const cacheStats = { hits: 0 };
let chars = 0;

/** The analysis of `text`, when a run of this process analysed it. */
export function cachedAnalysis(text: string): FileAnalysis | undefined {
  return entries.get(text);
}

/** Keeps the analysis of `text` (the newest entry). Texts larger than the whole budget are not kept. */
export function rememberAnalysis(text: string, analysis: FileAnalysis): void {
  if (text.length > MAX_CACHED_CHARS) return;
  if (entries.delete(text)) chars -= text.length;
  entries.set(text, analysis);
  chars += text.length;
  for (const key of entries.keys()) {
    if (chars <= MAX_CACHED_CHARS) break;
    entries.delete(key);
    chars -= key.length;
  }
}

/** Empties the cache (tests). */
export function clearAnalysisCache(): void {
  entries.clear();
  chars = 0;
}

/** Entries and characters kept (tests). */
export function analysisCacheSize(): { entries: number; chars: number } {
  return { entries: entries.size, chars };
}
