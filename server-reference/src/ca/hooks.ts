/**
 * The ssl_api-style hooks an operator plugs into the CA with `--hooks MODULE`. Each is optional;
 * without a module every valid request is signed for the names it asks (ssl_api's default).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { CertificateRequest, ExtendedKeyUsageName, KeyUsageName, RawExtension, SubjectAltNames } from '@certwizard/pki';
import { HooksError } from '../errors.js';

/** What every hook learns about the request it is called for. */
export interface HookContext {
  /** The `:client` path segment (ssl_api's client hash). */
  readonly clientHash: string;
  /** Lower-case hex SHA-1 of the request's DER SubjectPublicKeyInfo, as in ssl_api. */
  readonly publicKeyHash: string;
  /** The parsed, verified request. */
  readonly csr: CertificateRequest;
  /** Aborted when the client goes away (a CA shutting down lets requests in flight finish). */
  readonly signal: AbortSignal;
}

/** The certificate about to be signed; `presign` may change it. */
export interface CertificateDraft {
  /** Names the certificate will carry; may only shrink (a CA never adds names nobody asked for). */
  subjectAltNames: SubjectAltNames;
  notBefore: Date;
  notAfter: Date;
  keyUsage?: KeyUsageName[];
  extendedKeyUsage?: ExtendedKeyUsageName[];
  /** Extra extensions to add (DER values). basicConstraints cA=TRUE is refused. */
  extensions: RawExtension[];
}

/** The certificate as signed and stored, given to `postsign`. */
export interface SignedCertificate {
  readonly serialHex: string;
  readonly pem: string;
  readonly notAfter: Date;
}

/** What `boot` is told about the CA it runs in. No secrets. */
export interface HookBootInfo {
  readonly publicUrl: string;
  readonly caSubject: string;
  readonly dataDir: string;
}

/** A certificate offered to `onNamesLost`: valid, unexpired, and carrying a name the account lost. */
export interface CertificateWithLostNames {
  readonly serialHex: string;
  /** Every name the certificate carries (addresses, DNS names, IP addresses). */
  readonly names: readonly string[];
  readonly notAfter: Date;
}

/** What `onNamesLost` is told: an account no longer holds some names. */
export interface NamesLostEvent {
  readonly accountId: number;
  /** Why: the owner or an operator removed a domain (names below it are lost with it). */
  readonly why: 'domain_removed';
  /** The names lost: the domain, in its ASCII form. */
  readonly names: readonly string[];
  /** The account's valid, unexpired certificates that carry a lost name, or a name below it. */
  readonly certificates: readonly CertificateWithLostNames[];
}

/**
 * What `onNamesLost` answers: the certificates to revoke, by serial (reason
 * `cessationOfOperation`) or with the reason (`cessationOfOperation` or `affiliationChanged`).
 * Serials not among the event's certificates are ignored: the hook cannot revoke anything else.
 */
export type NamesLostAnswer = ReadonlyArray<string | { readonly serialHex: string; readonly reason: 'cessationOfOperation' | 'affiliationChanged' }>;

/** The hooks a module may export, by name or as its default export. */
export interface CaHooks {
  /** Called once before the CA starts listening. */
  boot?(info: HookBootInfo): void | Promise<void>;
  /** Whether to sign for these names. `false` refuses the request (HTTP 403, `refused`). */
  authorize?(subjectAltNames: SubjectAltNames, ctx: HookContext): boolean | Promise<boolean>;
  /** May change validity, drop names, add extensions: mutate the draft or return a new one. */
  presign?(draft: CertificateDraft, ctx: HookContext): void | CertificateDraft | Promise<void | CertificateDraft>;
  /** Told about every signed certificate after it is stored. Its failure is logged, not returned. */
  postsign?(certificate: SignedCertificate, ctx: HookContext): void | Promise<void>;
  /** Supplies the next serial number (positive, at most 20 octets); default: 127 random bits. */
  serialNumber?(): bigint | number | string | Uint8Array | Promise<bigint | number | string | Uint8Array>;
  /**
   * Revocation policy: called after an account lost names (a domain removed by its owner or an
   * operator), with the certificates that carry them; the CA revokes what it answers. Without
   * this hook nothing is revoked (the installations learn it from cdomains and ask their user).
   * Its failure is logged; the removal stands and nothing is revoked.
   */
  onNamesLost?(event: NamesLostEvent): NamesLostAnswer | void | Promise<NamesLostAnswer | void>;
}

const HOOK_NAMES = ['boot', 'authorize', 'presign', 'postsign', 'serialNumber', 'onNamesLost'] as const;

/**
 * Loads a hooks module from a path (relative to the working directory) or a module specifier.
 * @throws {HooksError} `ERR_CA_HOOKS` when it cannot be imported or exports a non-function hook.
 */
export async function loadHooks(specifier: string): Promise<CaHooks> {
  const url = specifier.startsWith('.') || specifier.startsWith('/') ? pathToFileURL(resolve(specifier)).href : specifier;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new HooksError(`the hooks module ${specifier} could not be loaded: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const source = (mod.default && typeof mod.default === 'object' ? mod.default : mod) as Record<string, unknown>;
  const hooks: Record<string, unknown> = {};
  for (const name of HOOK_NAMES) {
    const fn = source[name];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new HooksError(`hook ${name} in ${specifier} is not a function`);
    hooks[name] = fn;
  }
  return hooks as CaHooks;
}
