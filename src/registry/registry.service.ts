import type { Database } from '../db/database.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { TimebokError } from '../shared/errors.js';
import { isProcessActivated, normalizeProcess, PROCESS_APPREC } from './process-codes.js';
import { OurPartyEntity, PartyEntity, rowToRecord } from './registry.entities.js';
import type { Party, ReceiverCheck, RegistryRecord, RegistrySource, SenderCheck } from './types.js';

/** Parent chains are validated on import; this only stops a corrupted database from looping. */
const MAX_CHAIN = 16;

/** Reads the imported registry.json snapshot from the database. */
export class DatabaseRegistrySource implements RegistrySource {
  constructor(private readonly db: Database) {}

  async fetchParty(herId: number): Promise<RegistryRecord | null> {
    const row = await guard(() => this.db.manager.findOneBy(PartyEntity, { herId }));
    return row === null ? null : rowToRecord(row);
  }
}

export interface RegistryServiceOptions {
  /** How long a looked-up party is trusted before it is read again. Default 5 minutes. */
  ttlMs?: number;
  clock?: Clock;
  /**
   * Asked for a HER-id the database does not know (e.g. a live Adresseregisteret client). Its answers
   * are kept in memory only, for the TTL.
   */
  fallback?: RegistrySource;
}

interface Cached<T> {
  value: T;
  expiresAt: number;
}

/**
 * The address registry as the pipeline asks it: parties with inheritance applied, and the addressing
 * checks of docs/decisions.md §14–16, 19. Reads only (the database through `db.manager`, then the optional
 * fallback source); results are cached in memory for `ttlMs`, unknown HER-ids included.
 *
 * Every method may throw `ERR_DEPENDENCY_UNAVAILABLE` (retry) when the database cannot be read.
 */
export class RegistryService {
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly sources: RegistrySource[];
  private readonly records = new Map<number, Cached<RegistryRecord | null>>();
  private readonly children = new Map<number, Cached<number[]>>();
  private ours: Cached<ReadonlySet<number>> | null = null;

  constructor(
    private readonly db: Database,
    options: RegistryServiceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.clock = options.clock ?? systemClock;
    this.sources = [new DatabaseRegistrySource(db)];
    if (options.fallback !== undefined) this.sources.push(options.fallback);
  }

  /** The party with queues and certificates inherited from its parent chain when absent; null if unknown. */
  async getParty(herId: number): Promise<Party | null> {
    const record = await this.record(herId);
    if (record === null) return null;
    let queues = record.queues;
    let certificates = record.certificates;
    let parentHerId = record.parentHerId;
    for (let depth = 0; (queues === null || certificates === null) && parentHerId !== null; depth += 1) {
      if (depth >= MAX_CHAIN) throw new TimebokError('ERR_INTERNAL', `registry: parent chain of ${herId} too long`);
      const ancestor = await this.record(parentHerId);
      if (ancestor === null) break;
      queues ??= ancestor.queues;
      certificates ??= ancestor.certificates;
      parentHerId = ancestor.parentHerId;
    }
    return {
      ...record,
      processes: [...record.processes],
      queues: queues === null ? null : { ...queues },
      certificates: certificates === null ? null : { ...certificates },
    };
  }

  /** The registered parent of `herId` (inheritance applied); null if `herId` is unknown or has none. */
  async getParent(herId: number): Promise<Party | null> {
    const record = await this.record(herId);
    if (record === null || record.parentHerId === null) return null;
    return this.getParty(record.parentHerId);
  }

  /** Whether `herId` is served by this Timebok (see `setOurParties`). */
  async isOurs(herId: number): Promise<boolean> {
    return (await this.ourSet()).has(herId);
  }

  /** Our parties that the registry knows, in HER-id order (e.g. to know which queues to consume). */
  async ourParties(): Promise<Party[]> {
    const parties = await Promise.all([...(await this.ourSet())].sort((a, b) => a - b).map((h) => this.getParty(h)));
    return parties.filter((p): p is Party => p !== null);
  }

