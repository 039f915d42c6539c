import { TandemError } from '../errors.js';
import type { SecretSource } from '../pipeline/types.js';
import type { Store } from '../store/store.js';
import { DecryptionError, decryptSecret, encryptSecret } from './crypto.js';
import { loadMasterKey, MASTER_KEY_ENV, type MasterKey, masterKeyPath } from './master-key.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws TANDEM_SECRET_NAME_INVALID (exit 2) unless `name` looks like an env variable name. */
export function assertSecretName(name: string): void {
  if (!NAME.test(name)) {
    throw new TandemError(
      'TANDEM_SECRET_NAME_INVALID',
      `invalid secret name ${JSON.stringify(name)}: use letters, digits and underscores, not starting with a digit (e.g. DATABASE_URL)`,
      { exitCode: 2 },
    );
  }
}

/** The project's secrets, encrypted at rest. Values go in and out of here only; never logged. */
export interface Vault {
  /** Encrypts and stores (replacing), writing a `secret.set` event with the name only. */
  set(name: string, value: string): Promise<{ name: string; updatedAt: string; created: boolean }>;
  /** Names and last update times (ISO-8601), by name; no values. */
  list(): Promise<Array<{ name: string; updatedAt: string }>>;
  /** Deletes, writing a `secret.removed` event; false when there was no such secret. */
  remove(name: string): Promise<boolean>;
  /** The decrypted value, undefined when there is none. */
  get(name: string): Promise<string | undefined>;
  /** Decrypts every secret once, for a pipeline run. */
  toSecretSource(): Promise<SecretSource>;
}

/**
 * A vault over `store`. The master key (TANDEM_MASTER_KEY, else `<projectRoot>/.tandem/master.key`)
 * is read only when a value is encrypted or decrypted; the key file is created by the first `set`.
 */
export function openVault(
  store: Store,
  projectRoot: string,
  env: Record<string, string | undefined> = process.env,
): Vault {
  let reading: Promise<MasterKey | undefined> | undefined;
  const existingKey = () => {
    reading ??= loadMasterKey(projectRoot, { env });
    return reading;
  };
  const keyForReading = async (count: number): Promise<MasterKey> => {
    const key = await existingKey();
    if (key) return key;
    throw new TandemError(
      'TANDEM_SECRET_UNREADABLE',
      `${count} secret(s) are stored but there is no master key: ${MASTER_KEY_ENV} is not set and ` +
        `${masterKeyPath(projectRoot)} does not exist. Set ${MASTER_KEY_ENV} to the key they were written with, ` +
        'or restore the key file',
    );
  };
  const decrypt = (key: MasterKey, name: string, ciphertext: string): string => {
    try {
      return decryptSecret(key.key, name, ciphertext);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      throw new TandemError(
        'TANDEM_SECRET_UNREADABLE',
        `secret ${name} cannot be decrypted with the master key from ${key.origin}: ${err.message}. ` +
          `Use the master key it was written with (${MASTER_KEY_ENV} or ${masterKeyPath(projectRoot)}), ` +
          `or write it again: tandem secret set ${name}`,
        { cause: err },
      );
    }
  };

  return {
    async set(name, value) {
      assertSecretName(name);
      if (value.length === 0) {
        throw new TandemError('TANDEM_SECRET_EMPTY', `secret ${name} would be empty; give it a value`, {
          exitCode: 2,
        });
      }
      let key = await existingKey();
      if (!key) {
        // A new key beside secrets written with another would leave them unreadable for good.
        const stored = (await store.secrets.list()).length;
        if (stored > 0) await keyForReading(stored);
        key = await loadMasterKey(projectRoot, { env, create: true });
        reading = Promise.resolve(key);
      }
      if (!key) throw new Error('master key was not created');
      const at = new Date();
      const { created } = await store.secrets.put(name, encryptSecret(key.key, name, value), at);
      return { name, updatedAt: at.toISOString(), created };
    },

    list: () => store.secrets.list(),

    async remove(name) {
      assertSecretName(name);
      return store.secrets.remove(name, new Date());
    },

    async get(name) {
      assertSecretName(name);
      const row = await store.secrets.get(name);
      if (!row) return undefined;
      return decrypt(await keyForReading(1), row.name, row.ciphertext);
    },

    async toSecretSource() {
      const rows = await store.secrets.all();
      const values = new Map<string, string>();
      if (rows.length > 0) {
        const key = await keyForReading(rows.length);
        for (const row of rows) values.set(row.name, decrypt(key, row.name, row.ciphertext));
      }
      return secretSource(values);
    },
  };
}

/** A SecretSource over known values; `values()` is distinct and longest first (for masking). */
export function secretSource(values: ReadonlyMap<string, string>): SecretSource {
  const all = [...new Set(values.values())].sort((a, b) => b.length - a.length);
  return {
    get: (name) => values.get(name),
    values: () => [...all],
  };
}
