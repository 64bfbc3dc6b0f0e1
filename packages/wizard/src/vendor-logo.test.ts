import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOGO_MAX_BYTES, loadVendorLogo } from './vendor-logo.js';

const dir = mkdtempSync(join(tmpdir(), 'certwizard-logo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>';
writeFileSync(join(dir, 'logo.SVG'), SVG);
writeFileSync(join(dir, 'logo.bmp'), 'BM');

describe('loadVendorLogo', () => {
  it('reads a file, typed by its extension', async () => {
    expect(await loadVendorLogo(join(dir, 'logo.SVG'))).toEqual({ contentType: 'image/svg+xml', bytes: Buffer.from(SVG) });
  });

  it('decodes a base64 data URL', async () => {
    const logo = await loadVendorLogo(`data:image/svg+xml;base64,${Buffer.from(SVG).toString('base64')}`);
    expect(logo?.bytes.toString()).toBe(SVG);
    expect(logo?.contentType).toBe('image/svg+xml');
  });

  it('takes bytes with their type', async () => {
    expect(await loadVendorLogo({ data: new Uint8Array([1, 2, 3]), contentType: 'image/PNG' })).toEqual({
      contentType: 'image/png',
      bytes: Buffer.from([1, 2, 3]),
    });
  });

  it('is optional', async () => {
    expect(await loadVendorLogo(undefined)).toBeUndefined();
  });

  it.each([
    { name: 'an unknown extension', logo: () => join(dir, 'logo.bmp'), message: /must end in/ },
    { name: 'a data URL that is not base64', logo: () => `data:image/svg+xml,${SVG}`, message: /data URL/ },
    { name: 'a type that is not an image', logo: () => ({ data: new Uint8Array([1]), contentType: 'text/html' }), message: /type must be one of/ },
    { name: 'an image type a page cannot show in <img>', logo: () => 'data:image/tiff;base64,AAAA', message: /type must be one of/ },
    { name: 'a logo over the limit', logo: () => ({ data: new Uint8Array(LOGO_MAX_BYTES + 1), contentType: 'image/png' }), message: /must be 1 to/ },
    { name: 'an empty logo', logo: () => ({ data: new Uint8Array(0), contentType: 'image/png' }), message: /must be 1 to/ },
  ])('refuses $name with a TypeError', async ({ logo, message }) => {
    await expect(loadVendorLogo(logo())).rejects.toThrow(TypeError);
    await expect(loadVendorLogo(logo())).rejects.toThrow(message);
  });
});
