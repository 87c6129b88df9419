/**
 * The package's public entry points resolve as a user imports them: `tsdaos/dfs` and `tsdaos/client`.
 */
import t from 'tap';

t.test('exports: tsdaos/dfs and tsdaos/client resolve to the built libraries', async (t) => {
  const dfs = (await import('tsdaos/dfs')) as Record<string, unknown>;
  t.equal(typeof dfs['mountDfs'], 'function', 'tsdaos/dfs exports mountDfs');
  const client = (await import('tsdaos/client')) as Record<string, unknown>;
  t.equal(typeof client['connectPool'], 'function', 'tsdaos/client exports connectPool');
});