  /**
   * May a message for `process` be delivered to this receiver? (docs/decisions.md §14, §15, 19.) In this order:
   * level 2 unknown → `unknown`; level 1 not its registered parent → `wrong-parent`; level 1 unknown →
   * `unknown`; level 2 or level 1 inactive → `inactive`; level 2 not ours → `not-ours`; process not
   * activated on level 2 → `process-not-activated`. Processes compare case-insensitively and
   * `DIALOG_INNBYGGER_AVTALEBESTILLING` counts as AVTALEAVBESTILLING; `APPREC` is accepted for every
   * party of ours. A null `level2HerId` addresses level 1 itself (no parent check); a null
   * `level1HerId` with a level 2 that has a registered parent is `wrong-parent`.
   */
  async checkReceiver(input: {
    level1HerId: number | null;
    level2HerId: number | null;
    process: string;
  }): Promise<ReceiverCheck> {
    const { level1HerId, level2HerId, process } = input;
    const receiverHerId = level2HerId ?? level1HerId;
    if (receiverHerId === null) return { ok: false, reason: 'unknown' };
    const party = await this.getParty(receiverHerId);
    if (party === null) return { ok: false, reason: 'unknown' };
    let parent: Party | null = null;
    if (level2HerId !== null) {
      if (party.parentHerId !== level1HerId) return { ok: false, reason: 'wrong-parent' };
      if (level1HerId !== null) {
        parent = await this.getParty(level1HerId);
        if (parent === null) return { ok: false, reason: 'unknown' };
      }
    } else if (party.parentHerId !== null) {
      parent = await this.getParty(party.parentHerId);
    }
    if (!party.active || (parent !== null && !parent.active)) return { ok: false, reason: 'inactive' };
    if (!(await this.isOurs(party.herId))) return { ok: false, reason: 'not-ours' };
    if (normalizeProcess(process) !== PROCESS_APPREC && !isProcessActivated(party.processes, process)) {
      return { ok: false, reason: 'process-not-activated' };
    }
    return { ok: true, party, parent };
  }

  /**
   * May this party send to us? (docs/decisions.md §16, §19.) It must be in the registry, and it and its parent
   * active. `herId` is the sender's level-2 HER-id (AMQP `fromHerId`).
   */
  async checkSender(herId: number): Promise<SenderCheck> {
    const party = await this.getParty(herId);
    if (party === null) return { ok: false, reason: 'unknown' };
    const parent = party.parentHerId === null ? null : await this.getParty(party.parentHerId);
    if (!party.active || (parent !== null && !parent.active)) return { ok: false, reason: 'inactive' };
    return { ok: true, party, parent };
  }

  /**
   * The `Person` parties whose registered parent is `officeHerId`, in HER-id order, inactive ones
   * included (the caller decides; `active` is on each). For timebook eligibility `officeList`
   * (docs/decisions.md §25). Only the database snapshot is searched, not the fallback source.
   */
  async practitionersOfOffice(officeHerId: number): Promise<Party[]> {
    const now = this.clock.now().getTime();
    let cached = this.children.get(officeHerId);
    if (cached === undefined || cached.expiresAt <= now) {
      const rows = await guard(() =>
        this.db.manager.find(PartyEntity, {
          where: { parentHerId: officeHerId, type: 'Person' },
          order: { herId: 'ASC' },
        }),
      );
      for (const row of rows) this.remember(row.herId, rowToRecord(row), now);
      cached = { value: rows.map((r) => Number(r.herId)), expiresAt: now + this.ttlMs };
      this.children.set(officeHerId, cached);
    }
    const parties = await Promise.all(cached.value.map((h) => this.getParty(h)));
    return parties.filter((p): p is Party => p !== null && p.type === 'Person' && p.parentHerId === officeHerId);
  }

  /**
   * Forgets cached answers so the next lookup reads the sources again: for one party (and its cached
   * ancestors, whose queues and certificates it may inherit — "refresh a party once" when its
   * certificate fails), or everything when `herId` is omitted (e.g. after an import).
   */
  invalidate(herId?: number): void {
    if (herId === undefined) {
      this.records.clear();
      this.children.clear();
      this.ours = null;
      return;
    }
    let current: number | null = herId;
    for (let depth = 0; current !== null && depth < MAX_CHAIN; depth += 1) {
      const entry = this.records.get(current);
      this.records.delete(current);
      this.children.delete(current);
      current = entry?.value?.parentHerId ?? null;
    }
  }

  private async record(herId: number): Promise<RegistryRecord | null> {
    const now = this.clock.now().getTime();
    const cached = this.records.get(herId);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;
    let found: RegistryRecord | null = null;
    for (const source of this.sources) {
      found = await source.fetchParty(herId);
      if (found !== null) break;
    }
    this.remember(herId, found, now);
    return found;
  }

  private remember(herId: number, record: RegistryRecord | null, now: number): void {
    this.records.set(herId, { value: record, expiresAt: now + this.ttlMs });
  }

  private async ourSet(): Promise<ReadonlySet<number>> {
    const now = this.clock.now().getTime();
    if (this.ours === null || this.ours.expiresAt <= now) {
      const rows = await guard(() => this.db.manager.find(OurPartyEntity));
      this.ours = { value: new Set(rows.map((r) => Number(r.herId))), expiresAt: now + this.ttlMs };
    }
    return this.ours.value;
  }
}

/** A failed read is a dependency outage (retry), not an answer. */
async function guard<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    if (cause instanceof TimebokError) throw cause;
    throw new TimebokError('ERR_DEPENDENCY_UNAVAILABLE', 'registry: database read failed', {
      cause,
      disposition: 'retry',
    });
  }
}
