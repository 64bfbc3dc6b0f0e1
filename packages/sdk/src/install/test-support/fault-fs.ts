/**
 * Test support: an {@link InstallFileSystem} over the real one that records every call and can
 * fail one chosen call, or "crash": fail that call and every later one, as a killed process
 * would do nothing more (not even its cleanup). Not part of the package's build.
 */
import { nodeFileSystem, type InstallFileHandle, type InstallFileSystem } from '../file-system.js';

/** One recorded call: the operation (`open`, `write`, `sync`, `rename`, ...) and its path. */
export interface FsCall {
  readonly op: string;
  readonly path: string;
  /** For `open`: the flags. */
  readonly flags?: number;
}

/** When to fail: the first call matching `when`, or the call numbered `at` (0-based). */
export type FaultPlan = { readonly when: (call: FsCall) => boolean; readonly crash?: boolean } | { readonly at: number; readonly crash?: boolean } | undefined;

/** The recording, failing file system and what it saw. */
export interface FaultFs {
  readonly fs: InstallFileSystem;
  readonly calls: FsCall[];
  /** Whether the planned failure happened. */
  readonly fired: () => boolean;
}

/** Operations that only read: not counted as steps where a crash could leave a trace. */
const READ_OPS = new Set(['lstat', 'readdir', 'readlink', 'readFile']);

/** Thrown by the fault file system; `code` is what tests see in `cause`. */
export class InjectedFault extends Error {
  readonly code = 'EINJECTED';
}

/** Wraps the real file system with `plan`. */
export function faultFs(plan: FaultPlan): FaultFs {
  const calls: FsCall[] = [];
  let fired = false;
  let crashed = false;
  let index = 0;
  const check = (call: FsCall) => {
    calls.push(call);
    if (crashed) throw new InjectedFault(`crashed before ${call.op} ${call.path}`);
    if (fired || !plan) return;
    const hit = 'at' in plan ? !READ_OPS.has(call.op) && index === plan.at : plan.when(call);
    if (!READ_OPS.has(call.op)) index++;
    if (hit) {
      fired = true;
      crashed = plan.crash === true;
      throw new InjectedFault(`injected failure at ${call.op} ${call.path}`);
    }
  };
  const real = nodeFileSystem;
  const wrapHandle = (path: string, handle: InstallFileHandle): InstallFileHandle => ({
    writeFile: async (data) => (check({ op: 'write', path }), handle.writeFile(data)),
    chmod: async (mode) => (check({ op: 'fchmod', path }), handle.chmod(mode)),
    sync: async () => (check({ op: 'sync', path }), handle.sync()),
    // A crashed process still has its descriptors closed by the kernel: close for real, then report.
    close: async () => {
      await handle.close();
      check({ op: 'close', path });
    },
  });
  const fs: InstallFileSystem = {
    open: async (path, flags, mode) => {
      check({ op: 'open', path, flags });
      return wrapHandle(path, await real.open(path, flags, mode));
    },
    readFile: async (path) => (check({ op: 'readFile', path }), real.readFile(path)),
    mkdir: async (path, mode) => (check({ op: 'mkdir', path }), real.mkdir(path, mode)),
    chmod: async (path, mode) => (check({ op: 'chmod', path }), real.chmod(path, mode)),
    lstat: async (path) => (check({ op: 'lstat', path }), real.lstat(path)),
    readdir: async (path) => (check({ op: 'readdir', path }), real.readdir(path)),
    readlink: async (path) => (check({ op: 'readlink', path }), real.readlink(path)),
    symlink: async (target, path) => (check({ op: 'symlink', path }), real.symlink(target, path)),
    rename: async (from, to) => (check({ op: 'rename', path: to }), real.rename(from, to)),
    unlink: async (path) => (check({ op: 'unlink', path }), real.unlink(path)),
    rmdir: async (path) => (check({ op: 'rmdir', path }), real.rmdir(path)),
  };
  return { fs, calls, fired: () => fired };
}

/** How many mutating calls a run made: the range a crash sweep walks. */
export function mutatingCalls(calls: readonly FsCall[]): FsCall[] {
  return calls.filter((c) => !READ_OPS.has(c.op));
}
