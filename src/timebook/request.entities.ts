import { EntitySchema } from 'typeorm';

import type { CitizenRequestRow } from './types.js';

export type { CitizenRequestRow, RequestEvent } from './types.js';

export const CitizenRequestEntity = new EntitySchema<CitizenRequestRow>({
  name: 'CitizenRequest',
  tableName: 'citizen_request',
  columns: {
    id: { type: 'varchar', length: 64, primary: true },
    kind: { type: 'varchar', length: 8 },
    process: { type: 'varchar', length: 100 },
    functionCode: { type: 'varchar', length: 10 },
    status: { type: 'varchar', length: 10 },
    answerCode: { type: 'varchar', length: 4, nullable: true },
    answerMsgId: { type: 'varchar', length: 64, nullable: true },
    counterpartyHerId: { type: 'integer' },
    ourHerId: { type: 'integer' },
    msgId: { type: 'varchar', length: 200 },
    conversationId: { type: 'varchar', length: 200 },
    inboxId: { type: 'varchar', length: 64 },
    patientId: { type: 'varchar', length: 11 },
    patientIdType: { type: 'varchar', length: 3 },
    patientFamilyName: { type: 'varchar', length: 200, nullable: true },
    patientGivenName: { type: 'varchar', length: 200, nullable: true },
    representativeId: { type: 'varchar', length: 11, nullable: true },
    relation: { type: 'varchar', length: 10, nullable: true },
    fromDate: { type: 'varchar', length: 32, nullable: true },
    toDate: { type: 'varchar', length: 32, nullable: true },
    event: { type: 'simple-json', nullable: true },
    wishedPractitioner: { type: 'simple-json', nullable: true },
    acceptsOther: { type: 'varchar', length: 2, nullable: true },
    emneSporsmal: { type: 'text', nullable: true },
    sporsmal: { type: 'text', nullable: true },
    appointmentId: { type: 'varchar', length: 64, nullable: true },
    receivedAt: { type: 'varchar', length: 32 },
    answeredAt: { type: 'varchar', length: 32, nullable: true },
    updatedAt: { type: 'varchar', length: 32 },
  },
  indices: [
    { name: 'IDX_citizen_request_open', columns: ['kind', 'status', 'receivedAt'] },
    { name: 'IDX_citizen_request_appointment', columns: ['appointmentId'] },
  ],
});
