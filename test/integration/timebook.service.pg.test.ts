/**
 * The timebook service's tests (test/component/timebook/timebook.service.test.ts) once more on
 * PostgreSQL, where the booking core runs other statements than on SQLite (the claim and the
 * appointment insert as one statement, docs/decisions.md §40; the patient's advisory lock).
 */
process.env.TIMEBOK_TIMEBOOK_TESTS_ON = 'postgres';
await import('../component/timebook/timebook.service.test.js');
