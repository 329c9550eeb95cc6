/** Adresseregisteret communication-party types (registry.json `type`). */
export type PartyType = 'Organization' | 'Service' | 'Person' | 'Department';

/** A communication party as Timebok uses it: inheritance from the parent already applied. */
export interface Party {
  herId: number;
  name: string;
  type: PartyType;
  parentHerId: number | null;
  organizationNumber: string | null;
  hprNumber: string | null;
  /** A party without `active` in the file is active (docs/decisions.md §19). */
  active: boolean;
  /** AR process codes (8279) activated on the party, as written in the file. */
  processes: string[];
  /** Queues, inherited from the parent when the party has none; null when neither has them. */
  queues: { async: string; sync: string; error: string } | null;
  /** Absolute paths of PEM certificates, inherited from the parent when the party has none. */
  certificates: { signing: string | null; encryption: string | null } | null;
}

/** The answer to "may this message be delivered to this receiver?" (docs/decisions.md §14, §15). */
export type ReceiverCheck =
  | { ok: true; party: Party; parent: Party | null }
  | { ok: false; reason: 'unknown' | 'inactive' | 'not-ours' | 'wrong-parent' | 'process-not-activated' };

/** Queue names of a communication party (AMQP `to` values). */
export interface PartyQueues {
  async: string;
  sync: string;
  error: string;
}

/** Certificate files of a communication party (absolute paths of PEM files). */
export interface PartyCertificates {
  signing: string | null;
  encryption: string | null;
}

/**
 * A party exactly as a registry source knows it: its own queues and certificates only (null when it
 * has none and inherits them from its parent). {@link Party} is this with inheritance applied.
 */
export interface RegistryRecord {
  herId: number;
  name: string;
  type: PartyType;
  parentHerId: number | null;
  organizationNumber: string | null;
  hprNumber: string | null;
  active: boolean;
  processes: string[];
  queues: PartyQueues | null;
  certificates: PartyCertificates | null;
}

/**
 * Where party records come from. The imported registry.json snapshot is one implementation
 * (`FileRegistrySource`), the database cache another (`DatabaseRegistrySource`); a live
 * Adresseregisteret client can be a third. Returns null for an unknown HER-id; throws
 * `ERR_DEPENDENCY_UNAVAILABLE` (retry) when the source cannot be reached.
 */
export interface RegistrySource {
  fetchParty(herId: number): Promise<RegistryRecord | null>;
}

/** The answer to "may this party send to us?" (docs/decisions.md §16): known and active. */
export type SenderCheck =
  | { ok: true; party: Party; parent: Party | null }
  | { ok: false; reason: 'unknown' | 'inactive' };
