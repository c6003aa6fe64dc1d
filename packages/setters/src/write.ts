/**
 * Atomic file replacement, shared by the main thread and the pool's worker threads (`pool.ts`):
 * the new bytes go to a temporary file beside the target, with the target's mode, and are renamed
 * over it only when the target is still the file that was read. Imports nothing but Node's own
 * modules, so that the workers load it as they are.
 */
import {
  closeSync,
  fchmodSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { SetterWarningCode } from './types.js';

/** What `updateFiles` saw of a file when it read it; a write is refused when any of it changed. */
export interface ReadStamp {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
  /** Permission bits (`st_mode & 0o7777`), given to the new file. */
  readonly mode: number;
}

/** Why a write did not happen; the file is left as it was. */
export interface WriteFailure {
  readonly code: SetterWarningCode;
  readonly detail: string;
}

/** The `code` of a Node file-system error, or `error`. */
export function errno(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
}

/** Removes a temporary file, if it is there. */
function discard(tmp: string): void {
  try {
    unlinkSync(tmp);
  } catch {
    // already gone
  }
}

const writeFailed = (err: unknown): WriteFailure => ({
  code: 'write-failed',
  detail: `cannot write: ${errno(err)}; file left as it was`,
});

const CHANGED: WriteFailure = {
  code: 'file-changed',
  detail: 'file changed on disk while it was updated; left as it is',
};

/** Whether `path` is still the file described by `stamp` (same inode, size and mtime). */
function unchanged(path: string, stamp: ReadStamp): boolean {
  const now = lstatSync(path);
  return now.mtimeMs === stamp.mtimeMs && now.size === stamp.size && now.ino === stamp.ino;
}

/**
 * Creates `tmp` (it must not exist) holding `data` with the stamp's mode, then checks that `path` is
 * still the file that was read. Returns a failure (with `tmp` removed) or `undefined`, after which
 * the caller renames `tmp` over `path`.
 */
export function prepareWrite(
  path: string,
  tmp: string,
  data: string | Uint8Array,
  stamp: ReadStamp,
): WriteFailure | undefined {
  let created = false;
  try {
    const fd = openSync(tmp, 'wx', stamp.mode);
    created = true;
    try {
      fchmodSync(fd, stamp.mode); // the umask may have narrowed the mode
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    if (!unchanged(path, stamp)) {
      discard(tmp);
      return CHANGED;
    }
    return undefined;
  } catch (err) {
    if (created) discard(tmp);
    return writeFailed(err);
  }
}

/** The failure of the rename of a prepared `tmp`, which is removed. */
export function renameFailed(tmp: string, err: unknown): WriteFailure {
  discard(tmp);
  return writeFailed(err);
}

/** {@link prepareWrite}, then the rename: all of it synchronous (the worker threads' way). */
export function writeAtomicSync(
  path: string,
  tmp: string,
  data: string | Uint8Array,
  stamp: ReadStamp,
): WriteFailure | undefined {
  const failure = prepareWrite(path, tmp, data, stamp);
  if (failure) return failure;
  try {
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    return renameFailed(tmp, err);
  }
}

/**
 * After a worker thread ended with a write of `data` to `path` (through `lostTmp`) unanswered:
 * removes whatever temporary file it may have left, then finds out what happened. When `path` is
 * still the file that was read, the write never happened and is done here, through `tmp`; when
 * `path` already holds `data`, the worker's rename happened; anything else is a change by someone
 * else, and the file is left as it is.
 */
export function recoverWrite(
  path: string,
  lostTmp: string,
  tmp: string,
  data: string,
  stamp: ReadStamp,
): WriteFailure | undefined {
  discard(lostTmp);
  try {
    if (unchanged(path, stamp)) return writeAtomicSync(path, tmp, data, stamp);
    return readFileSync(path, 'utf8') === data ? undefined : CHANGED;
  } catch (err) {
    return writeFailed(err);
  }
}
