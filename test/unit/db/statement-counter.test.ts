import { StatementCounter } from '../../../src/db/sql.js';

describe('StatementCounter (the bench counts statements and transactions)', () => {
  it('counts statements without transaction control and PRAGMAs, and counts transactions begun', () => {
    const c = new StatementCounter();
    for (const sql of ['START TRANSACTION', 'INSERT INTO t VALUES (1)', '  select 1', 'COMMIT', 'BEGIN', 'PRAGMA synchronous = NORMAL', 'SAVEPOINT a', 'RELEASE SAVEPOINT a', 'UPDATE t SET x = 1', 'ROLLBACK']) c.count(sql);
    expect(c.statements).toBe(3);
    expect(c.transactions).toBe(2);
  });
});
