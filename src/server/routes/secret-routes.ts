/**
 * Secrets (issue 6): admin sets, lists and removes the project's encrypted secrets, the same vault
 * `tandem secret` opens offline. Values are write-only: no route answers one, not even masked, and
 * the pipeline audits only the path's `name`, never the body.
 */
import { z } from 'zod';
import { isTandemError } from '../../errors.js';
import { assertSecretName, type Vault } from '../../secrets/vault.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type RouteDef } from './types.js';

const TAG = 'secrets';
/** 64 KiB of UTF-8: room for a PEM bundle, small enough to keep rows and runs cheap. */
export const MAX_SECRET_BYTES = 64 * 1024;

export interface SecretRoutesDeps {
  /**
   * The project's vault, opened per request: a vault caches the master key it read, so a fresh
   * one sees a key file or TANDEM_MASTER_KEY changed since (as the control plane does).
   */
  vault(): Vault | Promise<Vault>;
}

export const secretInfoSchema = z.object({
  name: z.string(),
  updatedAt: z.string().describe('ISO-8601 time of the last set'),
});
export const setSecretBody = z.strictObject({
  value: z
    .string()
    .min(1, 'give the secret a value (an empty one is refused)')
    .max(MAX_SECRET_BYTES)
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_BYTES, {
      message: `at most ${MAX_SECRET_BYTES} bytes of UTF-8`,
    })
    .describe('write-only: never answered, logged or audited'),
});

/** The vault's master-key refusals are the server's setup, not the caller's request: 503. */
const KEY_PROBLEMS = new Set(['TANDEM_MASTER_KEY_INVALID', 'TANDEM_MASTER_KEY_INSECURE']);

export function secretRoutes(deps: SecretRoutesDeps): RouteDef[] {
  const withVault = async <T>(fn: (vault: Vault) => Promise<T>): Promise<T> => {
    try {
      return await fn(await deps.vault());
    } catch (err) {
      if (isTandemError(err) && KEY_PROBLEMS.has(err.code)) {
        throw new HttpProblem(503, err.code, `the server cannot use its master key: ${err.message}`);
      }
      throw err;
    }
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/secrets',
      summary: 'Secret names and when each was last set, by name (never a value)',
      tag: TAG,
      role: 'admin',
      response: z.object({ items: z.array(secretInfoSchema) }),
      handler: async () => {
        const rows = await withVault((vault) => vault.list());
        // A fresh object per row, so nothing but the name and time can ride along.
        const items = rows.map((r) => ({ name: r.name, updatedAt: r.updatedAt }));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/secrets/:name',
      summary:
        'Set a secret (created or replaced); like the first `tandem secret set`, creates .tandem/master.key when there is no key',
      tag: TAG,
      role: 'admin',
      body: setSecretBody,
      response: secretInfoSchema.extend({ created: z.boolean() }),
      handler: async ({ params, body }) => {
        const name = params.name as string;
        assertSecretName(name);
        const saved = await withVault((vault) => vault.set(name, body.value));
        return {
          status: 200,
          body: { name: saved.name, updatedAt: saved.updatedAt, created: saved.created },
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/secrets/:name',
      summary: 'Delete a secret',
      tag: TAG,
      role: 'admin',
      response: z.object({ name: z.string(), removed: z.literal(true) }),
      handler: async ({ params }) => {
        const name = params.name as string;
        assertSecretName(name);
        if (!(await withVault((vault) => vault.remove(name)))) {
          throw new HttpProblem(
            404,
            'TANDEM_SECRET_NOT_FOUND',
            `no secret named ${name} (GET /api/v1/secrets or \`tandem secret list\` lists them)`,
          );
        }
        return { status: 200, body: { name, removed: true } };
      },
    }),
  ];
}
