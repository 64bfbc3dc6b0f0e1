/**
 * The vendor's logo, read once when the wizard starts and served at `/api/logo`: from a file, a
 * `data:` URL or bytes. Only image types a browser shows in `<img>`; served with its own
 * sandboxing CSP, so that an SVG opened on its own cannot run script on the wizard's origin.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { WizardVendor } from './options.js';

/** Largest logo accepted, in bytes. */
export const LOGO_MAX_BYTES = 512 * 1024;

/** A logo ready to serve. */
export interface VendorLogo {
  readonly bytes: Buffer;
  readonly contentType: string;
}

const TYPE_OF_EXTENSION: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};
const IMAGE_TYPES = new Set(Object.values(TYPE_OF_EXTENSION));
const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,([A-Za-z0-9+/]*={0,2})$/i;

/**
 * Loads `vendor.logo`.
 * @returns the logo, or undefined when the vendor gave none.
 * @throws {TypeError} for an unknown image type, a malformed data URL, or a logo over {@link LOGO_MAX_BYTES}.
 * @throws the file system's error (`ENOENT`, ...) when the file cannot be read.
 */
export async function loadVendorLogo(logo: WizardVendor['logo']): Promise<VendorLogo | undefined> {
  if (logo === undefined) return undefined;
  let found: VendorLogo;
  if (typeof logo === 'string' && logo.startsWith('data:')) {
    const match = DATA_URL.exec(logo);
    if (match === null) throw new TypeError('vendor.logo: a data URL must be data:image/<type>;base64,<data>');
    found = { contentType: (match[1] as string).toLowerCase(), bytes: Buffer.from(match[2] as string, 'base64') };
  } else if (typeof logo === 'string') {
    const contentType = TYPE_OF_EXTENSION[extname(logo).toLowerCase()];
    if (contentType === undefined) throw new TypeError(`vendor.logo: the file must end in ${Object.keys(TYPE_OF_EXTENSION).join(', ')}`);
    found = { contentType, bytes: await readFile(logo) };
  } else if (logo !== null && typeof logo === 'object' && logo.data instanceof Uint8Array && typeof logo.contentType === 'string') {
    found = { contentType: logo.contentType.toLowerCase(), bytes: Buffer.from(logo.data) };
  } else {
    throw new TypeError('vendor.logo must be a file path, a data URL, or { data, contentType }');
  }
  if (!IMAGE_TYPES.has(found.contentType)) throw new TypeError(`vendor.logo: the type must be one of ${[...IMAGE_TYPES].join(', ')}`);
  if (found.bytes.length === 0 || found.bytes.length > LOGO_MAX_BYTES) throw new TypeError(`vendor.logo must be 1 to ${LOGO_MAX_BYTES} bytes`);
  return found;
}
