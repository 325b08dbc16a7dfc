/**
 * Builds the embedded database (FerretDB v1.24.2 from the Go module proxy) into .tools/.
 * Idempotent: does nothing when the right binary is already there.
 */
import { ensureFerretdb, DatabaseSetupError } from '../server/db/ferretdb';

ensureFerretdb({ info: (m) => console.log(m), warn: (m) => console.warn(m) })
  .then((bin) => console.log(`FerretDB ready at ${bin}`))
  .catch((err: unknown) => {
    console.error(err instanceof DatabaseSetupError ? err.message : err);
    process.exit(1);
  });
