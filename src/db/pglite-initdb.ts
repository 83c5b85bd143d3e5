/**
 * Creates a new PGlite database (initdb) in the folder named by the first argument, then exits.
 * openPglite runs it as a child process: initdb leaves 650–800 MB of WebAssembly memory behind
 * that no close() returns, and it belongs to this short-lived process, not to the server.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_START_PARAMS } from './pglite.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: pglite-initdb <folder>');
// The server that asked is gone: nobody will move the result into place.
process.once('disconnect', () => process.exit(1));
const pglite = await PGlite.create({ dataDir: dir, startParams: PGLITE_START_PARAMS });
await pglite.close();
process.exit(0);
