import { describe, expect, it } from 'vitest';
import { repairConfirmation } from '../../../src/core/probes/catalog/reconcile';
import { probeCellAsksBeforeWriting, probeCellWriteRoles } from '../../../src/core/probes/execute';

describe('reconcile', () => {
  const connection = { name: 'eu-copy', host: 'db-eu.internal', port: 5433, database: 'shop' };

  it('asks naming the connection, its host and every count', () => {
    expect(repairConfirmation(connection, 'public.orders', { insert: 3, update: 1, delete: 0 }, 2)).toBe(
      'Reconcile writes to eu-copy (db-eu.internal:5433/shop): public.orders gets 3 inserts, 1 update and 0 deletes in 2 transactions.',
    );
    expect(repairConfirmation(connection, 'orders', { insert: 1, update: 0, delete: 1 }, 1)).toMatch(
      /1 insert, 0 updates and 1 delete in 1 transaction\.$/,
    );
  });

  it('writes to its target only with apply=yes', () => {
    expect(probeCellWriteRoles('reconcile table=orders from=primary to=replicas')).toEqual([]);
    expect(probeCellWriteRoles('reconcile table=orders from=primary to=target apply=yes')).toEqual(['target']);
  });

  it('asks for itself, with the counts, so a run does not ask first; a marker-writing probe beside it does not', () => {
    expect(probeCellAsksBeforeWriting('reconcile table=orders from=primary to=target apply=yes')).toBe(true);
    expect(probeCellAsksBeforeWriting('reconcile table=orders from=primary to=target')).toBe(false);
    const mixed = 'reconcile table=orders from=primary to=target apply=yes\nreplication-lag marker=yes';
    expect(probeCellAsksBeforeWriting(mixed)).toBe(false);
  });
});
