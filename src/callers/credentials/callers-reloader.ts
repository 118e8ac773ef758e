import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { rereadCallerEntries } from '../../config/config-loader';
import { callersConfigured } from '../../config/caller-entries';
import { Listeners } from '../../common/listeners';
import { CallerCredentials } from './caller-credentials';

/** How often CALLERS_FILE is looked at: a change is picked up within this (well inside 10 s). */
export const CALLERS_FILE_POLL_MS = 2_000;

export type ReloadOutcome = 'success' | 'failure';

export interface ReloadResult {
  readonly outcome: ReloadOutcome;
  /** The callers in use after it: the new list, or the one kept. */
  readonly callers: number;
  /** Why it failed (lines of the loader: setting, entry, what is wrong; never a hash). */
  readonly problems?: readonly string[];
}

/**
 * Reads the callers again (CALLERS_FILE from disk, CALLERS as configured) through config/'s own
 * loader function and swaps them into CallerCredentials whole. Asked by SIGHUP (main.ts), POST
 * /admin/reload, and a change of CALLERS_FILE's content: it is polled by content hash rather
 * than watched, because a Kubernetes Secret volume swaps a symlink (its mtime and inode move
 * under a watcher) and a hash sees a change however the file was replaced. A reload that fails
 * keeps the callers in use; so does one that would leave none (a truncated file must not lock
 * every caller out).
 */
@Injectable()
export class CallersReloader implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Callers');
  private readonly reloaded = new Listeners<[ReloadResult]>();
  private readonly enabled: boolean;
  private fileHash: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
    private readonly credentials: CallerCredentials,
  ) {
    this.enabled = callersConfigured({ callersFile: config.callersFile, callers: config.callers });
  }

  /** Observes every reload and its outcome (metrics). */
  onReload(listener: (result: ReloadResult) => void): void {
    this.reloaded.add(listener);
  }

  onModuleInit(): void {
    const file = this.config.callersFile;
    if (!file) return;
    this.fileHash = hashOf(file);
    this.timer = setInterval(() => this.poll(file), CALLERS_FILE_POLL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the callers again; `trigger` names who asked, for the log line. */
  reload(trigger: string): ReloadResult {
    const before = this.credentials.names;
    if (this.config.callersFile) this.fileHash = hashOf(this.config.callersFile);
    let problems: string[];
    if (!this.enabled) {
      problems = ['no callers list is configured (CALLERS_FILE or CALLERS): nothing to reload'];
    } else {
      const read = rereadCallerEntries(this.config);
      problems = read.problems;
      if (problems.length === 0 && read.entries.length === 0) problems = ['the list holds no caller: every caller would be locked out'];
      if (problems.length === 0) {
        this.credentials.replace(read.entries);
        const after = this.credentials.names;
        const added = after.filter((name) => !before.includes(name));
        const removed = before.filter((name) => !after.includes(name));
        this.logger.log({
          msg: `Callers reloaded (${trigger}): ${after.length} callers${describe('added', added)}${describe('removed', removed)}`,
          trigger,
          outcome: 'success',
          callers: after.length,
        });
        return this.report({ outcome: 'success', callers: after.length });
      }
    }
    this.logger.error({
      msg: `Callers reload (${trigger}) failed, the ${before.length} callers in use are kept: ${problems.join('; ')}`,
      trigger,
      outcome: 'failure',
      callers: before.length,
    });
    return this.report({ outcome: 'failure', callers: before.length, problems });
  }

  private poll(file: string): void {
    const hash = hashOf(file);
    if (hash === this.fileHash) return;
    this.reload('CALLERS_FILE changed');
  }

  private report(result: ReloadResult): ReloadResult {
    this.reloaded.emit(result);
    return result;
  }
}

/** The file's content hash, or a marker while it cannot be read (a Secret's symlink mid-swap). */
function hashOf(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('base64');
  } catch (error) {
    return `unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

function describe(what: string, names: string[]): string {
  return names.length === 0 ? '' : `, ${what} ${names.map((name) => JSON.stringify(name)).join(', ')}`;
}
