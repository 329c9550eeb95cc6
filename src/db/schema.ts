import type { EntitySchema } from 'typeorm';
import { registryEntities } from '../registry/registry.entities.js';
import { timebookEntities } from '../timebook/timebook.entities.js';
import { messageEntities } from '../inbox/message.entities.js';
import { adminEntities } from '../admin/admin.entities.js';
import { RegistryMigration1732233600000 } from './migrations/1732233600000-registry.js';
import { TimebookMigration1732233601000 } from './migrations/1732233601000-timebook.js';
import { MessagesMigration1732233602000 } from './migrations/1732233602000-messages.js';
import { StaffMigration1732233603000 } from './migrations/1732233603000-staff.js';
import { OutboxClaimMigration1732233604000 } from './migrations/1732233604000-outbox-claim.js';
import { VideoMeetingMigration1732233605000 } from './migrations/1732233605000-video-meeting.js';
import { TimebookGenerationMigration1733000000000 } from './migrations/1733000000000-timebook-generation.js';
import { SetupImportMigration1733000000001 } from './migrations/1733000000001-setup-import.js';
import { AdminMigration1734000000000 } from './migrations/1734000000000-admin.js';
import { OutboxUnsentIndexesMigration1735000000000 } from './migrations/1735000000000-outbox-unsent-indexes.js';

/** Every entity of every stage, for the one DataSource. */
export const ALL_ENTITIES: EntitySchema[] = [...registryEntities, ...timebookEntities, ...messageEntities, ...adminEntities];

/** Migrations in order (never `synchronize`): they run on SQLite and PostgreSQL alike. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ALL_MIGRATIONS: Function[] = [
  RegistryMigration1732233600000,
  TimebookMigration1732233601000,
  MessagesMigration1732233602000,
  StaffMigration1732233603000,
  OutboxClaimMigration1732233604000,
  VideoMeetingMigration1732233605000,
  TimebookGenerationMigration1733000000000,
  SetupImportMigration1733000000001,
  AdminMigration1734000000000,
  OutboxUnsentIndexesMigration1735000000000,
];
