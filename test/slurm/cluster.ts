// A single-node SLURM cluster on 127.0.0.1 for the live test: its own munge key and socket, its own
// slurm.conf (the node's real CPU count, ports away from the defaults, state in a temp folder),
// both daemons started in the foreground as children of this process and stopped by `stop`.
// Debian: apt-get install slurmctld slurmd slurm-client munge (SLURM 22.05). Needs root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Cluster { dir: string; env: NodeJS.ProcessEnv; stop(): void }

const TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo'];

/** Why the live test cannot run here, or null. */
export function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the live SLURM test runs the daemons as root; run it as root (CI does)';
  const missing = TOOLS.filter(t => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `SLURM is not installed (missing ${missing.join(', ')}); Debian: apt-get install slurmctld slurmd slurm-client munge` : null;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export async function startCluster(): Promise<Cluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepagrel-slurm-'));
  for (const d of ['state', 'spool', 'logs']) fs.mkdirSync(path.join(dir, d));
  const key = path.join(dir, 'munge.key'), sock = path.join(dir, 'munge.sock'), conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const host = os.hostname().split('.')[0];
  fs.writeFileSync(conf, [
    'ClusterName=deepagrel-test', `SlurmctldHost=${host}(127.0.0.1)`, 'SlurmctldPort=16817', 'SlurmdPort=16818',
    'SlurmUser=root', 'SlurmdUser=root', 'AuthType=auth/munge', `AuthInfo=socket=${sock}`, 'CredType=cred/munge',
    `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`, `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`, `SlurmdLogFile=${dir}/slurmd.log`,
    // No cgroups in containers: track a job's processes by parent pid.
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SwitchType=switch/none', 'MpiDefault=none',
    'SchedulerType=sched/backfill', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU',
    'JobAcctGatherType=jobacct_gather/none', 'AccountingStorageType=accounting_storage/none',
    'ReturnToService=2', 'JobRequeue=1', 'KillWait=5', 'MinJobAge=600', 'SlurmdParameters=config_overrides',
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.availableParallelism()} State=UNKNOWN`,
    'PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const daemon = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', fs.openSync(path.join(dir, `${cmd}.out`), 'a'), fs.openSync(path.join(dir, `${cmd}.out`), 'a')] });
    daemons.push(p);
  };
  const stop = () => {
    for (const p of daemons.reverse()) if (p.exitCode === null && p.pid) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
  };
  try {
    daemon('munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${sock}`, `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`, `--seed-file=${dir}/munged.seed`]);
    for (let i = 0; i < 50 && !fs.existsSync(sock); i++) await sleep(100);
    daemon('slurmctld', ['-D', '-c', '-f', conf]);
    daemon('slurmd', ['-D', '-f', conf]);
    for (let i = 0; ; i++) {
      const s = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
      if (s.status === 0 && /^idle/m.test(s.stdout)) break;
      if (i > 150) throw new Error(`the SLURM node did not come up: ${s.stdout}${s.stderr}; logs in ${dir}`);
      await sleep(200);
    }
  } catch (e) { stop(); throw e; }
  return { dir, env, stop };
}

/** Run a SLURM client command; throws with its output when it fails. */
export function slurm(c: Cluster, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { env: c.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Wait until the job (all array tasks) left the queue. */
export async function waitForJob(c: Cluster, job: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (slurm(c, 'squeue', ['-h', '-j', job, '-o', '%i %T']) !== '') {
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${job} still queued after ${timeoutMs / 1000} s: ${slurm(c, 'squeue', ['-j', job])}`);
    await sleep(500);
  }
}

/** Final state of each array task, e.g. { '1': 'COMPLETED', '2': 'COMPLETED' }. */
export function taskStates(c: Cluster, job: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rec of slurm(c, 'scontrol', ['-o', 'show', 'job', job]).split('\n')) {
    const task = /ArrayTaskId=(\S+)/.exec(rec)?.[1], state = /JobState=(\S+)/.exec(rec)?.[1];
    if (task && state) out[task] = state;
  }
  return out;
}
