import { describe, expect, it } from 'vitest';
import type { CredentialStore, EnrollOptions } from '@certwizard/sdk';
import { checkWizardOptions, type StartWizardOptions } from './options.js';

const credentials: CredentialStore = { kind: 'file', get: async () => undefined, set: async () => undefined, delete: async () => false };
const valid: StartWizardOptions = {
  vendor: { name: 'ExampleMail' },
  caUrl: 'https://ca.example',
  trustAnchorsPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  baseDir: '/etc/examplemail/certs',
  name: 'mail',
  credentials,
};

describe('checkWizardOptions', () => {
  it('applies the defaults and keeps the vendor part of enroll()', () => {
    const s = checkWizardOptions({ ...valid, enroll: { keyType: 'rsa2048', stateDir: '/var/lib/examplemail' } });
    expect(s.defaults).toEqual({ firstName: '', lastName: '', email: '' });
    expect(s.keyTypes).toEqual(['rsa2048', 'p256', 'p384', 'rsa3072', 'rsa4096']);
    expect(s.defaultKeyType).toBe('rsa2048');
    expect(s.caOrigin).toBe('https://ca.example');
    expect(s.caAccountUrl).toBe('https://ca.example');
    expect(s.addressConfirmation).toBe('person');
    expect(s.port).toBe(0);
    expect(s.pkcs12Download).toBe(false);
    expect(s.enroll).toMatchObject({ caUrl: 'https://ca.example', name: 'mail', stateDir: '/var/lib/examplemail', keyType: 'rsa2048' });
  });

  it('offers only RSA keys and passes the pinned CA fingerprint on for a SCEP method', () => {
    const method = {
      name: 'scep',
      defaultKeyType: 'rsa2048',
      pinnedCaFingerprintSha256: 'ab'.repeat(32),
      submit: async () => ({ status: 'pending', requestId: 't' }),
    } as const;
    const s = checkWizardOptions({ ...valid, enroll: { method } as Partial<EnrollOptions> });
    expect(s.keyTypes).toEqual(['rsa2048', 'rsa3072', 'rsa4096']);
    expect(s.defaultKeyType).toBe('rsa2048');
    expect(s.scep).toEqual({ caFingerprintSha256: 'ab'.repeat(32) });
    expect(() => checkWizardOptions({ ...valid, enroll: { method, keyType: 'p256' } as Partial<EnrollOptions> })).toThrow(/RSA key type/);
    expect(checkWizardOptions(valid).scep).toBeUndefined();
  });

  it('expects an automatic confirmation when the vendor gives enroll() its mail hook', () => {
    const emailPing: EnrollOptions['emailPing'] = { nonces: { expect: async () => 'n'.repeat(43) } };
    expect(checkWizardOptions({ ...valid, enroll: { emailPing } }).addressConfirmation).toBe('automatic');
  });

  it("a certificate for the person's address by default; with names.dns a server certificate for them, the address only when asked", () => {
    expect(checkWizardOptions(valid).certificate).toEqual({ address: true });
    const dns = { names: { dns: ['mail.examplemail.test'] } };
    const server = checkWizardOptions({ ...valid, enroll: dns });
    expect(server.certificate).toEqual({ server: { domainVerification: { method: 'email', localPart: 'postmaster', automatic: false } }, address: false });
    expect(server.defaults.hostNames).toEqual(['mail.examplemail.test']);
    expect(checkWizardOptions({ ...valid, enroll: dns, certifyAddress: true }).certificate.address).toBe(true);
    const emailPing: EnrollOptions['emailPing'] = { nonces: { expect: async () => 'n'.repeat(43) } };
    expect(checkWizardOptions({ ...valid, enroll: { ...dns, emailPing } }).certificate.server?.domainVerification.automatic).toBe(true);
    const publish = async () => undefined;
    expect(checkWizardOptions({ ...valid, enroll: { ...dns, domainVerification: { method: 'dns', publish } } }).certificate.server?.domainVerification).toEqual(
      {
        method: 'dns',
        automatic: true,
      },
    );
  });

  it("keeps the vendor's proof command", () => {
    const proof = { text: 'Check that ExampleMail serves it:', command: 'openssl s_client -starttls smtp -connect 127.0.0.1:25' };
    expect(checkWizardOptions({ ...valid, proof }).proof).toEqual(proof);
    expect(checkWizardOptions(valid).proof).toBeUndefined();
  });

  it('passes options enroll() gains later through unchanged', () => {
    const future = { futureOption: { on: true } } as unknown as Partial<EnrollOptions>;
    expect(checkWizardOptions({ ...valid, enroll: future }).enroll).toMatchObject({ futureOption: { on: true } });
  });

  it.each<{ name: string; options: Partial<StartWizardOptions> | Record<string, unknown>; message: RegExp }>([
    { name: 'no vendor name', options: { vendor: { name: ' ' } }, message: /vendor\.name/ },
    { name: 'a host name the CA refuses', options: { enroll: { names: { dns: ['co.uk'] } } }, message: /enroll\.names\.dns: co\.uk/ },
    { name: 'certifyAddress false without host names', options: { certifyAddress: false }, message: /certifyAddress/ },
    { name: 'a proof without a command', options: { proof: { text: 'Check it', command: '' } }, message: /proof\.command/ },
    { name: 'a proof with a line break', options: { proof: { text: 'Check it', command: 'a\nb' } }, message: /proof\.command/ },
    { name: 'a CA URL that is not http(s)', options: { caUrl: 'ftp://ca.example' }, message: /caUrl/ },
    { name: 'no PEM trust anchor', options: { trustAnchorsPem: 'not a certificate' }, message: /trustAnchorsPem/ },
    { name: 'a relative baseDir', options: { baseDir: 'certs' }, message: /baseDir/ },
    { name: 'a name with a slash', options: { name: '../mail' }, message: /name must match/ },
    { name: 'no credential store', options: { credentials: {} as CredentialStore }, message: /credentials/ },
    { name: 'caUrl given twice', options: { enroll: { caUrl: 'https://other.example' } }, message: /give caUrl as an option of startWizard/ },
    { name: 'the address in enroll', options: { enroll: { names: { email: ['x@example.org'] } } }, message: /names\.email/ },
    { name: 'an opener in enroll', options: { enroll: { registration: { opener: async () => undefined } } }, message: /registration\.opener/ },
    { name: 'noBrowser in enroll', options: { enroll: { registration: { noBrowser: true } } }, message: /registration\.noBrowser/ },
    { name: 'an unknown default key type', options: { enroll: { keyType: 'dsa' as never } }, message: /enroll\.keyType/ },
    { name: 'a port out of range', options: { port: 70000 }, message: /port/ },
    { name: 'a logger without warn', options: { logger: { info() {}, error() {} } as never }, message: /logger/ },
    { name: 'a default address too long', options: { details: { email: 'a'.repeat(255) } }, message: /details\.email/ },
  ])('refuses $name with a TypeError', ({ options, message }) => {
    expect(() => checkWizardOptions({ ...valid, ...options } as StartWizardOptions)).toThrow(TypeError);
    expect(() => checkWizardOptions({ ...valid, ...options } as StartWizardOptions)).toThrow(message);
  });
});
