/**
 * How much CPU other work took while a figure was being measured. On a 2-core machine one busy
 * process elsewhere (a test run, a profiler, a build) takes half of what the bench assumes it
 * has, and the figures drop with no sign why; so each measurement is watched, and the report
 * says how many cores went to processes that are not the bench's, and to the hypervisor
 * (steal time, when this is a VM).
 *
 * Linux only (it reads /proc); elsewhere {@link watchLoad} reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux the bench runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The whole machine's CPU counters from the first line of /proc/stat, in clock ticks.
 * @returns {{ busy: number, steal: number, total: number }}
 */
function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = fields;
  // guest and guest_nice (fields 9 and 10) are already included in user and nice.
  return {
    busy: user + nice + system + irq + softirq,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/**
 * Reads /proc/PID/stat: parent pid and CPU ticks. The command name may hold spaces and
 * parentheses, so the fields are counted from the last ")".
 * @param {string} pid
 * @returns {{ ppid: number, own: number, reaped: number } | undefined} `own` = utime + stime,
 *   `reaped` = cutime + cstime (children it has waited for); undefined when it has exited
 */
function processTicks(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
  return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
}

/**
 * CPU ticks used so far by this process, its reaped children, and every live descendant.
 * @returns {{ self: number, descendants: Map<number, number> }}
 */
function ourTicks() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = processTicks(name);
    if (t) table.set(Number(name), t);
  }
  const me = table.get(process.pid);
  const descendants = new Map();
  for (const [pid, t] of table) {
    // Walk up at most 64 parents: a bound, in case the table changed while it was read.
    let up = t.ppid;
    for (let hops = 0; hops < 64 && up > 1 && up !== process.pid; hops++) up = table.get(up)?.ppid ?? 0;
    if (up === process.pid && pid !== process.pid) descendants.set(pid, t.own + t.reaped);
  }
  return { self: me ? me.own + me.reaped : 0, descendants };
}

/**
 * CPU time one process has used so far (user + system), in ms; undefined once it has exited or
 * off Linux. Divided by the work done, it gives a cost per operation that other processes on
 * the machine disturb far less than a rate does.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function processCpuMs(pid) {
  const t = processTicks(String(pid));
  return t === undefined ? undefined : (t.own * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Starts watching. Call the returned function when the measurement ends.
 *
 * Everything the machine did in between, minus what this process and its descendants did
 * (children that exited and were waited for count through this process's cutime), is
 * "other". Processes that both started and ended inside the window are still counted, since
 * the machine total includes them.
 *
 * @returns {() => { otherCores: number, stealCores: number } | undefined} ends the watch; the
 *   figures are average cores over the window; undefined where /proc is not available
 */
export function watchLoad() {
  let start;
  try {
    start = { machine: machineTicks(), ours: ourTicks() };
  } catch {
    return () => undefined;
  }
  return () => {
    const machine = machineTicks();
    const ours = ourTicks();
    let oursDelta = ours.self - start.ours.self;
    for (const [pid, ticks] of ours.descendants) oursDelta += ticks - (start.ours.descendants.get(pid) ?? 0);
    // A child alive at the start and reaped since is now in our cutime with its whole life.
    for (const [pid, ticks] of start.ours.descendants) if (!ours.descendants.has(pid)) oursDelta -= ticks;
    const total = machine.total - start.machine.total;
    if (total <= 0) return { otherCores: 0, stealCores: 0 };
    const cores = cpus().length;
    return {
      otherCores: Math.max(0, ((machine.busy - start.machine.busy - oursDelta) / total) * cores),
      stealCores: ((machine.steal - start.machine.steal) / total) * cores,
    };
  };
}
