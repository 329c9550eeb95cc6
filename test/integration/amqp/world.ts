/** Moved to scripts/support/amqp-world.ts (shared by the tests and the bench); re-exported for the tests. */
export * from '../../../scripts/support/amqp-world.js';
